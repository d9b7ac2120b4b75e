"""Core's figures against values worked out by hand, not by the code under test (issue 33).

Each test here catches a one-line bug that the rest of the suite let through: the expected values
come from a small case small enough to compute on paper, so a bug in the formula cannot also be in
the expectation. Numpy only: these are the fast tests `make mutation` runs per mutant.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from hwr_desktop.core.data.preprocess import to_gray
from hwr_desktop.core.models.calibration import fit_temperature
from hwr_desktop.core.models.evaluation import report_from_logits
from hwr_desktop.core.network.design import check_design
from hwr_desktop.core.reading.ctc import align, beam_search, greedy
from hwr_desktop.core.store.runs import FINISHED, RunStore


def test_precision_and_recall_of_a_small_confusion_matrix_worked_by_hand():
    # label -> predicted: 0->0, 0->1, 0->1, 1->1, 1->2, 2->2, 2->2
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    preds = np.array([0, 1, 1, 1, 2, 2, 2])
    logits = np.eye(10)[preds] * 5.0
    report = report_from_logits(logits, labels)
    assert report.confusion[:3, :3].tolist() == [[1, 2, 0], [0, 1, 1], [0, 0, 2]]
    assert report.accuracy == pytest.approx(4 / 7) and report.n == 7
    # precision: right / predicted as that digit (a column); recall: right / truly that digit (a row)
    np.testing.assert_allclose(report.precision[:3], [1 / 1, 1 / 3, 2 / 3])
    np.testing.assert_allclose(report.recall[:3], [1 / 3, 1 / 2, 2 / 2])
    np.testing.assert_allclose(report.f1[:3], [0.5, 0.4, 0.8])
    assert not report.precision[3:].any() and not report.recall[3:].any()     # digits never seen nor predicted
    # Loss: -log softmax at the label; logit 5 at the prediction, 0 elsewhere (4 right, 3 wrong).
    def loss(top):
        return (4 * (math.log(math.exp(top) + 9) - top) + 3 * math.log(math.exp(top) + 9)) / 7
    assert report.loss == pytest.approx(loss(5.0), rel=1e-5) and report.temperature == 1.0
    scaled = report_from_logits(logits, labels, temperature=2.0)          # logits / T
    assert scaled.loss == pytest.approx(loss(2.5), rel=1e-5) and scaled.temperature == 2.0
    np.testing.assert_array_equal(scaled.predictions, preds)
    # A softmax model's probabilities are used as they are: the temperature is ignored.
    probs = np.full((7, 10), 0.3 / 9)
    probs[np.arange(7), preds] = 0.7
    given = report_from_logits(probs, labels, outputs_are_probabilities=True, temperature=2.0)
    assert given.loss == pytest.approx((4 * -math.log(0.7) + 3 * -math.log(0.3 / 9)) / 7, rel=1e-5)
    assert given.temperature == 1.0 and given.accuracy == pytest.approx(4 / 7)


def test_each_colour_channel_has_its_own_luminance_weight():
    # One pure channel per pixel: R, G and B weigh 0.299, 0.587 and 0.114 (ITU-R BT.601), whatever
    # order a bug would read them in.
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[0, 0, 0], rgb[0, 1, 1], rgb[0, 2, 2] = 255, 255, 255
    np.testing.assert_allclose(to_gray(rgb)[0], [0.299, 0.587, 0.114], atol=1e-6)
    rgba = np.concatenate([rgb, np.full((1, 3, 1), 255, np.uint8)], axis=2)      # fully opaque: same
    np.testing.assert_allclose(to_gray(rgba)[0], [0.299, 0.587, 0.114], atol=1e-6)


def _frames(*classes_per_frame: int) -> np.ndarray:
    """Frames certain of one class each (0 = blank, d + 1 = digit d), as log-probabilities."""
    z = np.full((len(classes_per_frame), 11), -20.0)
    z[np.arange(len(classes_per_frame)), classes_per_frame] = 0.0
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_a_digit_alone_in_the_very_last_frame_is_read_by_every_decoder():
    lp = _frames(0, 5, 0, 8)                  # blank, 4, blank, 7: the 7 lives only in the last frame
    assert greedy(lp) == (4, 7)
    assert beam_search(lp)[0].digits == (4, 7)
    assert align(lp, (4, 7)) == [(1, 1), (3, 3)]
    lp = _frames(0, 0, 10)                     # a single digit, in the last frame only
    assert greedy(lp) == (9,) and beam_search(lp)[0].digits == (9,) and align(lp, (9,)) == [(2, 2)]
    lp = _frames(4, 0, 0)                      # ... and in the first frame only
    assert greedy(lp) == (3,) and beam_search(lp)[0].digits == (3,) and align(lp, (3,)) == [(0, 0)]


def test_beam_search_never_grows_a_string_past_max_digits():
    lp = _frames(2, 0, 3, 0, 4)                # 1, 2, 3
    assert beam_search(lp)[0].digits == (1, 2, 3)
    assert max(len(beam.digits) for beam in beam_search(lp, max_digits=2)) == 2


# Each layer type on its own row, with its shape, parameters and multiply-adds counted by hand
# from a 28x28x1 image. Multiply-adds: one per weight per output position (biases not counted).
HAND_COUNTED = [
    # Conv2D 4 filters 3x3 'valid': 26x26x4; 3*3*1*4 + 4 weights; 26*26 * 3*3*1*4 multiply-adds
    ({"type": "Conv2D", "filters": 4, "kernel_size": 3}, (26, 26, 4), 40, 26 * 26 * 36),
    # DepthwiseConv2D 5x5 'same' on 4 channels: 26x26x4; 5*5*4 + 4; 26*26 * 5*5 * 4
    ({"type": "DepthwiseConv2D", "kernel_size": 5, "padding": "same"}, (26, 26, 4), 104, 26 * 26 * 100),
    # SeparableConv2D 6 filters 3x3 'valid': 24x24x6; depthwise 3*3*4 + pointwise 4*6 + 6 biases
    ({"type": "SeparableConv2D", "filters": 6, "kernel_size": 3}, (24, 24, 6), 66, 24 * 24 * (36 + 24)),
    ({"type": "MaxPooling2D", "pool_size": 2}, (12, 12, 6), 0, 0),
    ({"type": "BatchNormalization"}, (12, 12, 6), 4 * 6, 0),
    ({"type": "AveragePooling2D", "pool_size": 3, "strides": 3}, (4, 4, 6), 0, 0),
    ({"type": "Conv2D", "filters": 5, "kernel_size": 2, "strides": 2, "use_bias": False}, (2, 2, 5), 2 * 2 * 6 * 5,
     2 * 2 * 2 * 2 * 6 * 5),
    ({"type": "Flatten"}, (20,), 0, 0),
    ({"type": "Dense", "units": 7}, (7,), 20 * 7 + 7, 20 * 7),
    ({"type": "Dropout", "rate": 0.5}, (7,), 0, 0),
    ({"type": "Dense", "units": 10}, (10,), 7 * 10 + 10, 7 * 10),
]


def test_every_layer_types_shape_parameters_and_multiply_adds_match_a_hand_count():
    design = check_design({"name": "hand", "layers": [layer for layer, *_ in HAND_COUNTED]})
    assert design.ok, design.errors
    assert [(r.type, r.output_shape, r.params, r.macs) for r in design.rows] == [
        (layer["type"], shape, params, macs) for layer, shape, params, macs in HAND_COUNTED]
    assert design.params == sum(p for *_, p, _ in HAND_COUNTED)
    assert design.macs == sum(m for *_, m in HAND_COUNTED)
    gap = check_design({"name": "gap", "layers": [{"type": "Conv2D", "filters": 3, "kernel_size": 28},
                                                  {"type": "GlobalAveragePooling2D"}, {"type": "Dense", "units": 10}]})
    assert [(r.output_shape, r.params, r.macs) for r in gap.rows] == [
        ((1, 1, 3), 28 * 28 * 3 + 3, 28 * 28 * 3), ((3,), 0, 0), ((10,), 40, 30)]


@pytest.mark.parametrize(("a", "n_first", "n"), [(2.0, 9, 10), (2.0, 60, 100), (10.0, 5, 10), (1.0, 97, 100)])
def test_fit_temperature_finds_the_exact_optimum_to_a_thousandth(a, n_first, n):
    # Every image has logits (a, 0, ..., 0); a fraction q of them are digit 0, the rest another digit.
    # The likelihood is best when softmax gives digit 0 exactly q: e^(a/T) / (e^(a/T) + 9) = q,
    # so T = a / log(9q / (1 - q)). These T fall between the search's grid points.
    q = n_first / n
    expected = a / math.log(9 * q / (1 - q))
    logits = np.zeros((n, 10))
    logits[:, 0] = a
    labels = np.where(np.arange(n) < n_first, 0, 3)
    assert fit_temperature(logits, labels) == pytest.approx(expected, rel=1e-3)


def test_a_run_whose_model_file_was_deleted_offers_no_model(tmp_path):
    with RunStore(tmp_path / "runs" / "runs.sqlite3") as store:
        run_id = store.start("train", {"name": "quick", "layers": []}, {}, {})
        store.models_dir.mkdir(parents=True)
        path = store.model_path(run_id)
        path.write_bytes(b"model")
        store.attach_model(run_id, path)
        store.finish(run_id, FINISHED, {})
        assert store.get(run_id).model == path
        path.unlink()                        # deleted behind the app's back
        assert store.get(run_id).model is None
        assert [run.model for run in store.list()] == [None]
