"""The line reader (core/reading/line_reader.py), its examples, and the cross-check with the digit reader
(core/reading/number_reading.py). The bundled line reader's own accuracy is measured by the reading bench."""
import numpy as np
import pytest

from hwr_desktop.core.reading.digit_reader import DigitRead, ReadResult
from hwr_desktop.core.reading.line_reader import BLANK, FRAMES, LINE_HEIGHT, LINE_WIDTH, decode, line_input
from hwr_desktop.core.reading.line_reader_data import make_strips
from hwr_desktop.core.reading.number_reading import combine
from hwr_desktop.core.segmentation.marks import find_marks


def frames(sequence, sure=0.9):
    """(FRAMES, 11) probabilities whose best class per frame follows `sequence` ('-' = blank)."""
    p = np.full((FRAMES, 11), (1 - sure) / 10, np.float32)
    for t in range(FRAMES):
        c = sequence[t] if t < len(sequence) else "-"
        p[t, BLANK if c == "-" else int(c) + 1] = sure
    return p


def test_greedy_ctc_merges_repeats_and_drops_blanks():
    p = frames("--33-3--7777-0")
    p[9, 8] = 0.99                       # the 7's surest frame
    digits = decode(p)
    assert [d.digit for d in digits] == [3, 3, 7, 0]                 # "33" then blank then "3": two 3s
    assert digits[2].confidence == pytest.approx(0.99) and digits[2].frames == (8, 11)
    assert digits[0].probabilities.argmax() == 3 and digits[0].probabilities.sum() == pytest.approx(1)
    assert decode(frames("")) == []


def test_line_input_is_a_strip_of_the_marks_only(mnist):
    image = np.zeros((120, 400), np.uint8)
    image[30:86, 40:96] = np.kron(mnist.x_val[0], np.ones((2, 2), np.uint8))
    image[30:86, 200:256] = np.kron(mnist.x_val[1], np.ones((2, 2), np.uint8))
    line = line_input(find_marks(image))
    assert line.strip.shape == (LINE_HEIGHT, LINE_WIDTH) and 0.9 <= line.strip.max() <= 1.0
    rows = np.flatnonzero(line.strip.max(axis=1) > 0.2)
    assert 20 <= rows[-1] - rows[0] + 1 <= 25           # the marks are scaled to ~24 rows
    x0, y0, x1, y1 = line.box
    rows, cols = np.flatnonzero(image.max(axis=1) > 60), np.flatnonzero(image.max(axis=0) > 60)
    assert x0 <= cols[0] and x1 > cols[-1] and y0 <= rows[0] and y1 > rows[-1]   # all the ink of both digits
    assert line_input(find_marks(np.zeros((50, 50), np.uint8))) is None


def test_examples_never_come_from_the_test_set():
    with pytest.raises(ValueError, match="not 'test'"):
        make_strips("test", 4, seed=0)


def test_examples_are_strips_with_their_digits():
    strips = make_strips("validation", 10, seed=1, workers=1)
    assert strips.x.shape == (10, LINE_HEIGHT, LINE_WIDTH) and strips.x.dtype == np.uint8
    assert sorted(set(strips.conditions)) == ["boxes", "photo", "ruled", "spaced", "touching"]
    for text, row, x in zip(strips.texts, strips.y, strips.x):
        assert [int(c) + 1 for c in text] == list(row[:len(text)]) and not row[len(text):].any()
        assert x.max() > 100     # every example has ink


def _digit(d, confidence=0.99, x=0):
    p = np.zeros(10, np.float32)
    if d is not None:
        p[d] = confidence
    return DigitRead(d, confidence, (x, 0, x + 10, 10), p)


class _Line:
    x0, scale, box = 0.0, 1.0, (0, 0, 100, 10)


def _line_digits(text, confidences):
    from hwr_desktop.core.reading.line_reader import LineDigit
    out = []
    for k, (c, q) in enumerate(zip(text, confidences)):
        p = np.full(10, (1 - q) / 9, np.float32)
        p[int(c)] = q
        out.append(LineDigit(int(c), q, p, (4 * k, 4 * k + 1)))
    return out


def test_readers_that_agree_show_the_number():
    by_digits = ReadResult([_digit(1), _digit(2, x=20), _digit(3, x=40)])
    result = combine(by_digits, _line_digits("123", [0.7, 0.99, 0.99]), _Line(), 0.4, 0.95)
    assert result.text == "123"
    assert [d.box for d in result.digits] == [d.box for d in by_digits.digits]   # the digit reader's boxes
    assert result.confidence == pytest.approx(0.7 * 0.99 * 0.99)


