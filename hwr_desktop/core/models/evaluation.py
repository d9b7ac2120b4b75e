"""Evaluation: accuracy, loss, per-class precision/recall/F1, confusion matrix and mistakes."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.data.preprocess import as_batch
from hwr_desktop.core.errors import HwrError

ECE_BINS = 15   # the calibration error's bins (core/models/calibration.py fits the temperature that lowers it)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis (core's one softmax: prediction, reading, the Inside tab)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log(softmax(logits)) over the last axis, without underflow (losses, calibration)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(-log_softmax(logits)[np.arange(len(labels)), labels].mean())


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: |accuracy - mean confidence| in equal-width confidence bins
    ((0, 1/bins], ..., ((bins-1)/bins, 1]), weighted by the share of predictions in each bin."""
    probabilities = np.asarray(probabilities, np.float64)
    labels = np.asarray(labels)
    if len(labels) == 0:
        return 0.0
    return confidence_calibration_error(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels, bins)


def confidence_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """The same error for any answers: each answer's confidence and whether it was right."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, np.float64)
    if len(confidence) == 0:
        return 0.0
    which = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    gap = np.bincount(which, weights=correct - confidence, minlength=bins)   # sum of (right - confidence)
    return float(np.abs(gap).sum() / len(confidence))


def _as_float_batch(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.uint8:
        return (images.astype(np.float32) / 255.0)[..., None] if images.ndim == 3 else images.astype(np.float32) / 255.0
    return as_batch(images)


def predict_logits(model, images: np.ndarray, batch_size: int = 1000,
                   progress: Callable[[int, int], None] | None = None,
                   stop: threading.Event | None = None) -> np.ndarray:
    """Model outputs for uint8 (N, 28, 28) or float images, in batches, with direct model calls."""
    outputs = []
    n = len(images)
    for start in range(0, n, batch_size):
        if stop is not None and stop.is_set():
            raise HwrError("stopped")
        batch = _as_float_batch(images[start:start + batch_size])
        outputs.append(model(batch, training=False).numpy())
        if progress:
            progress(min(n, start + batch_size), n)
    return np.concatenate(outputs) if outputs else np.zeros((0, 10), np.float32)


def loss_and_accuracy(model, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Cross-entropy and accuracy of a logits model: the per-epoch validation figures."""
    logits = predict_logits(model, images)
    return softmax_cross_entropy(logits, labels), float(np.mean(logits.argmax(axis=1) == labels))


@dataclass
class EvaluationReport:
    n: int
    accuracy: float
    loss: float
    confusion: np.ndarray       # confusion[true, predicted]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    labels: np.ndarray
    predictions: np.ndarray
    probabilities: np.ndarray   # (N, 10), calibrated: softmax(logits / temperature)
    temperature: float = 1.0    # the model's calibration temperature the report was made with

    @property
    def ece(self) -> float:
        """Expected calibration error of the confidences (15 equal-width bins)."""
        return expected_calibration_error(self.probabilities, self.labels)

    @property
    def confidences(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    def mistakes(self, true: int | None = None, predicted: int | None = None) -> np.ndarray:
        """Indices of wrong predictions (optionally one confusion cell), most confident first."""
        wrong = self.predictions != self.labels
        if true is not None:
            wrong &= self.labels == true
        if predicted is not None:
            wrong &= self.predictions == predicted
        idx = np.flatnonzero(wrong)
        return idx[np.argsort(-self.confidences[idx], kind="stable")]

    def to_dict(self) -> dict:
        return {
            "n": self.n, "test_accuracy": self.accuracy, "test_loss": self.loss,
            "errors": int((self.predictions != self.labels).sum()),
            "confusion_matrix": self.confusion.tolist(),
            "precision": self.precision.round(6).tolist(), "recall": self.recall.round(6).tolist(),
            "f1": self.f1.round(6).tolist(), "ece": round(self.ece, 6), "temperature": self.temperature,
        }


def report_from_logits(logits: np.ndarray, labels: np.ndarray, outputs_are_probabilities: bool = False,
                       temperature: float = 1.0) -> EvaluationReport:
    """The report for model outputs. Logits are divided by the model's calibration `temperature`
    (ModelInfo.temperature) first, so loss, confidences and the mistakes' order are the calibrated
    ones the app shows; a softmax model's probabilities are used as they are (temperature ignored,
    as core/models/inference.py does)."""
    labels = np.asarray(labels, dtype=np.int64)
    if outputs_are_probabilities:
        temperature = 1.0
        probs = np.clip(logits, 1e-7, 1.0)
        probs = probs / probs.sum(axis=1, keepdims=True)
        loss = float(-np.log(probs[np.arange(len(labels)), labels]).mean())
    else:
        logits = logits / np.float32(temperature) if temperature != 1.0 else logits
        probs = softmax(logits)
        loss = softmax_cross_entropy(logits, labels)
    preds = probs.argmax(axis=1)
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (labels, preds), 1)
    tp = np.diag(confusion).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(tp / confusion.sum(axis=0))
        recall = np.nan_to_num(tp / confusion.sum(axis=1))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return EvaluationReport(len(labels), float((preds == labels).mean()), loss, confusion,
                            precision, recall, f1, labels, preds, probs, float(temperature))


def evaluate(model, images: np.ndarray, labels: np.ndarray, outputs_are_probabilities: bool = False,
             progress: Callable[[int, int], None] | None = None,
             stop: threading.Event | None = None, temperature: float = 1.0) -> EvaluationReport:
    """The model on (images, labels); pass the model's `info.temperature` for calibrated confidences."""
    logits = predict_logits(model, images, progress=progress, stop=stop)
    return report_from_logits(logits, labels, outputs_are_probabilities, temperature)
