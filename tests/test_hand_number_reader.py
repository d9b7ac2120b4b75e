"""The number reader's combination (core/reading/number_reader.py) with stand-in models (issue 33).

No TensorFlow: the sequence reader's network is a function that puts fixed frame logits on the
strip, and the digit model a predictor that gives every crop the same ten probabilities, so what
the combination makes of them (crops, cuts, scores, the number's and each digit's probability)
can be worked out by hand. The readings of real numbers by the bundled models are in
tests/test_number_reader.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from hwr_desktop.core.data.preprocess import preprocess
from hwr_desktop.core.reading import number_reader
from hwr_desktop.core.reading.ctc import Beam
from hwr_desktop.core.reading.number_reader import (
    MIN_LOG,
    Analysis,
    Candidate,
    ReaderSettings,
    SequenceReader,
    _cuts,
    _own_marks,
    analyse,
    decide,
    posterior,
    read_number,
    scores,
)
from hwr_desktop.core.segmentation.marks import find_marks

# What the digit model says of every crop.
P = np.zeros(10)
P[[1, 7, 4, 0]] = [0.4, 0.3, 0.2, 0.1]


def _image() -> np.ndarray:
    """Black marks on white: a bar at x 20-25, a bar at x 60-65, an H at x 84-101 (rows 15-44)."""
    image = np.full((60, 120), 255, np.uint8)
    image[15:45, 20:26] = 0
    image[15:45, 60:66] = 0
    image[15:45, 84:90] = 0
    image[28:32, 84:100] = 0
    image[15:45, 96:102] = 0
    return image


def _frame_logits(x, training):
    """(1, T, 11) logits, frame f for strip columns 2f and 2f + 1 (the strip is 64 wide: 32 frames).
    The marks land on strip columns 5-8, 31-34 and 47-58 (see test_analyse...)."""
    assert training is False and x.dtype == np.float32 and x.shape[:2] == (1, 32) and x.shape[3] == 1
    z = np.zeros((1, x.shape[2] // 2, 11))
    z[0, :, 0] = 8.0                       # blank
    z[0, 3, 2] = z[0, 16, 8] = z[0, 24, 5] = 16.0     # a sure 1, 7 and 4 (classes are digit + 1)
    z[0, 29, 2] = 7.5                      # an unsure second 1 at the right end of the H
    z[0, 10, 9] = 7.0                      # an unsure 8 at strip columns 20-21, where there is no ink
    return z


class Predictor:
    def __init__(self):
        self.calls = []

    def probabilities(self, images):
        assert images.shape[1:] == (28, 28)
        self.calls.append(len(images))
        return np.tile(P, (len(images), 1))


def _near(box, drawn, slack=1):
    return all(abs(a - b) <= slack for a, b in zip(box, drawn))


def test_analyse_cuts_each_strings_digits_and_asks_the_digit_model_once_per_crop():
    predictor = Predictor()
    analysis = analyse(SequenceReader(_frame_logits), predictor, _image())
    assert analysis.line.strip.shape == (32, 64) and len(analysis.pieces) == 3
    by_text = {c.beam.text: c for c in analysis.candidates}
    assert len(analysis.candidates) == 6 and {"174", "1741", "18741"} <= set(by_text)
    log = {d: math.log(P[d]) for d in (1, 7, 4)}
    apart = by_text["174"]
    assert apart.digit_log == pytest.approx([log[1], log[7], log[4]]) and apart.apart == [True, True, True]
    # the boxes: the drawn marks (x1, y1 exclusive), give or take the strip's rounding
    drawn = [(20, 15, 26, 45), (60, 15, 66, 45), (84, 15, 102, 45)]
    assert all(_near(b, d) for b, d in zip(apart.boxes, drawn)), apart.boxes
    np.testing.assert_array_equal(apart.probabilities[0], P)
    # "1741": the H is one component shared by the 4 and the last 1 (it reaches past their cut at
    # strip column (49 + 59) / 2 = 54, image x ~95, by more than OWN_SLACK): cut, so not apart
    touching = by_text["1741"]
    assert touching.apart == [True, True, False, False]
    assert touching.digit_log == pytest.approx([log[1], log[7], log[4], log[1]])
    left, right = touching.boxes[2], touching.boxes[3]
    assert _near(left, (84, 15, 96, 45), 2) and _near(right, (95, 15, 102, 45), 2) and left[2] - right[0] <= 1
    # "18741": the 8 is where there is no ink: an empty crop, not shown to the digit model, floored
    # at MIN_LOG, and its box the whole marks' box
    empty = by_text["18741"]
    assert empty.digit_log[1] == MIN_LOG == math.log(1e-4) and empty.probabilities[1].tolist() == [0.0] * 10
    assert empty.boxes[1] == analysis.line.box and _near(analysis.line.box, (20, 15, 102, 45), 2)
    # five different inked crops, asked once, together: 174's three digits own the three marks, so
    # they are read on the marks cut out of the full-resolution image (as the digit reader cuts
    # them), and 1741's halves of the H on the strip
    assert predictor.calls == [5]
    marks = find_marks(_image())
    for image, piece in zip(apart.images, marks.pieces):
        np.testing.assert_array_equal(image, preprocess(marks.cut_out(piece).crop).image)
    assert touching.images[:2] == apart.images[:2] and touching.images[2].shape == (28, 28)
    assert not any(np.array_equal(touching.images[2], image) for image in apart.images)
    # the combination: score = log P_ctc + apart 1.0 x log P_digit (touching 0.3 x), softmax over the strings
    settings = ReaderSettings()
    hand = [c.beam.log_probability + sum((1.0 if a else 0.3) * v for a, v in zip(c.apart, c.digit_log))
            for c in analysis.candidates]
    np.testing.assert_allclose(scores(analysis, settings), hand)
    result = read_number(predictor, _image(), SequenceReader(_frame_logits), 0.0)
    post = np.exp(np.array(hand) - max(hand)) / np.exp(np.array(hand) - max(hand)).sum()
    best = int(np.argmax(post))
    assert result.text == analysis.candidates[best].beam.text == "1741"
    assert result.confidence == pytest.approx(post[best])


def test_the_gate_judges_inked_crops_only(monkeypatch):
    # A stand-in gate sure that every crop it sees is not a digit: the empty crop of "18741" (its 8
    # where there is no ink) is not shown to it and carries 0, as a digit the gate was not asked about.
    class Gate:
        threshold = 0.5

        def probability(self, images):
            return np.ones(len(images))
    import hwr_desktop.core.models.not_digit as not_digit
    monkeypatch.setattr(not_digit, "bundled_gate", lambda: Gate())
    predictor = Predictor()
    predictor.use_gate = True
    analysis = analyse(SequenceReader(_frame_logits), predictor, _image())
    empty = {c.beam.text: c for c in analysis.candidates}["18741"]
    assert empty.not_digit == [1.0, 0.0, 1.0, 1.0, 1.0] and analysis.gate_threshold == 0.5


def test_a_blank_image_reads_nothing():
    predictor = Predictor()
    result = read_number(predictor, np.full((40, 60), 255, np.uint8), SequenceReader(_frame_logits))
    assert result.digits == [] and result.confidence == 0.0 and predictor.calls == []


def test_the_reader_uses_its_own_settings():
    strict = SequenceReader(_frame_logits, ReaderSettings(digit_threshold=1.0))
    result = read_number(Predictor(), _image(), strict, 0.0)
    assert "?" in result.text and len(result.digits) == 4


def test_a_digit_standing_apart_owns_the_one_mark_it_spans():
    marks = [(0, 0, 10, 40), (20, 5, 30, 40), (40, 0, 60, 40)]
    # the strip's boxes are coarse: a column or two either way still spans the mark
    assert _own_marks(marks, [(1, 0, 10, 40), (19, 0, 31, 40)], [True, True]) == [0, 1]
    # a crop cut out of touching ink owns nothing, though its columns are the mark's
    assert _own_marks(marks, [(0, 0, 10, 40)], [False]) == [None]
    # half of a mark (10 of 20 columns) is not the mark; nor are two marks together
    assert _own_marks(marks, [(40, 0, 50, 40), (50, 0, 60, 40)], [True, True]) == [None, None]
    assert _own_marks(marks, [(0, 0, 30, 40)], [True]) == [None]
    # two digits of one string on the same mark: neither owns it
    assert _own_marks(marks, [(0, 0, 10, 40), (1, 0, 10, 40), (20, 0, 30, 40)], [True] * 3) == [None, None, 1]
    # the bar is "at least OWN_OVERLAP of the union": 14 of 20 columns is 0.7
    assert number_reader.OWN_OVERLAP == 0.7
    assert _own_marks(marks, [(40, 0, 54, 40)], [True]) == [2]
    assert _own_marks(marks, [(40, 0, 53, 40)], [True]) == [None]
    assert _own_marks([], [(0, 0, 10, 40)], [True]) == [None]


def test_cuts_fall_half_way_between_the_digits_frames():
    # frame f covers strip columns 2f and 2f + 1: frames 3, 16 and 20-22 centre on columns 7, 33 and 43
    assert _cuts([(3, 3), (16, 16), (20, 22)], 64) == [(0, 20), (20, 38), (38, 64)]
    assert _cuts([(5, 6)], 30) == [(0, 30)]
    assert _cuts([], 30) == [(0, 30)]


def test_frame_log_probabilities_are_a_log_softmax_per_frame():
    reader = SequenceReader(lambda x, training: np.array([[[0.0, math.log(3.0)] + [-np.inf] * 9,
                                                           [1000.0, 0.0] + [-np.inf] * 9]]))
    out = reader.frame_log_probs(np.zeros((32, 4), np.float32))
    np.testing.assert_allclose(out[:, :2], [[math.log(0.25), math.log(0.75)], [0.0, -1000.0]], atol=1e-12)


def _candidate(digits, log_probability, probabilities, apart=None, digit_log=None):
    n = len(digits)
    return Candidate(Beam(tuple(digits), log_probability), digit_log or [0.0] * n, apart or [True] * n,
                     [np.asarray(p, float) for p in probabilities], [(10 * i, 0, 10 * i + 8, 10) for i in range(n)])


def test_digits_the_strings_leave_open_are_filled_in_by_the_digit_model():
    # "12" (score log 0.5), "13" (log 0.3) and "7" (log 0.2): posteriors 0.5, 0.3, 0.2.
    second = np.zeros(10)
    second[[2, 3, 5]] = [1.0, 0.5, 0.5]                   # the digit model's view, summing to 2: halved
    first = np.eye(10)[1]
    analysis = Analysis(None, [_candidate((1, 2), math.log(0.5), [first, second]),
                               _candidate((1, 3), math.log(0.3), [first, second]),
                               _candidate((7,), math.log(0.2), [np.eye(10)[7]])])
    result = decide(analysis, ReaderSettings(digit_threshold=0.0), 0.0)
    assert result.text == "12" and result.confidence == pytest.approx(0.5)
    one, two = result.digits
    # digit 1: both two-digit strings say 1 (0.8); the open 0.2 goes to the digit model's 1
    assert one.confidence == pytest.approx(1.0)
    # digit 2: 0.5 votes 2, 0.3 votes 3; the open 0.2 split 0.5 / 0.25 / 0.25 over 2, 3, 5
    np.testing.assert_allclose(two.probabilities[[2, 3, 5]], [0.6, 0.35, 0.05], rtol=1e-6)
    assert two.confidence == pytest.approx(0.6) and two.box == (10, 0, 18, 10)
    assert [t for t, _ in result.readings] == ["12", "13", "7"]
    np.testing.assert_allclose([p for _, p in result.readings], [0.5, 0.3, 0.2])
    # at number temperature 2 the posteriors are softmax(log p / 2): proportional to sqrt(p)
    warm = posterior(analysis, ReaderSettings(number_temperature=2.0))
    np.testing.assert_allclose(warm, np.sqrt([0.5, 0.3, 0.2]) / np.sqrt([0.5, 0.3, 0.2]).sum())
    assert posterior(Analysis(None, []), ReaderSettings()).shape == (0,)


def test_apart_and_touching_digits_weigh_the_digit_model_differently():
    analysis = Analysis(None, [_candidate((4, 2), -1.0, [np.eye(10)[4]] * 2, apart=[True, False],
                                          digit_log=[-2.0, -10.0])])
    assert scores(analysis, ReaderSettings(apart_weight=0.5, touching_weight=0.25)).tolist() == [-1.0 - 1.0 - 2.5]
    assert scores(Analysis(None, [_candidate((), -3.0, [])]), ReaderSettings()).tolist() == [-3.0]


def test_the_bars_take_equality_as_sure_enough():
    alone = Analysis(None, [_candidate((4, 2), -1.0, [np.eye(10)[4], np.eye(10)[2]])])    # posterior 1
    assert decide(alone, ReaderSettings(digit_threshold=1.0, number_threshold=1.0), 1.0).text == "42"


def test_an_unsure_number_marks_only_its_least_sure_digit():
    second = np.zeros(10)
    second[[2, 3]] = [0.5, 0.5]
    analysis = Analysis(None, [_candidate((4, 2), math.log(0.6), [np.eye(10)[4], second]),
                               _candidate((4, 3), math.log(0.25), [np.eye(10)[4], second]),
                               _candidate((9, 3), math.log(0.1), [np.eye(10)[9], second]),
                               _candidate((8, 8), math.log(0.05), [np.eye(10)[8], second])])
    result = decide(analysis, ReaderSettings(digit_threshold=0.0, number_threshold=0.7), 0.0)
    # 0.6 < 0.7: the least sure digit (the 2, at 0.6; the 4 is at 0.85) becomes '?'
    assert result.text == "4?" and result.digits[1].confidence == pytest.approx(0.6)
    assert result.digits[0].confidence == pytest.approx(0.85) and "whole number" in result.digits[1].why
    assert len(result.readings) == 3                       # the likeliest three of four
    # a digit already '?' (below the digit bar) is not joined by another
    both = decide(analysis, ReaderSettings(digit_threshold=0.7, number_threshold=0.7), 0.0)
    assert both.text == "4?" and "disagree" in both.digits[1].why
    assert decide(Analysis(None, []), ReaderSettings()).digits == []
    # the not-a-digit gate's reason replaces the whole number's, for a digit standing apart only
    for candidate in analysis.candidates:
        candidate.not_digit = [0.0, 0.995]
    gated = Analysis(None, analysis.candidates, gate_threshold=0.9)
    assert decide(gated, ReaderSettings(digit_threshold=0.0, number_threshold=0.7), 0.0).digits[1].why == \
        "not a digit (100% sure)"
    for candidate in analysis.candidates:          # the gate's bar: at least 0.99 (and its own threshold)
        candidate.not_digit = [0.0, number_reader.MARK_NOT_DIGIT_AT]
    assert decide(gated, ReaderSettings(digit_threshold=0.0, number_threshold=0.7), 0.0).digits[1].why == \
        "not a digit (99% sure)"
    for candidate in analysis.candidates:
        candidate.apart = [True, False]
    assert "whole number" in decide(gated, ReaderSettings(digit_threshold=0.0, number_threshold=0.7), 0.0).digits[1].why


def test_reading_settings_at_their_bounds():
    edges = ReaderSettings.from_dict({"digit_threshold": 1, "number_threshold": 0, "touching_weight": 0,
                                      "apart_weight": 2, "number_temperature": 0.5})
    assert edges == ReaderSettings(2.0, 0.0, 0.5, 1.0, 0.0) and isinstance(edges.digit_threshold, float)
    refused = ReaderSettings.from_dict({"digit_threshold": 1.01, "number_threshold": -0.1, "touching_weight": True,
                                        "apart_weight": float("inf"), "number_temperature": 0})
    assert refused == ReaderSettings()
    assert ReaderSettings.from_dict(ReaderSettings(0.5, 0.1, 2.0, 0.25, 0.3).to_dict()) == ReaderSettings(
        0.5, 0.1, 2.0, 0.25, 0.3)
    assert ReaderSettings.from_dict([1]) == ReaderSettings()


def test_no_bundled_reader_is_remembered_as_none(monkeypatch, tmp_path):
    import hwr_desktop.resources as resources
    monkeypatch.setattr(resources, "number_reader_path", lambda: tmp_path / "none.keras")
    monkeypatch.setattr(number_reader, "_BUNDLED", {})
    assert number_reader.bundled_reader() is None and number_reader.bundled_reader() is None
    assert number_reader._BUNDLED == {tmp_path / "none.keras": None}


def test_components_are_the_strips_ink_above_INK_with_their_column_spans():
    strip = np.zeros((6, 12), np.float32)
    strip[1:4, 3:6] = 0.9                        # columns 3-5
    strip[2, 9] = 0.5                            # column 9 alone
    strip[4, 0] = 0.1                            # faint: not ink
    labels, spans = number_reader._components(strip)
    assert spans == [(3, 6), (9, 10)] and labels.max() == 2 and labels[4, 0] == 0


def _crops_case():
    """A 4-row strip, 20 columns, cut at 10: ink of digit 0 at columns 2-4, of digit 1 at 13-15, and a
    faint mark (below INK) at column 6."""
    strip = np.zeros((4, 20), np.float32)
    strip[1, 2:5] = 0.9
    strip[1, 13:16] = 0.9
    strip[3, 6] = 0.1
    return strip


def test_crops_keep_each_digits_own_ink_and_the_faint_edges_in_its_columns():
    strip = _crops_case()
    labels, spans = number_reader._components(strip)
    crops, apart = number_reader._crops(strip, labels, spans, [(0, 10), (10, 20)])
    assert apart == [True, True]
    np.testing.assert_array_equal(crops[0][1], np.float32([0, 0, 0.9, 0.9, 0.9] + [0] * 15))
    assert crops[0][3, 6] == np.float32(0.1) and crops[1][3, 6] == 0.0       # the faint mark: by column
    np.testing.assert_array_equal(crops[1][1], np.float32([0] * 13 + [0.9, 0.9, 0.9] + [0] * 4))
    assert crops[0].dtype == np.float32


def test_a_component_may_reach_OWN_SLACK_columns_past_its_cut_and_stay_its_digits():
    assert number_reader.OWN_SLACK == 4
    for reach, own in ((4, True), (5, False)):
        # digit 0's stroke runs from column 2 to 9 + reach (its centre stays left of the cut at 10)
        strip = np.zeros((4, 30), np.float32)
        strip[1, 2:10 + reach] = 0.9
        labels, spans = number_reader._components(strip)
        crops, apart = number_reader._crops(strip, labels, spans, [(0, 10), (10, 30)])
        assert apart == [own, own]
        if own:    # all of it in digit 0's crop, none in digit 1's (even in digit 1's columns)
            assert crops[0][1, 2:10 + reach].all() and not crops[1].any()
        else:      # shared: cut by columns
            assert crops[0][1, :10].sum() == pytest.approx(0.9 * 8) and crops[1][1, 10:10 + reach].all()
            assert not crops[0][1, 10:].any() and not crops[1][1, :10].any()
    # ... and the same on the left: digit 1's stroke from column 10 - reach to 25
    for reach, own in ((4, True), (5, False)):
        strip = np.zeros((4, 30), np.float32)
        strip[1, 10 - reach:26] = 0.9
        labels, spans = number_reader._components(strip)
        _, apart = number_reader._crops(strip, labels, spans, [(0, 10), (10, 30)])
        assert apart == [own, own]


def test_a_component_centred_exactly_on_a_cut_belongs_to_the_digit_right_of_it():
    strip = np.zeros((4, 20), np.float32)
    strip[1, 8:12] = 0.9                         # columns 8-11: centre (8 + 12) / 2 = 10, the cut
    labels, spans = number_reader._components(strip)
    crops, apart = number_reader._crops(strip, labels, spans, [(0, 10), (10, 20)])
    assert apart == [True, True] and not crops[0].any() and crops[1][1, 8:12].all()


def test_an_empty_crops_box_is_the_whole_strip():
    from hwr_desktop.core.reading.strips import StripInput
    line = StripInput(np.zeros((32, 64), np.float32), 0.0, 0.0, 1.0, (-100, -100, 1000, 1000))
    assert number_reader._ink_box(line, np.zeros((32, 64), np.float32)) == (0, 0, 64, 32)
    crop = np.zeros((32, 64), np.float32)
    crop[5:9, 10:20] = 0.5
    assert number_reader._ink_box(line, crop) == (10, 5, 20, 9)


def test_posteriors_of_very_unlikely_strings_do_not_underflow():
    analysis = Analysis(None, [_candidate((1,), -800.0, [np.eye(10)[1]]), _candidate((2,), -801.0, [np.eye(10)[2]])])
    np.testing.assert_allclose(posterior(analysis, ReaderSettings()), [1 / (1 + math.exp(-1)), 1 / (1 + math.e)])


def test_the_digit_models_view_is_normalised_before_it_fills_the_gap():
    half = np.zeros(10)
    half[[2, 3]] = [0.25, 0.25]                  # sums to 0.5: read as 2 and 3 at 0.5 each
    analysis = Analysis(None, [_candidate((2,), math.log(0.6), [half]), _candidate((7, 7), math.log(0.4), [half, half])])
    digit = decide(analysis, ReaderSettings(digit_threshold=0.0), 0.0).digits[0]
    # 0.6 votes 2; the open 0.4 split 0.5 / 0.5 over 2 and 3
    assert digit.confidence == pytest.approx(0.8) and digit.probabilities[3] == pytest.approx(0.2)


def test_the_sequence_readers_input_and_output_shapes():
    # strips 32 px high with one channel in; per frame 11 classes out (blank and the ten digits)
    assert SequenceReader.SHAPES == ((32, None, 1), (None, 11))
