import threading

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.network.presets import PRESETS, build_model
from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, learning_rate_at, train


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_maps_28x28x1_to_10_logits(name):
    model = build_model(name)
    assert tuple(model.inputs[0].shape) == (None, 28, 28, 1)
    out = np.asarray(model(np.zeros((3, 28, 28, 1), np.float32), training=False))
    assert out.shape == (3, 10)
    assert not np.allclose(out.sum(axis=1), 1.0)  # logits, not probabilities


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(HwrError, match="unknown preset"):
        TrainingConfig(preset="nope").resolved()


def test_config_takes_preset_recipe_unless_overridden():
    cfg = TrainingConfig(preset="keras-example").resolved()
    assert (cfg.epochs, cfg.batch_size, cfg.learning_rate, cfg.augment) == (15, 128, 1e-3, False)
    assert TrainingConfig(preset="keras-example", epochs=2).resolved().epochs == 2


def test_onecycle_schedule_warms_up_then_decays():
    cfg = TrainingConfig(preset="quick").resolved()
    lrs = [learning_rate_at(s, 1000, cfg) for s in range(1000)]
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(cfg.learning_rate / 10)
    assert 150 <= peak <= 250 and lrs[peak] == pytest.approx(cfg.learning_rate, rel=0.01)
    assert lrs[-1] < cfg.learning_rate / 100


class Recorder(TrainingCallbacks):
    def __init__(self, stop_after=None, stop=None):
        self.batches, self.epochs, self.stop_after, self.stop = [], [], stop_after, stop

    def on_batch(self, info):
        self.batches.append(info)
        if self.stop_after and len(self.batches) >= self.stop_after:
            self.stop.set()

    def on_epoch(self, info):
        self.epochs.append(info)


def test_short_real_training_run_learns(mnist):
    """quick preset, 2 epochs on 6,000 images: must beat 93 % validation accuracy (measured ~96.6 %)."""
    rec = Recorder()
    result = train(TrainingConfig(preset="quick", epochs=2, train_limit=6000, val_limit=2000), rec)
    assert result.val_accuracy >= 0.93
    assert [e.epoch for e in rec.epochs] == [1, 2] and result.best_epoch in (1, 2)
    assert len(rec.batches) == 2 * 32 and rec.batches[-1].step == rec.batches[-1].total_steps == 64  # batch 192
    assert rec.batches[-1].loss < rec.batches[0].loss
    assert not result.stopped


def test_stop_flag_ends_training_within_a_batch():
    stop = threading.Event()
    rec = Recorder(stop_after=5, stop=stop)
    result = train(TrainingConfig(preset="quick", epochs=3, train_limit=3000, val_limit=500), rec, stop)
    assert result.stopped and len(rec.batches) == 5 and result.history == []


def test_training_is_reproducible_with_a_seed():
    cfg = TrainingConfig(preset="quick", epochs=1, train_limit=1024, val_limit=256, augment=True, seed=7)
    a, b = Recorder(), Recorder()
    train(cfg, a)
    train(cfg, b)
    np.testing.assert_allclose([x.loss for x in a.batches], [x.loss for x in b.batches], rtol=1e-4)
    c = Recorder()
    train(TrainingConfig(**{**cfg.to_dict(), "seed": 8}), c)
    assert not np.allclose([x.loss for x in a.batches], [x.loss for x in c.batches], rtol=1e-4)


def test_augmentation_keeps_digits_recognizable(mnist):
    import tensorflow as tf

    from hwr_desktop.core.network.augment import augment_batch
    x = tf.constant(mnist.x_test[:64, :, :, None] / 255.0, tf.float32)
    out = augment_batch(x, tf.random.Generator.from_seed(1)).numpy()
    assert out.shape == x.shape and 0.0 <= out.min() and out.max() <= 1.0
    assert not np.allclose(out, x.numpy())
    ink_ratio = out.sum(axis=(1, 2, 3)) / x.numpy().sum(axis=(1, 2, 3))
    assert 0.5 < np.median(ink_ratio) < 2.0   # strokes thinned or thickened, not wiped out or smeared


@pytest.mark.parametrize("fraction", [1.0, 0.5])
def test_augment_fraction_sets_how_much_of_each_batch_is_augmented(monkeypatch, fraction):
    from hwr_desktop.core.training import loop as training
    flags = []
    make = training.make_train_step

    def recording(*args, **kwargs):
        step = make(*args, **kwargs)
        return lambda x, y, augment: (flags.append(augment.copy()), step(x, y, augment))[1]

    monkeypatch.setattr(training, "make_train_step", recording)
    train(TrainingConfig(preset="quick", epochs=1, batch_size=100, train_limit=2000, val_limit=100, augment=True,
                         augment_fraction=fraction))
    share = np.concatenate(flags).mean()
    assert len(flags) == 20 and (share == 1.0 if fraction == 1.0 else 0.45 < share < 0.55)
    with pytest.raises(HwrError, match="augmented fraction"):
        TrainingConfig(preset="quick", augment_fraction=0.0).resolved()


@pytest.mark.parametrize("accuracies, kept", [
    ([0.990, 0.999, 0.990], 2),    # epoch 2 is better beyond noise: validation picks it
    ([0.990, 0.992, 0.991], 3),    # 0.1 % on 500 images is noise: the end of the schedule is kept
])
def test_an_earlier_epoch_is_kept_only_if_validation_says_so_beyond_noise(monkeypatch, accuracies, kept):
    from hwr_desktop.core.models import evaluation
    scripted = iter(accuracies)
    monkeypatch.setattr(evaluation, "loss_and_accuracy", lambda model, x, y: (0.1, next(scripted)))
    snapshots = {}

    class Snap(TrainingCallbacks):
        def on_start(self, model, config):
            self.model = model

        def on_epoch(self, info):
            snapshots[info.epoch] = self.model.get_weights()

    result = train(TrainingConfig(preset="quick", epochs=3, batch_size=100, train_limit=600, val_limit=500), Snap())
    assert result.best_epoch == kept and result.val_accuracy == accuracies[kept - 1]
    assert all(np.array_equal(a, b) for a, b in zip(result.model.get_weights(), snapshots[kept]))


def test_validation_noise_is_two_standard_errors():
    from hwr_desktop.core.training.loop import validation_noise
    assert validation_noise(0.997, 5000) == pytest.approx(2 * (0.997 * 0.003 / 5000) ** 0.5)
    assert validation_noise(1.0, 5000) == 0.0
