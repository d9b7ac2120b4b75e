"""core/models/calibration.py against values worked out by hand (issue 33; numpy only, no TensorFlow).

The case used throughout: every image has logits (a, 0, ..., 0) and a fraction q of them are digit 0.
At temperature T the softmax gives digit 0  p(T) = e^(a/T) / (e^(a/T) + 9)  and every other digit
(1 - p) / 9, so the mean NLL is  -q log p - (1 - q) log((1 - p) / 9), best where p(T) = q.
tests/test_calibration.py checks the same functions on real models but imports TensorFlow.
"""
from __future__ import annotations

import math
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from hwr_desktop.core.models.calibration import (
    T_RANGE,
    calibrate,
    calibrated_probabilities,
    expected_calibration_error,
    fit_temperature,
    fitted_calibration,
    nll,
)
from hwr_desktop.core.models.info import Calibration, ModelInfo


def _case(a: float, n_first: int, n: int, other: int = 3):
    logits = np.zeros((n, 10))
    logits[:, 0] = a
    return logits, np.where(np.arange(n) < n_first, 0, other)


def _p(a: float, t: float) -> float:
    return math.exp(a / t) / (math.exp(a / t) + 9)


def _nll(a: float, q: float, t: float) -> float:
    p = _p(a, t)
    return -q * math.log(p) - (1 - q) * math.log((1 - p) / 9)


@pytest.mark.parametrize("t", [1.0, 0.5, 3.0])
def test_nll_by_hand(t):
    logits, labels = _case(2.0, 3, 4)
    assert nll(logits, labels, t) == pytest.approx(_nll(2.0, 0.75, t), rel=1e-12)
    assert nll(logits, labels) == pytest.approx(_nll(2.0, 0.75, 1.0), rel=1e-12)


@pytest.mark.parametrize(("a", "n_first", "n"), [(2.0, 60, 100), (4.0, 3, 4), (1.0, 97, 100)])
def test_fit_temperature_converges_far_below_a_grid_step(a, n_first, n):
    # 40 golden-section steps shrink the bracket to 0.618**40 (4e-9) of two grid steps
    logits, labels = _case(a, n_first, n)
    q = n_first / n
    assert fit_temperature(logits, labels) == pytest.approx(a / math.log(9 * q / (1 - q)), rel=1e-6)


def test_fit_temperature_stops_at_the_ends_of_its_range():
    logits, right = _case(0.1, 10, 10)
    # always right: the NLL falls as T falls, so the search ends at the low end of the range (a small
    # a, so that e^(a/T) does not round p(T) to exactly 1 there and flatten the NLL)
    assert fit_temperature(logits, right) == pytest.approx(T_RANGE[0], rel=1e-6)
    # never right: the NLL falls as T grows (towards uniform), so it ends at the high end
    logits, wrong = _case(3.0, 0, 10)
    assert fit_temperature(logits, wrong) == pytest.approx(T_RANGE[1], rel=1e-6)
    assert T_RANGE == (0.05, 20.0)
    assert fit_temperature(np.zeros((0, 10)), np.zeros(0, np.int64)) == 1.0


def test_calibrated_probabilities_by_hand():
    logits = np.array([[math.log(3.0) * 2, 0.0, 0.0]])
    # T = 2: softmax(log 3, 0, 0) = (3, 1, 1) / 5
    np.testing.assert_allclose(calibrated_probabilities(logits, 2.0), [[0.6, 0.2, 0.2]], rtol=1e-12)
    np.testing.assert_allclose(calibrated_probabilities(logits), [[9 / 11, 1 / 11, 1 / 11]], rtol=1e-12)
    probs = np.array([[0.5, 0.5, 0.0], [2.0, 0.0, 0.0]])
    # probabilities: floored at 1e-7, capped at 1, rows renormalised; the temperature is not used
    np.testing.assert_allclose(calibrated_probabilities(probs, 2.0, outputs_are_probabilities=True),
                               [[0.5 / (1 + 1e-7), 0.5 / (1 + 1e-7), 1e-7 / (1 + 1e-7)],
                                [1 / (1 + 2e-7), 1e-7 / (1 + 2e-7), 1e-7 / (1 + 2e-7)]], rtol=1e-9)


