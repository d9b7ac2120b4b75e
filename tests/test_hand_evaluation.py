"""core/models/evaluation.py against values worked out by hand (issue 33; numpy only, no TensorFlow).

A stand-in model (a callable returning an object with `.numpy()`, as a Keras model does) lets
predict_logits, loss_and_accuracy and evaluate run without TensorFlow, so `make mutation` can
cover them. Every expected value below is computed on paper from a case small enough for it.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.evaluation import (
    EvaluationReport,
    confidence_calibration_error,
    evaluate,
    expected_calibration_error,
    log_softmax,
    loss_and_accuracy,
    predict_logits,
    report_from_logits,
    softmax,
)


class _Out:
    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array


class EchoModel:
    """Logits = the first ten pixels of each image (row 0, columns 0-9); records every batch."""

    def __init__(self):
        self.batches = []

    def __call__(self, batch, training):
        assert training is False
        self.batches.append(batch.copy())
        return _Out(batch.reshape(len(batch), -1)[:, :10].astype(np.float32))


def test_softmax_and_log_softmax_of_huge_logits_do_not_overflow():
    # exp(1000) overflows: only the max-shifted form gives [1, 0] and [0, -1000].
    logits = np.array([[1000.0, 0.0], [0.0, math.log(3.0)]])
    np.testing.assert_allclose(softmax(logits), [[1.0, 0.0], [0.25, 0.75]], atol=1e-12)
    np.testing.assert_allclose(log_softmax(logits), [[0.0, -1000.0], [math.log(0.25), math.log(0.75)]], atol=1e-9)


def test_softmax_works_over_the_last_axis_of_any_shape():
    # one vector (a single image's logits) and a stack of (N, T, C) frames: the last axis is the classes
    np.testing.assert_allclose(softmax(np.array([0.0, math.log(3.0)])), [0.25, 0.75])
    np.testing.assert_allclose(log_softmax(np.array([0.0, math.log(3.0)])), [math.log(0.25), math.log(0.75)])
    frames = np.zeros((2, 3, 4))
    frames[..., 0] = math.log(5.0)                  # (5, 1, 1, 1) / 8 in every frame
    np.testing.assert_allclose(softmax(frames), np.broadcast_to([5 / 8, 1 / 8, 1 / 8, 1 / 8], (2, 3, 4)))
    np.testing.assert_allclose(np.exp(log_softmax(frames)), softmax(frames))


def test_calibration_error_bins_by_hand():
    # 4 bins (0, .25], (.25, .5], (.5, .75], (.75, 1]: 0.5 is in the second, 0.6 in the third,
    # so their gaps (+0.5 and -0.6) do not cancel: (0.5 + 0.6) / 2.
    assert confidence_calibration_error([0.5, 0.6], [1, 0], bins=4) == pytest.approx(0.55)
    # 0.1 (first bin, right: +0.9) and 0.3 (second, wrong: -0.3): (0.9 + 0.3) / 2
    assert confidence_calibration_error([0.1, 0.3], [1, 0], bins=4) == pytest.approx(0.6)
    # a confidence of exactly 0 goes to the first bin, with 0.2 (both wrong): (0 + 0.2) / 2
    assert confidence_calibration_error([0.0, 0.2, 0.3], [0, 0, 1], bins=4) == pytest.approx((0.2 + 0.7) / 3)
    # 5 bins: 0.99 (right, +0.01) is in the last bin, 0.7 (wrong, -0.7) in the fourth: (0.01 + 0.7) / 2
    assert confidence_calibration_error([0.99, 0.7], [1, 0], bins=5) == pytest.approx(0.355)
    # same bin: the gaps add up with their signs first, |0.05 - 0.95| / 2
    assert confidence_calibration_error([0.95, 0.95], [1, 0], bins=4) == pytest.approx(0.45)
    assert confidence_calibration_error([], []) == 0.0
    # the default 15 bins: 0.95 -> 15th, 0.55 -> 9th, 0.3 -> 5th; |0.05 - 0.95| + 0.45 + |-0.3| over 4
    assert confidence_calibration_error([0.95, 0.95, 0.55, 0.3], [1, 0, 1, 0]) == pytest.approx(1.65 / 4)
    # 0.62 and 0.64 share the 10th of 15 bins (9.3 and 9.6 fifteenths), not of 16: (0.38 - 0.64) / 2
    assert confidence_calibration_error([0.62, 0.64], [1, 0]) == pytest.approx(0.13)


def test_expected_calibration_error_uses_the_top_probability_and_whether_it_is_the_label():
    probs = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    # one answer: confidence 0.7, right -> 0.3
    assert expected_calibration_error(probs[:1], np.array([1])) == pytest.approx(0.3)
    # confidences 0.7 (right) and 0.6 (wrong) in the 10th and 9th of 15 bins: (0.3 + 0.6) / 2
    assert expected_calibration_error(probs, np.array([1, 2])) == pytest.approx(0.45)
    assert expected_calibration_error(np.zeros((0, 10)), np.array([], np.int64)) == 0.0


def _images(n: int) -> np.ndarray:
    """uint8 (n, 28, 28) whose first ten pixels make image i's logits peak at digit i % 10."""
    images = np.zeros((n, 28, 28), np.uint8)
    images[np.arange(n), 0, np.arange(n) % 10] = 255
    images[np.arange(n), 0, 9 - np.arange(n) % 10] = 51     # a runner-up at 0.2 (never the peak: 9 - k != k)
    return images