def test_a_disagreement_below_the_lone_threshold_shows_a_question_mark():
    by_digits = ReadResult([_digit(1), _digit(7, 0.99, x=20), _digit(3, x=40)])
    unsure = combine(by_digits, _line_digits("123", [0.99, 0.8, 0.99]), _Line(), 0.4, 0.95)
    assert unsure.text == "1?3"
    assert unsure.digits[1].alternatives[0][0] == 2        # the line reader's best guess is offered first
    # the line reader's digit stands when it passes the stricter threshold: the digit reader,
    # often wrong about touching digits, never overrules it
    assert combine(by_digits, _line_digits("123", [0.99, 0.97, 0.99]), _Line(), 0.4, 0.95).text == "123"


def test_agreeing_readers_still_need_the_agree_threshold():
    by_digits = ReadResult([_digit(1), _digit(2, x=20)])
    assert combine(by_digits, _line_digits("12", [0.99, 0.5]), _Line(), 0.4, 0.95, 0.6).text == "1?"
    assert combine(by_digits, _line_digits("12", [0.99, 0.7]), _Line(), 0.4, 0.95, 0.6).text == "12"


def test_a_digit_the_line_reader_dropped_is_never_silent():
    """The digit reader found a third mark far right that no line-reader digit covers: a '?' there."""
    by_digits = ReadResult([_digit(4), _digit(1, x=20), _digit(3, x=80)])
    result = combine(by_digits, _line_digits("41", [0.99, 0.99]), _Line(), 0.4, 0.95)
    assert result.text == "41?" and result.digits[2].box == (80, 0, 90, 10)
    assert result.digits[2].alternatives[0][0] == 3


def test_touching_digits_the_digit_reader_merged_are_read_by_the_line_reader():
    """The digit reader saw two marks where there are three digits: the line reader's reading
    stands, digit by digit, wherever it is surer than the lone threshold."""
    merged = DigitRead(None, 0.3, (14, 0, 46, 10), np.zeros(10, np.float32))    # the "17", one wide mark
    by_digits = ReadResult([_digit(4), merged])
    result = combine(by_digits, _line_digits("417", [0.99, 0.96, 0.9]), _Line(), 0.4, 0.95)
    assert result.text == "41?"
    assert result.confidence < 0.99 * 0.96 * 0.9      # the readers disagree on the count: less sure


def test_train_and_save_writes_a_self_describing_line_reader(tmp_path):
    """The `train-reader` recipe end to end at toy size: the file loads as a line reader and says
    how it was made (the real run and its figures are in the README)."""
    from hwr_desktop.core.models.modelfile import read_info
    from hwr_desktop.core.reading.line_reader import LineReader
    from hwr_desktop.core.reading.line_reader_training import LineReaderConfig, train_and_save
    config = LineReaderConfig(examples=24, validation_examples=10, epochs=1, batch_size=8,
                              threshold_per_condition=1, workers=1)
    out = tmp_path / "reader.keras"
    figures = train_and_save(config, out)
    info = read_info(out)
    assert info.preset == "line-reader" and info.config["examples"] == 24
    assert info.calibration.fitted_on == "validation" and info.calibration.temperature == figures["temperature"]
    assert info.extra["line_reader"]["trained_on"] == "MNIST training digits"
    reader = LineReader.from_file(out)
    assert reader.lone_confidence == figures["lone_confidence"]
    assert reader.frame_probabilities(np.zeros((LINE_HEIGHT, LINE_WIDTH), np.float32)).shape == (FRAMES, 11)


def test_train_reader_refuses_bad_options_in_one_line(capsys, tmp_path):
    from hwr_desktop.cli import main
    assert main(["train-reader", "--examples", "0", "--out", str(tmp_path / "r.keras")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "examples" in err[0]
    assert not (tmp_path / "r.keras").exists()


def test_a_digit_model_file_is_not_a_line_reader():
    from hwr_desktop.core.errors import ModelFileError
    from hwr_desktop.core.reading.line_reader import LineReader
    from hwr_desktop.resources import default_model_path
    with pytest.raises(ModelFileError, match="not 32x256x1"):
        LineReader.from_file(default_model_path())


def test_an_unsure_digit_over_empty_paper_is_a_phantom_of_a_wide_gap():
    """Line digits 4 (x 0-12), 1? (x 12-28, unsure), 3 (x 28-44); the digit reader's marks are
    only under the 4 and the 3: the unsure one in between is dropped, not shown as '?'."""
    by_digits = ReadResult([_digit(4, x=0), _digit(3, x=32)])
    result = combine(by_digits, _line_digits("413", [0.99, 0.5, 0.99]), _Line(), 0.4, 0.95)
    assert result.text == "43"