def test_fitted_calibration_records_the_fit_and_the_figures_before_and_after():
    a, q = 2.0, 0.6
    logits, labels = _case(a, 1200, 2000)
    calibration = fitted_calibration(logits, labels)
    t = a / math.log(9 * q / (1 - q))
    assert calibration.temperature == pytest.approx(t, rel=1e-5)
    assert calibration.fitted_on == "validation (2,000 MNIST images)"
    extra = calibration.extra
    assert extra["method"] == "temperature scaling (validation NLL)"
    # every image predicts digit 0 with confidence p(T) and 60 % are right: one bin, ECE |q - p|
    assert extra["val_ece_before"] == round(abs(q - _p(a, 1.0)), 6) and extra["val_ece_before"] > 0.1
    assert extra["val_ece_after"] == pytest.approx(0.0, abs=2e-6)
    assert extra["val_nll_before"] == round(_nll(a, q, 1.0), 6)
    assert extra["val_nll_after"] == pytest.approx(_nll(a, q, t), abs=1e-6) and extra["val_nll_after"] < _nll(a, q, 1.0)


def test_a_softmax_models_outputs_are_not_fitted():
    probs = np.full((4, 10), 0.05)
    probs[:, 0] = 0.55                      # 0.55 sure, 2 of 4 right: ECE 0.05
    calibration = fitted_calibration(probs, np.array([0, 0, 1, 2]), outputs_are_probabilities=True)
    assert calibration.temperature == 1.0 and calibration.fitted_on == ""
    assert "softmax" in calibration.extra["skipped"] and calibration.extra["val_ece"] == pytest.approx(0.05)


class _Out:
    def __init__(self, array):
        self.array = array

    def numpy(self):
        return self.array


def test_calibrate_fits_on_the_validation_split_only():
    # a stand-in model: logits = 2 x the first ten pixels (so image 0's first pixel at 1 gives (2, 0, ...))
    seen = []

    def model(batch, training):
        seen.append(len(batch))
        return _Out(2.0 * batch.reshape(len(batch), -1)[:, :10])

    x_val = np.zeros((100, 28, 28), np.uint8)
    x_val[:, 0, 0] = 255
    y_val = np.where(np.arange(100) < 60, 0, 3)
    data = SimpleNamespace(x_val=x_val, y_val=y_val, x_test=None, y_test=None)    # the test set is not read
    info = ModelInfo(preset="quick")
    out = calibrate(model, info, data, stop=threading.Event())
    assert seen == [100] and info.calibration is None               # a new info; the old one unchanged
    assert out.preset == "quick" and out.temperature == pytest.approx(2.0 / math.log(13.5), rel=1e-5)
    assert out.calibration.fitted_on == "validation (100 MNIST images)"
    given = calibrate(model, info, data, val_outputs=_case(2.0, 60, 100)[0])
    assert seen == [100] and given.temperature == pytest.approx(out.temperature)
    softmax_model = calibrate(model, info.replace(outputs="probabilities"), data,
                              val_outputs=np.full((100, 10), 0.1))
    assert softmax_model.calibration == Calibration(1.0, "", softmax_model.calibration.extra)
    assert softmax_model.temperature == 1.0 and "skipped" in softmax_model.calibration.extra


def test_the_recorded_figures_are_rounded_to_six_places():
    # two groups one temperature cannot both fit (61 % right at logit 2, 89 % at logit 4); each figure
    # is kept to six decimals, and none of the unrounded ones is short enough to hide a seventh
    a, labels_a = _case(2.0, 61, 100)
    b, labels_b = _case(4.0, 89, 100)
    b[:, [0, 5]] = b[:, [5, 0]]                     # the second group's likeliest digit is 5
    logits = np.vstack([a, b])
    labels = np.concatenate([labels_a, np.where(labels_b == 0, 5, labels_b)])
    t = fit_temperature(logits, labels)
    raw = {"temperature": t, "val_ece_before": expected_calibration_error(calibrated_probabilities(logits), labels),
           "val_ece_after": expected_calibration_error(calibrated_probabilities(logits, t), labels),
           "val_nll_before": nll(logits, labels), "val_nll_after": nll(logits, labels, t)}
    assert all(round(v, 7) != round(v, 6) for v in raw.values()), raw
    calibration = fitted_calibration(logits, labels)
    recorded = {"temperature": calibration.temperature, **{k: calibration.extra[k] for k in raw if k != "temperature"}}
    assert recorded == {k: round(v, 6) for k, v in raw.items()}
    probs = np.full((3, 10), 0.3 / 9)
    probs[:, 0] = 0.7                               # 0.7 sure, 1 of 3 right: ECE 0.7 - 1/3 = 0.366667
    skipped = fitted_calibration(probs, np.array([0, 1, 2]), outputs_are_probabilities=True)
    assert skipped.extra["val_ece"] == 0.366667
