"""Train the not-a-digit gate (core/models/not_digit.py): Keras trains it, numpy runs it.

Data (all from the MNIST training file; the test set is never touched):
- digits (label 0): the training split as it is, plus some of it redrawn on a page and prepared again
  (`digits_on_page`) and some traced with an even pen as the canvas draws (`digits_as_strokes`), so
  that neither "came through the preprocessing" nor "drawn with an even pen" is a sign of a non-digit;
- non-digits (label 1): `make_non_digits(style="training")`, pairs built from training digits.
Selection uses the validation split only: the epoch with the lowest validation loss is kept, the
temperature is fitted on validation digits and non-digits, and the threshold is the smallest one that
refuses at most `max_refused` of the validation digits (and never below 0.5, so that whatever is
refused is also more likely a non-digit than a digit).

The network is the one `not_digit.shapes(widths)` describes; `export_weights` copies its layers into the
plain arrays the numpy gate reads, and the result is checked against Keras before it is written.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwr_desktop.core.data.mnist import load_mnist
from hwr_desktop.core.data.non_digits import digits_as_strokes, digits_on_page, make_non_digits
from hwr_desktop.core.files import replacing
from hwr_desktop.core.models.calibration import fit_temperature
from hwr_desktop.core.models.not_digit import WIDTHS, NotDigitGate, shapes


@dataclass(frozen=True)
class GateConfig:
    non_digits: int = 120_000         # training non-digits
    redrawn: int = 25_000             # training digits also redrawn on a page
    stroked: int = 25_000             # training digits also traced with an even pen, as the canvas draws
    non_digit_weight: float = 1.0     # loss weight of a non-digit relative to a digit
    epochs: int = 6
    batch_size: int = 128
    learning_rate: float = 1e-3
    max_refused: float = 0.001        # share of validation digits the threshold may refuse
    seed: int = 0
    # the network's widths: wider than not_digit.WIDTHS, measured on validation (2026-12-05): with 60k
    # non-digits and (16, 32, 64, 64) it caught 96.4 % of validation non-digits at 0.1 % digits refused;
    # with 120k and these widths 99.9 % at 0.06 %
    conv1: int = 32
    conv2: int = 64
    conv3: int = 96
    dense: int = 96

    @property
    def widths(self) -> tuple[int, int, int, int]:
        return self.conv1, self.conv2, self.conv3, self.dense


def gate_data(config: GateConfig) -> dict:
    """Training and validation arrays: images (N, 28, 28, 1) float32, labels 1 = not a digit."""
    m = load_mnist()
    rng = np.random.default_rng([config.seed, 1])
    redrawn = digits_on_page(m.x_train[rng.choice(len(m.x_train), config.redrawn, replace=False)], config.seed)
    stroked = digits_as_strokes(m.x_train[rng.choice(len(m.x_train), config.stroked, replace=False)], config.seed)
    others, _ = make_non_digits(config.non_digits, seed=config.seed, style="training", digits=m.x_train)
    digits = np.concatenate([m.x_train.astype(np.float32) / 255.0, redrawn, stroked])
    x_train = np.concatenate([digits, others])
    y_train = np.concatenate([np.zeros(len(digits)), np.ones(len(others))]).astype(np.float32)
    val_digits = np.concatenate([m.x_val.astype(np.float32) / 255.0, digits_on_page(m.x_val[:2000], config.seed + 1000),
                                 digits_as_strokes(m.x_val[2000:4000], config.seed + 1000)])
    val_others, val_kinds = make_non_digits(6000, seed=config.seed + 1000, style="training", digits=m.x_val)
    x_val = np.concatenate([val_digits, val_others])
    y_val = np.concatenate([np.zeros(len(val_digits)), np.ones(len(val_others))]).astype(np.float32)
    return {"x_train": x_train[..., None], "y_train": y_train, "x_val": x_val[..., None], "y_val": y_val,
            "val_kinds": ["digit"] * len(val_digits) + val_kinds}


def build_gate_network(widths=WIDTHS):
    """The Keras twin of the numpy gate: layer names are the keys of `shapes()` without _k/_b."""
    import keras
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    x = inputs
    for name in ("conv1", "conv2", "conv3"):
        x = layers.Conv2D(shapes(widths)[f"{name}_b"][0], 3, padding="same", activation="relu", name=name)(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(widths[3], activation="relu", name="dense1")(x)
    outputs = layers.Dense(1, name="dense2")(x)
    return keras.Model(inputs, outputs, name="not_digit_gate")


def export_weights(network) -> dict:
    weights = {}
    for name in ("conv1", "conv2", "conv3", "dense1", "dense2"):
        kernel, bias = network.get_layer(name).get_weights()
        weights[f"{name}_k"], weights[f"{name}_b"] = kernel.astype(np.float32), bias.astype(np.float32)
    return weights


def _threshold(digit_probs: np.ndarray, max_refused: float) -> float:
    """The smallest threshold (>= 0.5) that refuses at most `max_refused` of these digits."""
    allowed = int(np.floor(max_refused * len(digit_probs)))
    ordered = np.sort(digit_probs)[::-1]
    above = float(ordered[allowed]) if allowed < len(ordered) else 0.0
    return float(min(max(0.5, np.nextafter(above, 1.0)), 0.999))


def train_gate(out: str | Path, config: GateConfig = GateConfig(), progress=None,
               stop: threading.Event | None = None, command: str = "") -> dict:
    """Train, calibrate, check and write the gate to `out` (.npz); returns its description."""
    import keras

    from hwr_desktop.core.precision import cpu_name

    started = time.time()
    keras.utils.set_random_seed(config.seed)
    data = gate_data(config)
    network = build_gate_network(config.widths)
    network.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                    loss=keras.losses.BinaryCrossentropy(from_logits=True))
    weights = np.where(data["y_train"] > 0, config.non_digit_weight, 1.0).astype(np.float32)
    best = {"loss": np.inf}

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            loss = float(logs["val_loss"])
            if progress:
                progress(f"epoch {epoch + 1}/{config.epochs}: loss {logs['loss']:.4f}, validation {loss:.4f}")
            if loss < best["loss"]:
                best.update(loss=loss, epoch=epoch + 1, weights=export_weights(self.model))
            if stop is not None and stop.is_set():
                self.model.stop_training = True

    network.fit(data["x_train"], data["y_train"], sample_weight=weights, batch_size=config.batch_size,
                epochs=config.epochs, validation_data=(data["x_val"], data["y_val"]), shuffle=True,
                verbose=0, callbacks=[Keep()])
    gate = NotDigitGate(best["weights"])
    network.set_weights([best["weights"][f"{n}_{p}"] for n in ("conv1", "conv2", "conv3", "dense1", "dense2")
                         for p in ("k", "b")])
    keras_logits = network.predict(data["x_val"], batch_size=1024, verbose=0)[:, 0]
    logits = gate.logits(data["x_val"])
    mismatch = float(np.max(np.abs(keras_logits - logits)))
    if mismatch > 1e-3:
        raise RuntimeError(f"the numpy gate disagrees with Keras by {mismatch:.2g}")
    labels = data["y_val"].astype(np.int64)
    gate.temperature = fit_temperature(np.stack([np.zeros_like(logits), logits], axis=1), labels)
    probs = gate.probability(data["x_val"])
    gate.threshold = _threshold(probs[labels == 0], config.max_refused)
    kinds = np.array(data["val_kinds"])
    caught = {k: round(float(np.mean(probs[kinds == k] >= gate.threshold)), 4) for k in sorted(set(kinds)) if k != "digit"}
    meta = {
        "what": "not-a-digit gate: probability that a prepared 28x28 image is not one digit",
        "temperature": round(gate.temperature, 6), "threshold": round(gate.threshold, 6),
        "best_epoch": best["epoch"], "epochs": config.epochs, "config": config.__dict__,
        "widths": list(config.widths),
        "validation": {"digits_refused": round(float(np.mean(probs[labels == 0] >= gate.threshold)), 5),
                       "non_digits_caught": round(float(np.mean(probs[labels == 1] >= gate.threshold)), 5),
                       "caught_by_kind": caught, "keras_numpy_max_logit_gap": mismatch},
        "command": command, "seconds": round(time.time() - started, 1), "cpu": cpu_name(),
        "date": time.strftime("%Y-%m-%d"),
    }
    write_gate(out, best["weights"], meta)
    return meta


def write_gate(out: str | Path, weights: dict, meta: dict) -> Path:
    out = Path(out)
    with replacing(out) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), **weights)
    return out
