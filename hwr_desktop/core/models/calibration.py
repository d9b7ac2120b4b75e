"""Calibrated confidence: "x % sure" should mean right x % of the time.

Our recipes train with label smoothing, which makes the networks under-confident (the bundled
model said 90.5 % on average on MNIST test while it was right 99.7 % of the time). Temperature
scaling fixes that without touching the weights, so predictions (the argmax) and accuracy stay
exactly the same: the logits are divided by one number T per model before the softmax. T is
fitted by minimising the negative log-likelihood on the VALIDATION split (5,000 MNIST training
images the model was not trained on); the MNIST test set is only used to report the result.
T is stored in the model file (`ModelInfo.calibration`) and applied by core/models/inference.py and
core/models/evaluation.py.

Models whose network already ends in a softmax (files from elsewhere; our presets emit logits)
are not calibrated: the Predictor uses their probabilities as they are, so a temperature would
not be applied anywhere. `calibrate` says so in `calibration.extra["skipped"]`, with their
validation ECE, and keeps temperature 1.

`expected_calibration_error` is defined in core/models/evaluation.py (every EvaluationReport has its
`ece`) and re-exported here.
"""
from __future__ import annotations

import threading

import numpy as np

from hwr_desktop.core.models.evaluation import ECE_BINS, expected_calibration_error, log_softmax, predict_logits
from hwr_desktop.core.models.info import Calibration, ModelInfo

__all__ = ["ECE_BINS", "calibrate", "calibrated_probabilities", "expected_calibration_error", "fit_temperature",
           "fitted_calibration", "nll"]

FITTED_ON = "validation ({n} MNIST images)"
T_RANGE = (0.05, 20.0)     # searched on log T; real models land well inside


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of softmax(logits / temperature)."""
    logits = np.asarray(logits, np.float64)
    return float(-log_softmax(logits / temperature)[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in T_RANGE minimising nll(logits, labels, T): a grid on log T, then a golden-section
    search around the best grid point. Deterministic; numpy only."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    if len(labels) == 0:
        return 1.0
    cost = lambda log_t: nll(logits, labels, float(np.exp(log_t)))   # noqa: E731
    lo, hi = np.log(T_RANGE[0]), np.log(T_RANGE[1])
    grid = np.linspace(lo, hi, 61)
    best = int(np.argmin([cost(g) for g in grid]))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = cost(c), cost(d)
    for _ in range(40):   # the bracket shrinks to 0.618**40 of two grid steps: far below 1e-6 in T
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = cost(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = cost(d)
    return float(np.exp((a + b) / 2))


def calibrated_probabilities(outputs: np.ndarray, temperature: float = 1.0,
                             outputs_are_probabilities: bool = False) -> np.ndarray:
    """What the app shows for model outputs: softmax(logits / T), or a softmax model's own probabilities."""
    outputs = np.asarray(outputs, np.float64)
    if outputs_are_probabilities:
        probs = np.clip(outputs, 1e-7, 1.0)
        return probs / probs.sum(axis=1, keepdims=True)
    return np.exp(log_softmax(outputs / temperature))


def fitted_calibration(outputs: np.ndarray, labels: np.ndarray, outputs_are_probabilities: bool = False) -> Calibration:
    """The calibration for a model's outputs on the validation images (`labels`): never pass test outputs."""
    labels = np.asarray(labels, np.int64)
    before = expected_calibration_error(calibrated_probabilities(outputs, 1.0, outputs_are_probabilities), labels)
    if outputs_are_probabilities:
        return Calibration(1.0, "", {"skipped": "the network ends in a softmax; its probabilities are used as they are",
                                     "val_ece": round(before, 6)})
    temperature = fit_temperature(outputs, labels)
    after = expected_calibration_error(calibrated_probabilities(outputs, temperature), labels)
    return Calibration(round(temperature, 6), FITTED_ON.format(n=f"{len(labels):,}"), {
        "method": "temperature scaling (validation NLL)", "val_ece_before": round(before, 6),
        "val_ece_after": round(after, 6), "val_nll_before": round(nll(outputs, labels), 6),
        "val_nll_after": round(nll(outputs, labels, temperature), 6)})


def calibrate(model, info: ModelInfo, data, stop: threading.Event | None = None,
              val_outputs: np.ndarray | None = None) -> ModelInfo:
    """`info` with a temperature fitted on the validation split of `data` (core.data.mnist.MnistSplits);
    `val_outputs`: the model's outputs on data.x_val, if already computed. The test set is not read.
    `calibration.extra` records the validation ECE before and after."""
    if val_outputs is None:
        val_outputs = predict_logits(model, data.x_val, stop=stop)
    return info.replace(calibration=fitted_calibration(val_outputs, data.y_val, info.outputs_probabilities))
