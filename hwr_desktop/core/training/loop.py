"""Training: one readable loop shared by the GUI worker, the CLI and the benchmark.

`train(config, callbacks, stop)` builds the config's network (a preset's design or the user's), runs mini-batch training with the
preset's recipe (or the config's overrides), evaluates the validation split after every epoch
and returns the weights of the best epoch. Progress goes to plain-Python callbacks; `stop` is a
threading.Event checked before every batch, so a GUI's Stop button takes effect within one batch.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from hwr_desktop.core.data.mnist import MnistSplits, load_mnist
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.network.design import require_buildable
from hwr_desktop.core.network.presets import get_preset
from hwr_desktop.core.precision import as_float32, dtype_policy, effective_precision


@dataclass
class TrainingConfig:
    """What to train. None means: take the preset's recipe value (and its network)."""
    preset: str = "default"
    architecture: dict | None = None   # the network as a design (core/network/design.py); None: the preset's
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    augment: bool | None = None
    augment_fraction: float | None = None
    label_smoothing: float | None = None
    schedule: str | None = None
    warmup_fraction: float | None = None
    weight_average: float | None = None
    precision: str | None = None     # "mixed_bfloat16" becomes "float32" on CPUs without native bfloat16
    seed: int = 0
    train_limit: int | None = None   # use only the first N training images (tests, demos)
    val_limit: int | None = None

    def resolved(self) -> TrainingConfig:
        recipe = get_preset(self.preset).recipe
        filled = {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe)
                  if hasattr(self, f.name) and getattr(self, f.name) is None}
        if self.architecture is None:
            filled["architecture"] = copy.deepcopy(get_preset(self.preset).design)
        cfg = dataclasses.replace(self, **filled)
        require_buildable(cfg.architecture)   # a design with a problem stops here, before any training
        if cfg.epochs < 1 or cfg.batch_size < 1 or not cfg.learning_rate > 0:
            raise HwrError("epochs and batch size must be at least 1 and the learning rate positive")
        if not 0.0 < cfg.augment_fraction <= 1.0:
            raise HwrError("the augmented fraction must be in (0, 1]")
        if not 0.0 <= cfg.weight_average < 1.0:
            raise HwrError("the weight-average decay must be in [0, 1)")
        cfg.precision = effective_precision(cfg.precision)
        if cfg.schedule not in ("constant", "onecycle"):
            raise HwrError(f"unknown learning-rate schedule {cfg.schedule!r}")
        return cfg

    @property
    def network_name(self) -> str:
        """What the trained model is called: the design's name (a preset's design has the preset's)."""
        return str((self.architecture or {}).get("name") or self.preset)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class BatchInfo:
    epoch: int               # 1-based
    epochs: int
    batch: int               # 1-based within the epoch
    batches: int             # per epoch
    step: int                # 1-based over the whole run
    total_steps: int
    loss: float
    accuracy: float
    learning_rate: float
    images_per_second: float
    elapsed: float
    remaining: float         # estimated seconds left


@dataclass
class EpochInfo:
    epoch: int
    epochs: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class TrainingCallbacks:
    """Override what you need. Called on the training thread."""

    def on_start(self, model, config: TrainingConfig) -> None: ...
    def on_batch(self, info: BatchInfo) -> None: ...
    def on_epoch(self, info: EpochInfo) -> None: ...


@dataclass
class TrainingResult:
    model: object
    config: TrainingConfig
    history: list[EpochInfo] = field(default_factory=list)
    best_epoch: int | None = None
    val_accuracy: float | None = None
    stopped: bool = False
    seconds: float = 0.0


def learning_rate_at(step: int, total: int, cfg: TrainingConfig) -> float:
    """Constant, or one-cycle: linear warm-up from lr/10, then cosine decay to lr/1000."""
    if cfg.schedule == "constant":
        return cfg.learning_rate
    warm = max(1, int(total * cfg.warmup_fraction))
    if step < warm:
        return cfg.learning_rate * (0.1 + 0.9 * step / warm)
    progress = (step - warm) / max(1, total - warm)
    return cfg.learning_rate * (0.001 + 0.999 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def validation_noise(accuracy: float, n: int) -> float:
    """Two standard errors of an accuracy measured on n images.

    The best of many epochs' validation accuracies is partly luck: at 99.7 % on 5,000 images one
    standard error is ~4 images. An earlier epoch is kept only if it beats the last by more than this.
    """
    return 2.0 * math.sqrt(max(accuracy * (1.0 - accuracy), 0.0) / max(n, 1))


def _subset(x: np.ndarray, y: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    return (x, y) if limit is None else (x[:limit], y[:limit])


def make_train_step(model, optimizer, loss_fn, augment_rng=None):
    """One compiled optimisation step, shared by training and fine-tuning.

    The step takes uint8 (N, 28, 28) images, int64 labels and a bool flag per image, and returns
    (loss, accuracy) of the batch. With `augment_rng`, the flagged images go through augment_batch
    (fine-tuning augments the few personal samples but replays MNIST as the base model saw it).
    `loss_fn(labels, logits, images)` gets the (augmented) float images too, for losses that need
    them (fine-tuning asks the base model about the same images).
    """
    import tensorflow as tf

    from hwr_desktop.core.network.augment import augment_batch

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28], tf.uint8), tf.TensorSpec([None], tf.int64),
                                  tf.TensorSpec([None], tf.bool)])
    def train_step(images, labels, augment):
        x = tf.cast(images, tf.float32)[..., None] / 255.0
        if augment_rng is not None:
            x = tf.where(augment[:, None, None, None], augment_batch(x, augment_rng), x)
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(labels, logits, x)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        accuracy = tf.reduce_mean(tf.cast(tf.argmax(logits, axis=1) == labels, tf.float32))
        return loss, accuracy

    return train_step


