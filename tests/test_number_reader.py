"""Reading whole numbers with the bundled sequence reader checked by the digit model
(core/reading/number_reader.py), on numbers made from MNIST *validation* digits. The published
figures come from the reading bench (devtools/reading_bench.py), on MNIST test digits."""
import json

import numpy as np
import pytest

from hwr_desktop.cli import main
from hwr_desktop.core.data.number_images import number_image
from hwr_desktop.core.reading.number_reader import ReaderSettings, SequenceReader, analyse, decide, read_number
from hwr_desktop.resources import default_model_path, number_reader_path


@pytest.fixture(scope="module")
def readers():
    from hwr_desktop.core.models.inference import Predictor
    assert number_reader_path().is_file(), "the bundled number reader is missing"   # fail, never skip
    return Predictor.from_file(default_model_path()), SequenceReader.from_file(number_reader_path())


def sample(mnist, condition, digits, seed):
    rng = np.random.default_rng(seed)
    picks = [int(np.flatnonzero(mnist.y_val == d)[k]) for k, d in enumerate(digits)]
    return number_image(mnist.x_val[picks], mnist.y_val[picks], condition, rng)


def test_the_bundled_reader_describes_itself():
    from hwr_desktop.core.models.modelfile import read_info
    info = read_info(number_reader_path())
    assert info.preset == "sequence-reader"
    reading = info.extra["sequence_reader"]
    assert reading["trained_on"] == "MNIST training digits"
    assert 0 < reading["digit_threshold"] <= 1 and reading["number_temperature"] > 0
    assert reading["training"]["command"].startswith("hwr-desktop train-reader")
    assert reading["fit"]["validation_numbers"] >= 500


@pytest.mark.parametrize("condition, digits, seed", [("touching", (4, 7), 1), ("touching", (2, 0, 2, 6), 2),
                                                     ("boxes", (3, 1, 4, 1, 5), 3)])
def test_touching_and_boxed_numbers_are_read_right(readers, mnist, condition, digits, seed):
    predictor, reader = readers
    number = sample(mnist, condition, digits, seed)
    result = read_number(predictor, number.array(), reader)
    assert result.text == number.text
    assert result.readings[0][0] == number.text and result.confidence == pytest.approx(result.readings[0][1])
    assert all(d.box[0] < e.box[0] for d, e in zip(result.digits, result.digits[1:]))     # left to right


def test_a_lone_unsure_digit_is_a_question_mark_and_keeps_its_alternatives(readers, mnist):
    predictor, reader = readers
    analysis = analyse(reader, predictor, sample(mnist, "spaced", (1, 7, 9), 4).array())
    strict = decide(analysis, ReaderSettings(digit_threshold=1.0))
    assert strict.text == "???"
    assert [int(d.probabilities.argmax()) for d in strict.digits] == [1, 7, 9]
    assert all(abs(float(d.probabilities.sum()) - 1) < 1e-4 for d in strict.digits)
    assert decide(analysis, ReaderSettings(digit_threshold=0.0)).text == "179"


def test_without_a_sequence_reader_the_digit_reader_reads_alone(readers, mnist):
    predictor, _ = readers
    number = sample(mnist, "spaced", (5, 0, 8), 5)
    assert read_number(predictor, number.array(), None).text == number.text


def test_read_json_lists_the_likeliest_numbers(capsys, tmp_path, mnist):
    path = tmp_path / "number.png"
    number = sample(mnist, "touching", (9, 4, 3), 6)
    path.write_bytes(number.data)
    assert main(["read", str(path), "--json"]) == 0
    (image,) = json.loads(capsys.readouterr().out)
    assert set(image) == {"file", "text", "confidence", "digits", "readings"}
    readings = image["readings"]
    assert readings[0] == {"text": image["text"], "probability": image["confidence"]} and image["text"] == number.text
    assert 1 <= len(readings) <= 3 and [r["probability"] for r in readings] == sorted(
        (r["probability"] for r in readings), reverse=True)
    assert sum(r["probability"] for r in readings) <= 1 + 1e-6


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really"])
def test_train_reader_refuses_a_bad_checkpoint_in_one_line(capsys, tmp_path, content):
    bad = tmp_path / "checkpoint.npz"
    bad.write_bytes(content)
    code = main(["train-reader", "--resume", str(bad), "--out", str(tmp_path / "r.keras")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "not a reader checkpoint" in err and "Traceback" not in err
    assert not (tmp_path / "r.keras").exists()
