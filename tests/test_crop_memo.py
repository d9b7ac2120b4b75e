"""The crop memo (core/reading/crop_memo.py): number mode's reads skip the crops an earlier read has
seen, and give the very answers a read without the memo gives. Stand-in models, no TensorFlow."""
from __future__ import annotations

import gc

import numpy as np

from hwr_desktop.core.reading.crop_memo import CropAnswer, CropMemo, crop_key
from hwr_desktop.core.reading.number_reader import SequenceReader, analyse, read_number


def _frame_logits(x, training):
    """A sure 1 under each mark of the strip (frames found from the strip's own ink)."""
    strip = x[0, :, :, 0]
    z = np.zeros((1, strip.shape[1] // 2, 11))
    z[0, :, 0] = 8.0
    columns = strip.max(axis=0) > 0.15
    starts = np.flatnonzero(columns[1:] & ~columns[:-1]) + 1
    for s in starts:
        z[0, (s + 2) // 2, 2] = 16.0
    return z


class Predictor:
    """Each crop's probabilities follow its ink (so crops are told apart); calls are counted."""
    use_gate = False

    def __init__(self):
        self.calls = []

    def probabilities(self, images):
        self.calls.append(len(images))
        p = np.full((len(images), 10), 0.05)
        p[:, 1] = 0.5 + 0.1 * images.reshape(len(images), -1).mean(axis=1)
        return p / p.sum(axis=1, keepdims=True)


def _strip(marks: int) -> np.ndarray:
    """Black bars on white, `marks` of them, 40 px apart (one more bar: one more stroke)."""
    image = np.full((60, 240), 255, np.uint8)
    for k in range(marks):
        image[15:45, 20 + 40 * k:26 + 40 * k + k] = 0     # each a little wider: no two crops alike
    return image


def _same(a, b) -> None:
    assert a.text == b.text and a.confidence == b.confidence and a.readings == b.readings
    for x, y in zip(a.digits, b.digits, strict=True):
        assert x.digit == y.digit and x.confidence == y.confidence and x.box == y.box
        np.testing.assert_array_equal(x.probabilities, y.probabilities)
        np.testing.assert_array_equal(x.image, y.image)


def test_a_read_with_the_memo_is_the_read_without_it_and_a_new_stroke_asks_only_for_its_crop():
    reader, memo = SequenceReader(_frame_logits), CropMemo()
    plain, remembering = Predictor(), Predictor()
    first = read_number(remembering, _strip(3), reader, 0.0, memo=memo)
    _same(first, read_number(plain, _strip(3), reader, 0.0))
    # three inked crops asked for; the memo holds them and the crops without ink of longer strings
    assert first.text == "111" and remembering.calls == [3] and len(memo) == memo.misses > 3 and memo.hits == 0
    # the same strip again: every crop is known, the digit model is not asked
    _same(read_number(remembering, _strip(3), reader, 0.0, memo=memo), first)
    assert remembering.calls == [3] and memo.hits == len(memo)
    # a fourth bar written: only its crop is new
    fourth = read_number(remembering, _strip(4), reader, 0.0, memo=memo)
    _same(fourth, read_number(plain, _strip(4), reader, 0.0))
    assert fourth.text == "1111" and remembering.calls == [3, 1]


def test_the_memo_forgets_when_another_predictor_asks():
    reader, memo = SequenceReader(_frame_logits), CropMemo()
    old = Predictor()
    read_number(old, _strip(3), reader, 0.0, memo=memo)
    new = Predictor()                    # a model opened or trained: its answers differ
    read_number(new, _strip(3), reader, 0.0, memo=memo)
    assert new.calls == [3] and len(memo) == memo.misses // 2
    # a predictor gone and another made in its place (it may get the same id) is not taken for it
    del old, new
    gc.collect()
    third = Predictor()
    read_number(third, _strip(3), reader, 0.0, memo=memo)
    assert third.calls == [3]


def test_the_memo_keeps_the_latest_crops_up_to_its_size():
    predictor, memo = Predictor(), CropMemo(size=2)
    crops = [np.full((5, 5), v, np.float32) for v in (0.1, 0.2, 0.3)]
    for crop in crops:
        memo.put(predictor, crop_key(crop), CropAnswer(None, np.zeros(10), None))
    assert len(memo) == 2 and memo.get(predictor, crop_key(crops[0])) is None
    assert memo.get(predictor, crop_key(crops[2])) is not None
    memo.clear()
    assert len(memo) == 0 and memo.get(predictor, crop_key(crops[2])) is None


def test_a_crops_key_is_its_every_pixel_its_shape_and_its_type():
    a = np.zeros((4, 6), np.float32)
    b = a.copy()
    b[3, 5] = 1e-7
    assert crop_key(a) == crop_key(a.copy()) != crop_key(b)
    assert crop_key(a) != crop_key(a.reshape(6, 4)) and crop_key(a) != crop_key(a.astype(np.float64))
    assert crop_key(a.T) == crop_key(np.ascontiguousarray(a.T))


def test_crops_without_ink_are_remembered_as_such():
    reader, memo, predictor = SequenceReader(_frame_logits), CropMemo(), Predictor()
    first = analyse(reader, predictor, _strip(2), memo)
    again = analyse(reader, predictor, _strip(2), memo)
    for x, y in zip(first.candidates, again.candidates, strict=True):
        assert x.beam.text == y.beam.text and x.digit_log == y.digit_log
        assert [i is None for i in x.images] == [i is None for i in y.images]
    assert predictor.calls == [2]


def test_a_read_asked_to_stop_ends_at_its_next_step_without_asking_the_digit_model():
    import threading

    import pytest

    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.reading.number_reader import ReadStopped
    stop = threading.Event()

    def frames_then_a_new_stroke(x, training):
        stop.set()                       # a stroke arrives while the strip's frames are computed
        return _frame_logits(x, training)
    predictor, memo = Predictor(), CropMemo()
    with pytest.raises(ReadStopped) as stopped:
        read_number(predictor, _strip(3), SequenceReader(frames_then_a_new_stroke), 0.0, memo=memo, stop=stop)
    assert isinstance(stopped.value, HwrError) and predictor.calls == [] and len(memo) == 0
    # set before the read: it stops after finding the marks; unset: the read goes through
    with pytest.raises(ReadStopped):
        read_number(predictor, _strip(3), SequenceReader(_frame_logits), 0.0, stop=stop)
    stop.clear()
    assert read_number(predictor, _strip(3), SequenceReader(_frame_logits), 0.0, stop=stop).text == "111"
