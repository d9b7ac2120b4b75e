"""Reading numbers with the bundled digit model and line reader, cross-checked
(core/reading/number_reading.py), on numbers made from MNIST *validation* digits. The published figures
come from the reading bench on *test* digits; these guard against regressions."""
import numpy as np
import pytest

from hwr_desktop.core.data.number_images import CONDITIONS, make_numbers, number_image
from hwr_desktop.core.reading.line_reader import LineReader
from hwr_desktop.core.reading.number_reading import read_number
from hwr_desktop.resources import default_model_path, line_reader_path


@pytest.fixture(scope="module")
def readers():
    from hwr_desktop.core.models.inference import Predictor
    return Predictor.from_file(default_model_path()), LineReader.from_file(line_reader_path())


def test_the_bundled_line_reader_describes_itself():
    from hwr_desktop.core.models.modelfile import read_info
    info = read_info(line_reader_path())
    assert info.preset == "line-reader" and info.calibration.fitted_on == "validation"
    assert 0.5 <= info.extra["line_reader"]["lone_confidence"] <= 1.0
    assert info.extra["line_reader"]["trained_on"] == "MNIST training digits"


def test_a_touching_pair_is_read_right(readers, mnist):
    predictor, line_reader = readers
    picks = [i for i in range(200) if mnist.y_val[i] in (3, 8)][:2]      # a 3 and an 8, or two of them
    right = 0
    for seed in range(5):
        sample = number_image(mnist.x_val[picks], mnist.y_val[picks], "touching", np.random.default_rng(seed))
        result = read_number(predictor, sample.array(), line_reader)
        right += result.text == sample.text
        assert "?" in result.text or result.text == sample.text        # never confidently wrong
    assert right >= 4


def test_the_cross_check_reads_touching_numbers_and_flags_its_doubts(readers, mnist):
    """12 numbers per condition, read with both readers and with the digit reader alone. The issue's
    targets are the reading bench's (test digits); this guards what the line reader brought:
    touching numbers read far more often, and far fewer wrong numbers shown without a '?'."""
    predictor, line_reader = readers
    both = {"right": 0, "wrong": 0, "touching": 0}
    alone = dict(both)
    for condition in CONDITIONS:
        for sample in make_numbers(mnist.x_val, mnist.y_val, condition, 12, seed=77):
            image = sample.array()
            for counts, reader in ((both, line_reader), (alone, None)):
                text = read_number(predictor, image, reader).text
                counts["right"] += text == sample.text
                counts["wrong"] += text != sample.text and "?" not in text
                counts["touching"] += condition == "touching" and text == sample.text
    assert both["touching"] >= max(5, 2 * alone["touching"]), (both, alone)
    assert both["wrong"] <= 3 and both["wrong"] * 3 <= alone["wrong"], (both, alone)
    assert both["right"] >= 45, (both, alone)          # of 60


def test_below_the_threshold_a_digit_shows_a_question_mark(readers, mnist):
    """Raising the threshold just above the least sure digit turns exactly the digits below it into '?'."""
    predictor, line_reader = readers
    sample = make_numbers(mnist.x_val, mnist.y_val, "touching", 1, seed=5)[0]
    image = sample.array()
    result = read_number(predictor, image, line_reader)
    confidences = sorted(d.confidence for d in result.digits)
    assert len(confidences) >= 3 and confidences[0] < 0.999
    threshold = (confidences[0] + confidences[1]) / 2 if confidences[1] > confidences[0] else confidences[0] + 1e-4
    strict = read_number(predictor, image, line_reader, min_confidence=min(threshold, 1.0))
    for before, after in zip(result.digits, strict.digits):
        if before.confidence < threshold:
            assert after.digit is None and after.alternatives       # a '?' still says what it might be
        else:
            assert after.digit == before.digit