def test_predict_logits_scales_uint8_batches_and_reports_progress():
    model, calls = EchoModel(), []
    images = _images(5)
    logits = predict_logits(model, images, batch_size=2, progress=lambda done, n: calls.append((done, n)))
    assert [b.shape for b in model.batches] == [(2, 28, 28, 1), (2, 28, 28, 1), (1, 28, 28, 1)]
    assert all(b.dtype == np.float32 for b in model.batches)
    assert calls == [(2, 5), (4, 5), (5, 5)]
    expected = images[:, 0, :10] / 255.0
    np.testing.assert_allclose(logits, expected, atol=1e-7)
    assert logits[0, 0] == 1.0 and logits[0, 9] == pytest.approx(0.2)
    # (N, 28, 28, 1) uint8 and float images in [0, 1] give the same logits
    np.testing.assert_allclose(predict_logits(EchoModel(), images[..., None]), expected, atol=1e-7)
    np.testing.assert_allclose(predict_logits(EchoModel(), images / 255.0), expected, atol=1e-7)
    empty = predict_logits(EchoModel(), np.zeros((0, 28, 28), np.uint8))
    assert empty.shape == (0, 10)


def test_predict_logits_stops_before_the_next_batch_when_asked():
    stop, model = threading.Event(), EchoModel()
    stop.set()
    with pytest.raises(HwrError, match="stopped"):
        predict_logits(model, _images(3), batch_size=2, stop=stop)
    assert model.batches == []
    assert predict_logits(model, _images(3), stop=threading.Event()).shape == (3, 10)   # not set: runs


def test_loss_and_accuracy_and_evaluate_through_a_stand_in_model():
    images = _images(4)                         # logits peak at 0, 1, 2, 3 (1.0; 0.2 for the runner-up)
    labels = np.array([0, 1, 2, 0])             # the last is wrong
    loss, accuracy = loss_and_accuracy(EchoModel(), images, labels)
    assert accuracy == pytest.approx(3 / 4)
    right = math.log(math.e + math.exp(0.2) + 8) - 1.0       # -log softmax at the peak
    wrong = math.log(math.e + math.exp(0.2) + 8)             # label 0 has logit 0 in the 4th image
    assert loss == pytest.approx((3 * right + wrong) / 4, rel=1e-6)
    plain = evaluate(EchoModel(), images, labels)
    assert plain.temperature == 1.0 and plain.loss == pytest.approx(loss, rel=1e-6)
    report = evaluate(EchoModel(), images, labels, temperature=2.0)
    assert report.n == 4 and report.accuracy == pytest.approx(3 / 4) and report.temperature == 2.0
    assert report.confusion[0].tolist()[:4] == [1, 0, 0, 1]
    half = math.log(math.exp(0.5) + math.exp(0.1) + 8)
    assert report.loss == pytest.approx((3 * (half - 0.5) + half) / 4, rel=1e-6)


