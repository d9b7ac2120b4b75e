"""Reading whole numbers with the bundled sequence reader checked by the digit model
(core/reading/number_reader.py), on numbers made from MNIST *validation* digits. The published
figures come from the reading bench (devtools/reading_bench.py), on MNIST test digits."""
import json

import numpy as np
import pytest

from hwr_desktop.cli import main
from hwr_desktop.core.data.number_images import number_image
from hwr_desktop.core.reading.ctc import Beam
from hwr_desktop.core.reading.number_reader import Analysis, Candidate, ReaderSettings, SequenceReader, decide, read_number
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
    # each digit carries the 28x28 image the digit model read: read again, it gives the digit
    images = np.stack([d.image for d in result.digits])
    assert images.shape == (len(digits), 28, 28) and 0 <= images.min() and images.max() <= 1
    assert [int(k) for k in predictor.probabilities(images).argmax(axis=1)] == list(digits)


def hand_made_analysis() -> Analysis:
    """Two readings of three digits: '179' (CTC log-probability -0.2) and '174' (-1.8); the digit
    model is sure of every digit but the last, where it says 9 60 %, 4 40 %."""
    def candidate(digits, log_probability, last):
        p = [np.eye(10)[d] for d in digits[:-1]] + [last]
        return Candidate(Beam(digits, log_probability), [float(np.log(max(q[d], 1e-4))) for q, d in zip(p, digits)],
                         [True, True, True], p, [(0, 0, 10, 10), (20, 0, 30, 10), (40, 0, 50, 10)])
    last = np.zeros(10)
    last[9], last[4] = 0.6, 0.4
    return Analysis(None, [candidate((1, 7, 9), -0.2, last), candidate((1, 7, 4), -1.8, last)])


def test_the_strings_decide_each_digit_and_the_number_probability():
    analysis = hand_made_analysis()
    settings = ReaderSettings(apart_weight=1.0, number_temperature=1.0, digit_threshold=0.5)
    result = decide(analysis, settings, 0.0)
    # scores: -0.2 + log 0.6 and -1.8 + log 0.4; the number's probability is their softmax
    scores = np.array([-0.2 + np.log(0.6), -1.8 + np.log(0.4)])
    p = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    assert result.text == "179" and result.confidence == pytest.approx(p[0])
    assert [t for t, _ in result.readings] == ["179", "174"] and result.readings[1][1] == pytest.approx(p[1])
    first, _, third = result.digits
    assert first.confidence == pytest.approx(1.0) and third.confidence == pytest.approx(p[0])
    assert third.alternatives[:2] == [(9, pytest.approx(p[0])), (4, pytest.approx(p[1]))]
    strict = decide(analysis, ReaderSettings(digit_threshold=0.99), 0.0)
    assert strict.text == "17?" and "disagree" in strict.digits[2].why and strict.digits[0].why is None
    unsure_number = decide(analysis, ReaderSettings(digit_threshold=0.0, number_threshold=0.99), 0.0)
    assert unsure_number.text == "17?" and "whole number is unsure" in unsure_number.digits[2].why
    assert decide(analysis, settings, 0.99).digits[2].why.startswith("less sure than the minimum confidence")


def test_with_no_weight_on_the_digit_model_the_strings_alone_decide():
    analysis = hand_made_analysis()
    alone = decide(analysis, ReaderSettings(apart_weight=0.0, touching_weight=0.0, digit_threshold=0.0), 0.0)
    p = np.exp([-0.2, -1.8]) / np.exp([-0.2, -1.8]).sum()
    assert alone.text == "179" and alone.confidence == pytest.approx(p[0])


def test_hand_edited_reading_settings_fall_back_to_the_defaults():
    settings = ReaderSettings.from_dict({"digit_threshold": 7, "number_temperature": 0, "apart_weight": "x",
                                         "touching_weight": 0.5, "number_threshold": float("nan")})
    assert settings == ReaderSettings(touching_weight=0.5)
    assert ReaderSettings.from_dict(None) == ReaderSettings()


def test_without_a_sequence_reader_the_digit_reader_reads_alone(readers, mnist):
    predictor, _ = readers
    number = sample(mnist, "spaced", (5, 0, 8), 5)
    result = read_number(predictor, number.array(), None)
    assert result.text == number.text
    assert [int(k) for k in predictor.probabilities(np.stack([d.image for d in result.digits])).argmax(axis=1)] == [5, 0, 8]


def test_digits_standing_apart_are_read_on_the_digit_readers_full_resolution_crops(readers, mnist):
    predictor, reader = readers
    number = sample(mnist, "spaced", (3, 8, 2, 6), 7)
    image = number.array()
    result = read_number(predictor, image, reader)
    alone = read_number(predictor, image, None)          # the digit reader: each mark cut from the image
    assert result.text == alone.text == number.text
    for digit, own in zip(result.digits, alone.digits):
        np.testing.assert_array_equal(digit.image, own.image)


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


@pytest.mark.parametrize("extra, message", [
    (["--init-from", "{tmp}/missing.npz"], "no such checkpoint"),
    (["--init-from", "{tmp}/bad.npz"], "not a reader checkpoint"),
    (["--variation", "sideways"], "--variation is standard or wide"),
])
def test_train_reader_refuses_a_bad_start_or_variation_in_one_line(capsys, tmp_path, extra, message):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    code = main(["train-reader", "--out", str(tmp_path / "r.keras"), "--run-dir", str(tmp_path / "run"),
                 *[a.format(tmp=tmp_path) for a in extra]])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and message in err and "Traceback" not in err
    assert not (tmp_path / "r.keras").exists() and not (tmp_path / "run").exists()
