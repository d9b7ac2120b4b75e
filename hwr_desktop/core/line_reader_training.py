"""Train the line reader (core/line_reader.py) with CTC on numbers made from MNIST training digits.

    examples (core/line_reader_data.py) -> fit with CTC loss, keeping the weights with the best
    validation exact-match accuracy -> temperature fitted on validation digits -> model file

Plain callbacks (`progress(text)`) and a `should_stop()` flag, like core/training.py, so the CLI
(and later a GUI worker) can drive it. MNIST test digits are never used here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.line_reader import FRAMES, build_line_reader, decode, softmax
from hwr_desktop.core.line_reader_data import Strips


@dataclass
class LineReaderConfig:
    examples: int = 60000
    validation_examples: int = 3000
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 2e-3
    seed: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def frame_logits(model, x_uint8: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return np.asarray(model.predict(x_uint8[..., None].astype(np.float32) / 255.0, batch_size=batch_size, verbose=0))


def texts(logits: np.ndarray, temperature: float = 1.0) -> list[str]:
    return ["".join(str(d.digit) for d in decode(p)) for p in softmax(logits, temperature)]


def exact_accuracy(logits: np.ndarray, truth: list[str]) -> float:
    return float(np.mean([a == b for a, b in zip(texts(logits), truth)])) if truth else 0.0


def fit_temperature(logits: np.ndarray, truth: list[str]) -> float:
    """The temperature under which decoded digits' confidences best predict their being right
    (negative log-likelihood of right / wrong), on lines whose length was read right."""
    grid = np.exp(np.linspace(np.log(0.3), np.log(3.0), 41))
    best, best_nll = 1.0, np.inf
    for t in grid:
        nll, count = 0.0, 0
        for p, text in zip(softmax(logits, t), truth):
            digits = decode(p)
            if len(digits) != len(text):
                continue
            for d, c in zip(digits, text):
                q = min(max(d.confidence, 1e-6), 1 - 1e-6)
                nll -= np.log(q) if str(d.digit) == c else np.log(1 - q)
                count += 1
        if count and nll / count < best_nll:
            best, best_nll = float(t), nll / count
    return best


def train_line_reader(train: Strips, validation: Strips, config: LineReaderConfig,
                      progress=None, should_stop=None):
    """(model, figures): the weights with the best validation exact-match accuracy."""
    import keras
    keras.utils.set_random_seed(config.seed)
    model = build_line_reader()
    steps = config.epochs * int(np.ceil(len(train.x) / config.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.CTC())
    x = train.x[..., None].astype(np.float32) / 255.0
    best, best_weights, history = -1.0, None, []
    start = time.perf_counter()
    for epoch in range(config.epochs):
        if should_stop and should_stop():
            break
        fit = model.fit(x, train.y, batch_size=config.batch_size, epochs=1, verbose=0, shuffle=True)
        accuracy = exact_accuracy(frame_logits(model, validation.x), validation.texts)
        history.append({"epoch": epoch + 1, "loss": float(fit.history["loss"][-1]), "val_exact": accuracy,
                        "seconds": round(time.perf_counter() - start, 1)})
        if accuracy > best:
            best, best_weights = accuracy, model.get_weights()
        if progress:
            progress(f"epoch {epoch + 1}/{config.epochs}: loss {history[-1]['loss']:.3f}, "
                     f"validation exact {accuracy:.2%}, {history[-1]['seconds']:.0f} s")
    if best_weights is not None:
        model.set_weights(best_weights)
    logits = frame_logits(model, validation.x)
    temperature = fit_temperature(logits, validation.texts)
    return model, {"val_exact": best, "temperature": temperature, "history": history,
                   "train_seconds": round(time.perf_counter() - start, 1), "frames": FRAMES}