def train(config: TrainingConfig, callbacks: TrainingCallbacks | None = None,
          stop: threading.Event | None = None, data: MnistSplits | None = None) -> TrainingResult:
    import keras
    import tensorflow as tf

    from hwr_desktop.core.models.evaluation import loss_and_accuracy
    from hwr_desktop.core.network.build import build_network
    from hwr_desktop.core.training.averaging import WeightAverage

    cfg = config.resolved()
    callbacks = callbacks or TrainingCallbacks()
    stop = stop or threading.Event()
    data = data or load_mnist()
    x_train, y_train = _subset(data.x_train, data.y_train, cfg.train_limit)
    x_val, y_val = _subset(data.x_val, data.y_val, cfg.val_limit)

    keras.utils.set_random_seed(cfg.seed)
    def build():
        return build_network(cfg.architecture)

    with dtype_policy(cfg.precision):
        model = build()
    optimizer = keras.optimizers.Adam(learning_rate=cfg.learning_rate)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=cfg.label_smoothing)
    augment_rng = tf.random.Generator.from_seed(cfg.seed)
    order_rng = np.random.default_rng(cfg.seed)
    flag_rng = np.random.default_rng([cfg.seed, 1])

    train_step = make_train_step(model, optimizer, lambda labels, logits, _: loss_fn(tf.one_hot(labels, 10), logits),
                                 augment_rng if cfg.augment else None)
    average = WeightAverage(model, cfg.weight_average) if cfg.weight_average else None
    callbacks.on_start(model, cfg)
    n, bs = len(x_train), cfg.batch_size
    batches = math.ceil(n / bs)
    total = batches * cfg.epochs
    result = TrainingResult(model=model, config=cfg)
    best_weights = weights = None
    start = time.perf_counter()
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        epoch_start = time.perf_counter()
        order = order_rng.permutation(n)
        loss_sum = acc_sum = 0.0
        for batch in range(1, batches + 1):
            if stop.is_set():
                result.stopped = True
                break
            lr = learning_rate_at(step, total, cfg)
            optimizer.learning_rate = lr
            idx = order[(batch - 1) * bs: batch * bs]
            augment = (flag_rng.random(len(idx)) < cfg.augment_fraction if cfg.augment_fraction < 1
                       else np.ones(len(idx), bool))
            loss, acc = train_step(x_train[idx], y_train[idx], augment)
            if average is not None:
                average.update()
            loss, acc = float(loss), float(acc)
            loss_sum, acc_sum = loss_sum + loss, acc_sum + acc
            step += 1
            elapsed = time.perf_counter() - start
            callbacks.on_batch(BatchInfo(
                epoch, cfg.epochs, batch, batches, step, total, loss, acc, lr,
                images_per_second=step * bs / elapsed, elapsed=elapsed,
                remaining=elapsed / step * (total - step)))
        if result.stopped:
            break
        with average.swapped_in() if average is not None else contextlib.nullcontext():
            # With weight averaging, the averaged weights are the ones validated, shown and kept.
            val_loss, val_accuracy = loss_and_accuracy(model, x_val, y_val)
            info = EpochInfo(epoch, cfg.epochs, loss_sum / batches, acc_sum / batches, val_loss=val_loss,
                             val_accuracy=val_accuracy, seconds=time.perf_counter() - epoch_start)
            result.history.append(info)
            weights = model.get_weights()
            if result.val_accuracy is None or info.val_accuracy > result.val_accuracy:
                result.best_epoch, result.val_accuracy, best_weights = epoch, info.val_accuracy, weights
            callbacks.on_epoch(info)
    if result.history:
        last = result.history[-1]
        if result.val_accuracy - last.val_accuracy <= validation_noise(result.val_accuracy, len(y_val)):
            # The best epoch is not better than the last beyond noise: keep the end of the schedule.
            result.best_epoch, result.val_accuracy, best_weights = last.epoch, last.val_accuracy, weights
        model.set_weights(best_weights)  # validation, never test, picks the epoch we keep
    result.model = as_float32(model, build)  # predicting never needs bfloat16 hardware
    result.seconds = time.perf_counter() - start
    return result