def test_mistakes_most_confident_first_and_per_confusion_cell():
    labels = np.array([1, 2, 3, 1, 5])
    preds = np.array([2, 2, 1, 3, 3])
    top = np.array([2.0, 9.0, 4.0, 3.0, 1.0])      # the predicted digit's logit, all others 0
    logits = np.zeros((5, 10))
    logits[np.arange(5), preds] = top
    report = report_from_logits(logits, labels)
    assert report.mistakes().tolist() == [2, 3, 0, 4]          # wrong ones, by logit 4 > 3 > 2 > 1
    assert report.mistakes(true=1).tolist() == [3, 0]
    assert report.mistakes(predicted=3).tolist() == [3, 4]
    assert report.mistakes(true=1, predicted=3).tolist() == [3]
    assert report.mistakes(true=2).tolist() == []               # image 1 is right
    np.testing.assert_allclose(report.confidences, np.exp(top) / (np.exp(top) + 9))


def test_the_json_report_rounds_to_six_places_and_counts_errors():
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    preds = np.array([0, 1, 1, 1, 2, 2, 2])
    report = report_from_logits(np.eye(10)[preds] * 5.0, labels)
    out = report.to_dict()
    assert out["n"] == 7 and out["errors"] == 3 and out["test_accuracy"] == pytest.approx(4 / 7)
    assert out["precision"][:3] == [1.0, 0.333333, 0.666667] and out["recall"][:3] == [0.333333, 0.5, 1.0]
    assert out["f1"][:3] == [0.5, 0.4, 0.8] and out["temperature"] == 1.0
    assert out["confusion_matrix"][0][:3] == [1, 2, 0] and out["test_loss"] == report.loss
    # every image has confidence c = e^5 / (e^5 + 9), 4 of 7 right: one bin, |4/7 - c|
    c = math.exp(5) / (math.exp(5) + 9)
    assert out["ece"] == round(abs(4 / 7 - c), 6) and report.ece == pytest.approx(abs(4 / 7 - c))


def test_probabilities_are_floored_at_1e_7_and_renormalised():
    probs = np.zeros((2, 10))
    probs[0, 0] = 1.0                               # label 1 got probability 0: floored at 1e-7
    probs[1, :] = 0.1                               # a tie: argmax takes digit 0
    report = report_from_logits(probs, np.array([1, 0]), outputs_are_probabilities=True)
    first = -math.log(1e-7 / (1 + 9e-7))
    second = -math.log(0.1)
    assert report.loss == pytest.approx((first + second) / 2, rel=1e-9)
    np.testing.assert_allclose(report.probabilities[0, 1:], 1e-7 / (1 + 9e-7), rtol=1e-9)
    assert report.predictions.tolist() == [0, 0] and report.accuracy == 0.5


def test_every_json_figure_is_kept_to_six_decimals():
    # 0 -> 0 x2, 0 -> 1 x2, 1 -> 0, 1 -> 1: digit 0 has precision 2/3 and recall 1/2, so f1 4/7; logits
    # 2.3 at the prediction so that the ECE is no short decimal either
    labels = np.array([0, 0, 0, 0, 1, 1])
    preds = np.array([0, 0, 1, 1, 0, 1])
    report = report_from_logits(np.eye(10)[preds] * 2.3, labels)
    np.testing.assert_allclose(report.f1[:2], [4 / 7, 0.4])
    assert all(round(float(v), 7) != round(float(v), 6) for v in (report.f1[0], report.ece))
    out = report.to_dict()
    assert out["f1"][:2] == [0.571429, 0.4] and out["ece"] == round(report.ece, 6)
    assert out["precision"][:2] == [0.666667, 0.333333] and out["recall"][:2] == [0.5, 0.5]


def test_probabilities_above_one_are_capped_before_renormalising():
    probs = np.zeros((1, 10))
    probs[0, :2] = [1.5, 0.5]                       # capped to 1: (1, 0.5, 1e-7 x 8) / (1.5 + 8e-7)
    report = report_from_logits(probs, np.array([1]), outputs_are_probabilities=True)
    assert report.probabilities[0, 1] == pytest.approx(0.5 / (1.5 + 8e-7), rel=1e-9)
    assert report.loss == pytest.approx(-math.log(0.5 / (1.5 + 8e-7)), rel=1e-9)


def test_a_report_made_by_hand_is_at_temperature_one():
    report = report_from_logits(np.eye(10)[[3]], np.array([3]))
    fields = {k: getattr(report, k) for k in ("n", "accuracy", "loss", "confusion", "precision", "recall", "f1",
                                                "labels", "predictions", "probabilities")}
    assert EvaluationReport(**fields).temperature == 1.0
