"""Fine-tuning on the user's own samples: adapt the model to one hand without forgetting MNIST.

A few short epochs from the current model at a small learning rate. Every batch mixes personal
samples (oversampled to a fixed share of the batch, each one freshly augmented every time it is
drawn, since there are only tens of them) with MNIST training images replayed as the base model
saw them. The replayed images are taught by the base model itself ("learning without forgetting"):
their targets are its softened predictions, which pin down far more of its behaviour than the
labels it already fits; in our measurements this kept ~0.07 % more MNIST test accuracy at the
same gain on the new hand than replay with labels.
Part of each digit's samples is held out to measure the gain on the user's writing; the result
is marked `kept` only if MNIST test accuracy stays at or above `min_mnist_accuracy`.
Progress and Stop work as in training.py: the same callback types and a threading.Event checked
before every batch.
"""
from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwr_desktop.core.data.mnist import MnistSplits, load_mnist
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.info import ModelInfo, new_info
from hwr_desktop.core.training.loop import BatchInfo, EpochInfo, TrainingCallbacks, learning_rate_at, make_train_step

MIN_MNIST_ACCURACY = 0.995
MIN_SAMPLES = 10


@dataclass
class FinetuneConfig:
    epochs: int = 3
    batch_size: int = 128
    learning_rate: float = 3e-4
    schedule: str = "onecycle"        # short warm-up so fresh Adam statistics do not jolt the weights
    warmup_fraction: float = 0.1
    personal_share: float = 0.25      # share of every batch taken from the personal samples
    replay_size: int = 4000           # MNIST training images per epoch (a new random draw each epoch)
    holdout_fraction: float = 0.2     # per digit, kept out of training to measure the gain
    val_size: int = 1000              # MNIST validation images scored after each epoch
    augment_mnist: bool | None = None       # None: as the base model was trained
    label_smoothing: float | None = None    # None: as the base model was trained
    distill_temperature: float = 2.0  # softening of the base model's targets on MNIST; 0: replay with labels
    freeze_batchnorm: bool = True     # keep MNIST's normalization statistics: a few steps of mixed batches would shift them
    seed: int = 0
    # Read when the config is made (not frozen into the class) so that tests can lower the bar.
    min_mnist_accuracy: float = field(default_factory=lambda: MIN_MNIST_ACCURACY)

    def checked(self) -> FinetuneConfig:
        if self.epochs < 1 or self.batch_size < 4 or not self.learning_rate > 0:
            raise HwrError("fine-tuning needs at least 1 epoch, a batch of at least 4 and a positive learning rate")
        if not 0.0 < self.personal_share < 1.0 or not 0.0 <= self.holdout_fraction < 1.0:
            raise HwrError("the personal share must be between 0 and 1 and the held-out fraction below 1")
        if self.replay_size < 1:
            raise HwrError("fine-tuning needs MNIST replay (replay size of at least 1), or the model forgets MNIST")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class FinetuneEpochInfo(EpochInfo):
    personal_accuracy: float | None = None    # on the held-out personal samples


@dataclass
class FinetuneResult:
    model: object                     # do not use unless `kept`
    base_info: ModelInfo
    config: FinetuneConfig
    personal_samples: int             # all personal samples, = personal_train + personal_held_out
    personal_train: int
    personal_held_out: int
    personal_accuracy_before: float | None = None   # None: no held-out samples
    personal_accuracy_after: float | None = None
    mnist_accuracy_before: float | None = None
    mnist_accuracy_after: float | None = None
    kept: bool = False
    stopped: bool = False
    train_seconds: float = 0.0
    history: list[FinetuneEpochInfo] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """One line for the user: why the result is or is not kept."""
        if self.stopped:
            return "fine-tuning was stopped; the model is unchanged"
        if not self.kept:
            return (f"MNIST test accuracy would drop to {self.mnist_accuracy_after:.2%}, below the "
                    f"{self.config.min_mnist_accuracy:.2%} minimum; the model is unchanged")
        return f"MNIST test accuracy {self.mnist_accuracy_after:.2%} (minimum {self.config.min_mnist_accuracy:.2%})"

    def model_info(self, base_name: str) -> ModelInfo:
        """The description saved with the fine-tuned model. `config` stays the base model's training
        recipe (what the architecture was trained with, and what a later fine-tune reads); the
        fine-tuning itself is described under `finetune`. A calibration is not carried over: the
        weights it was fitted to have changed."""
        base = self.base_info
        return new_info(base.preset, base.config, self.metrics(),
                             [h.to_dict() for h in self.history], personal_samples=self.personal_samples,
                             finetune={"config": self.config.to_dict(), "base_model": base_name,
                                       "base_trained_at": base.trained_at,
                                       "base_metrics": base.metrics.to_dict()})

    def metrics(self) -> dict:
        return {"test_accuracy": self.mnist_accuracy_after, "test_accuracy_before": self.mnist_accuracy_before,
                "personal_accuracy": self.personal_accuracy_after,
                "personal_accuracy_before": self.personal_accuracy_before,
                "personal_samples": self.personal_samples, "personal_train": self.personal_train,
                "personal_held_out": self.personal_held_out, "kept": self.kept, "stopped": self.stopped,
                "train_seconds": round(self.train_seconds, 1)}


