"""bfloat16 training: used only where the CPU has it, and the trained model always comes back float32."""
import numpy as np
import pytest

from hwr_desktop.core import precision
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.evaluation import loss_and_accuracy, predict_logits
from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, train


def test_cpu_flags_decide_bfloat16(tmp_path):
    with_bf16 = tmp_path / "zen5"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n")
    without = tmp_path / "old"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    assert precision.cpu_has_bf16(str(with_bf16)) is True
    assert precision.cpu_has_bf16(str(without)) is False
    assert precision.cpu_has_bf16(str(tmp_path / "missing")) is False


def test_bfloat16_falls_back_to_float32_without_hardware_support():
    assert precision.effective_precision("mixed_bfloat16", has_bf16=False) == "float32"
    assert precision.effective_precision("mixed_bfloat16", has_bf16=True) == "mixed_bfloat16"
    assert precision.effective_precision("float32", has_bf16=True) == "float32"
    with pytest.raises(HwrError, match="unknown precision"):
        precision.effective_precision("float16")


def test_bfloat16_training_hands_back_a_float32_model(mnist, monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)   # emulated where the CPU lacks it
    seen = {}

    class Spy(TrainingCallbacks):
        def on_start(self, model, config):
            seen["trained"] = model
            seen["dtypes"] = {layer.dtype_policy.compute_dtype for layer in model.layers}

    result = train(TrainingConfig(preset="quick", epochs=1, batch_size=128, train_limit=4000, val_limit=1000,
                                  precision="mixed_bfloat16"), Spy())
    assert result.config.precision == "mixed_bfloat16"
    assert seen["dtypes"] == {"bfloat16", "float32"}          # bfloat16 layers, float32 logits
    assert seen["trained"].layers[-1].dtype_policy.compute_dtype == "float32"
    assert result.model is not seen["trained"]
    assert {layer.dtype_policy.compute_dtype for layer in result.model.layers} == {"float32"}
    for a, b in zip(result.model.get_weights(), seen["trained"].get_weights()):
        np.testing.assert_array_equal(a, b)
    # The same weights computed in float32 read the validation images as the bfloat16 model did.
    x = mnist.x_val[:1000]
    agree = (predict_logits(result.model, x).argmax(1) == predict_logits(seen["trained"], x).argmax(1)).mean()
    assert agree > 0.99
    assert loss_and_accuracy(result.model, x, mnist.y_val[:1000])[1] > 0.9


def test_float32_training_keeps_its_model(mnist):
    seen = {}

    class Spy(TrainingCallbacks):
        def on_start(self, model, config):
            seen["trained"] = model

    result = train(TrainingConfig(preset="quick", epochs=1, batch_size=128, train_limit=2000, val_limit=500,
                                  precision="float32"), Spy())
    assert result.model is seen["trained"] and result.config.precision == "float32"


def test_bfloat16_policy_stays_on_the_training_thread():
    # The GUI trains in a worker thread while the GUI thread may load or build models: the policy
    # set for training must not leak to them (Keras keeps it per thread; we restore it anyway).
    import threading

    import keras
    entered, release = threading.Event(), threading.Event()
    inside = {}

    def worker():
        with precision.dtype_policy("mixed_bfloat16"):
            inside["policy"] = keras.mixed_precision.global_policy().name
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert entered.wait(10)
        assert inside["policy"] == "mixed_bfloat16"
        assert keras.layers.Dense(2).dtype_policy.compute_dtype == "float32"   # on this thread, meanwhile
    finally:
        release.set()
        thread.join()
    assert keras.mixed_precision.global_policy().name == "float32"
