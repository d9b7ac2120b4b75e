"""Weight averaging: the average follows the weights, swaps in and out exactly, and is what training keeps."""
import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.evaluation import loss_and_accuracy
from hwr_desktop.core.network.presets import build_model
from hwr_desktop.core.training.averaging import WeightAverage
from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, train


def test_average_tracks_weights_and_swaps_back_exactly():
    model = build_model("keras-example")
    average = WeightAverage(model, decay=0.9)
    start = [v.numpy().copy() for v in model.trainable_variables]
    for v in model.trainable_variables:
        v.assign(np.full(v.shape, 2.0, np.float32))
    for _ in range(200):
        average.update()
    with average.swapped_in():
        inside = [v.numpy().copy() for v in model.trainable_variables]
    # After 200 updates at decay 0.9 the initial weights weigh 0.9^~190: gone.
    assert all(np.allclose(w, 2.0, atol=1e-4) for w in inside)
    assert all((v.numpy() == 2.0).all() for v in model.trainable_variables)   # own weights are back
    assert any(not np.allclose(s, 2.0) for s in start)


def test_average_lags_behind_the_weights():
    model = build_model("keras-example")
    average = WeightAverage(model, decay=0.99)
    for v in model.trainable_variables:
        v.assign(np.zeros(v.shape, np.float32))
    for _ in range(1000):
        average.update()
    for v in model.trainable_variables:
        v.assign(np.ones(v.shape, np.float32))
    for _ in range(10):
        average.update()
    with average.swapped_in():
        value = model.trainable_variables[0].numpy().mean()
    assert value == pytest.approx(1 - 0.99 ** 10, abs=1e-4)   # 10 steps at decay 0.99: ~9.6 % of the way


def test_training_keeps_and_reports_the_averaged_weights(mnist):
    seen = []

    class Check(TrainingCallbacks):
        def on_start(self, model, config):
            self.model = model

        def on_epoch(self, info):   # the model the callback sees is the one that was validated
            seen.append((info.val_accuracy, loss_and_accuracy(self.model, mnist.x_val[:1000], mnist.y_val[:1000])[1]))

    result = train(TrainingConfig(preset="quick", epochs=2, batch_size=128, train_limit=4000, val_limit=1000,
                                  weight_average=0.98), Check())
    assert [a for a, b in seen] == [b for a, b in seen]
    assert result.config.weight_average == 0.98 and result.val_accuracy > 0.9
    assert loss_and_accuracy(result.model, mnist.x_val[:1000], mnist.y_val[:1000])[1] == result.val_accuracy


def test_weight_average_decay_is_checked():
    with pytest.raises(HwrError, match="weight-average"):
        TrainingConfig(preset="quick", weight_average=1.0).resolved()