def split_personal(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices, stratified by digit: a digit with 2+ samples gives at least one to each."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        k = min(max(1, round(len(idx) * fraction)), len(idx) - 1) if fraction > 0 and len(idx) >= 2 else 0
        held.extend(idx[:k])
        train.extend(idx[k:])
    return np.sort(np.array(train, np.int64)), np.sort(np.array(held, np.int64))


def _personal_arrays(samples) -> tuple[np.ndarray, np.ndarray]:
    x, y = samples.arrays() if hasattr(samples, "arrays") else samples
    x, y = np.asarray(x), np.asarray(y, np.int64)
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
        raise HwrError("personal samples must be uint8 (N, 28, 28) images with one label each")
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise HwrError("personal sample labels must be digits from 0 to 9")
    if len(y) < MIN_SAMPLES:
        raise HwrError(f"fine-tuning needs at least {MIN_SAMPLES} personal samples (there are {len(y)}); "
                       "add some first")
    return x, y


def _copy(model):
    import keras
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _base_models(base) -> tuple[object, object, ModelInfo]:
    """(student, teacher, info): private copies, so the caller's model (e.g. the GUI's) is never touched."""
    from hwr_desktop.core.models.modelfile import described, load_model
    if isinstance(base, (str, Path)):
        model, info = load_model(base)
    else:
        model, info = base[0], described(base[0], base[1])
    teacher = _copy(model)
    teacher.trainable = False
    return (model if isinstance(base, (str, Path)) else _copy(model)), teacher, info


def _loss(teacher, n_personal: int, cfg: FinetuneConfig, outputs_logits: bool):
    """loss(labels, logits, images): labels for the personal part, the base model's answers for MNIST."""
    import keras
    import tensorflow as tf

    def as_logits(out):  # models from elsewhere may end in a softmax; log-probabilities act as logits
        return out if outputs_logits else tf.math.log(tf.clip_by_value(out, 1e-7, 1.0))

    def loss(labels, outputs, images):
        hard = keras.losses.categorical_crossentropy(tf.one_hot(labels, 10), as_logits(outputs), from_logits=True,
                                                     label_smoothing=cfg.label_smoothing)
        t = cfg.distill_temperature
        if t <= 0:
            return tf.reduce_mean(hard)
        targets = tf.nn.softmax(as_logits(teacher(images[n_personal:], training=False)) / t)
        soft = keras.losses.kl_divergence(targets, tf.nn.softmax(as_logits(outputs[n_personal:]) / t)) * t * t
        return tf.reduce_mean(tf.concat([hard[:n_personal], soft], axis=0))
    return loss


def _accuracy(model, x, y, stop) -> float | None:
    from hwr_desktop.core.models.evaluation import predict_logits
    if len(x) == 0:
        return None
    return float(np.mean(predict_logits(model, x, stop=stop).argmax(axis=1) == y))


def finetune(base, samples, config: FinetuneConfig | None = None, callbacks: TrainingCallbacks | None = None,
             stop: threading.Event | None = None, data: MnistSplits | None = None) -> FinetuneResult:
    """Fine-tune `base` (a model file path, or (model, ModelInfo)) on `samples` (a SampleStore, or (x, y))."""
    import keras
    import tensorflow as tf

    from hwr_desktop.core.models.evaluation import loss_and_accuracy

    cfg = dataclasses.replace(config or FinetuneConfig()).checked()
    callbacks = callbacks or TrainingCallbacks()
    stop = stop or threading.Event()
    data = data or load_mnist()
    x_personal, y_personal = _personal_arrays(samples)
    model, teacher, base_info = _base_models(base)
    base_config = base_info.config
    if cfg.augment_mnist is None:
        cfg.augment_mnist = bool(base_config.get("augment", False))
    if cfg.label_smoothing is None:
        cfg.label_smoothing = float(base_config.get("label_smoothing") or 0.0)
    train_idx, held_idx = split_personal(y_personal, cfg.holdout_fraction, cfg.seed)
    x_own, y_own = x_personal[train_idx], y_personal[train_idx]
    x_held, y_held = x_personal[held_idx], y_personal[held_idx]
    result = FinetuneResult(model, base_info, cfg, len(y_personal), len(train_idx), len(held_idx))

    keras.utils.set_random_seed(cfg.seed)
    if cfg.freeze_batchnorm:
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # Keras 3: a frozen BatchNormalization also runs in inference mode
    n_personal = max(1, round(cfg.batch_size * cfg.personal_share))
    n_mnist = cfg.batch_size - n_personal
    optimizer = keras.optimizers.Adam(learning_rate=cfg.learning_rate)
    loss_fn = _loss(teacher, n_personal, cfg, outputs_logits=not base_info.outputs_probabilities)
    train_step = make_train_step(model, optimizer, loss_fn, tf.random.Generator.from_seed(cfg.seed))
    rng = np.random.default_rng(cfg.seed)
    x_val, y_val = data.x_val[:cfg.val_size], data.y_val[:cfg.val_size]

    try:
        result.personal_accuracy_before = _accuracy(model, x_held, y_held, stop)
        result.mnist_accuracy_before = _accuracy(model, data.x_test, data.y_test, stop)
    except HwrError:  # predict_logits raises when `stop` is set
        result.stopped = True
        return result

    replay = min(cfg.replay_size, len(data.x_train))
    batches = math.ceil(replay / n_mnist)
    total = batches * cfg.epochs
    flags = np.arange(cfg.batch_size) < n_personal      # augment the personal part of each batch...
    flags[n_personal:] = cfg.augment_mnist              # ...and MNIST only if the base model was trained so
    callbacks.on_start(model, cfg)
    start, step = time.perf_counter(), 0
    for epoch in range(1, cfg.epochs + 1):
        epoch_start = time.perf_counter()
        mnist_order = rng.choice(len(data.x_train), size=batches * n_mnist, replace=batches * n_mnist > len(data.x_train))
        # Personal samples are cycled through in shuffled rounds: each is drawn about equally often.
        rounds = math.ceil(batches * n_personal / len(x_own))
        personal_order = np.concatenate([rng.permutation(len(x_own)) for _ in range(rounds)])
        loss_sum = acc_sum = 0.0
        for batch in range(batches):
            if stop.is_set():
                result.stopped = True
                break
            lr = learning_rate_at(step, total, cfg)
            optimizer.learning_rate = lr
            p = personal_order[batch * n_personal:(batch + 1) * n_personal]
            m = mnist_order[batch * n_mnist:(batch + 1) * n_mnist]
            loss, acc = train_step(np.concatenate([x_own[p], data.x_train[m]]),
                                   np.concatenate([y_own[p], data.y_train[m]]), flags)
            loss, acc = float(loss), float(acc)
            loss_sum, acc_sum = loss_sum + loss, acc_sum + acc
            step += 1
            elapsed = time.perf_counter() - start
            callbacks.on_batch(BatchInfo(epoch, cfg.epochs, batch + 1, batches, step, total, loss, acc, lr,
                                         images_per_second=step * cfg.batch_size / elapsed, elapsed=elapsed,
                                         remaining=elapsed / step * (total - step)))
        if result.stopped:
            break
        val_loss, val_accuracy = loss_and_accuracy(model, x_val, y_val)
        info = FinetuneEpochInfo(epoch, cfg.epochs, loss_sum / batches, acc_sum / batches, val_loss=val_loss,
                                 val_accuracy=val_accuracy, seconds=time.perf_counter() - epoch_start,
                                 personal_accuracy=_accuracy(model, x_held, y_held, None))
        result.history.append(info)
        callbacks.on_epoch(info)
    result.train_seconds = time.perf_counter() - start
    if result.stopped:
        return result
    try:
        result.personal_accuracy_after = _accuracy(model, x_held, y_held, stop)
        result.mnist_accuracy_after = _accuracy(model, data.x_test, data.y_test, stop)
    except HwrError:
        result.stopped = True
        return result
    result.kept = result.mnist_accuracy_after >= cfg.min_mnist_accuracy
    return result
