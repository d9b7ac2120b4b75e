"""Calibrated confidence (core/models/calibration.py): the ECE, the temperature fit, the models that carry
one (newly trained, fine-tuned, bundled, ensemble) and the `calibrate` command.

Temperatures are fitted on MNIST validation images only; the test set is read to report.
"""
import dataclasses
import json

import numpy as np
import pytest

from hwr_desktop.cli import main
from hwr_desktop.core.models.calibration import (
    ECE_BINS,
    calibrate,
    calibrated_probabilities,
    expected_calibration_error,
    fit_temperature,
)
from hwr_desktop.core.models.evaluation import evaluate, predict_logits, report_from_logits, softmax
from hwr_desktop.resources import default_model_path, ensemble_model_path

ECE_TARGET = 0.015


def synthetic(n: int, shift: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities whose top class has confidence c ~ U(0.3, 1), right with probability c - shift."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(0.3, 1.0, n)
    predicted = rng.integers(0, 10, n)
    probs = np.tile(((1 - confidence) / 9)[:, None], (1, 10))
    probs[np.arange(n), predicted] = confidence
    right = rng.uniform(size=n) < confidence - shift
    labels = np.where(right, predicted, (predicted + rng.integers(1, 10, n)) % 10)
    return probs, labels


def test_ece_of_a_calibrated_set_is_near_zero_and_of_an_overconfident_one_large():
    assert expected_calibration_error(*synthetic(200_000, shift=0.0)) < 0.005
    assert expected_calibration_error(*synthetic(200_000, shift=0.2)) == pytest.approx(0.2, abs=0.01)


def test_ece_is_the_count_weighted_gap_per_bin():
    # 10 predictions at 0.95 (8 right: gap 0.15) and 30 at 0.55 (all right: gap 0.45)
    probs = np.zeros((40, 10))
    probs[:10, 0], probs[:10, 1] = 0.95, 0.05
    probs[10:, 0], probs[10:, 1] = 0.55, 0.45
    labels = np.zeros(40, np.int64)
    labels[:2] = 1
    assert expected_calibration_error(probs, labels) == pytest.approx((10 * 0.15 + 30 * 0.45) / 40)
    assert expected_calibration_error(np.ones((0, 10)), np.zeros(0)) == 0.0
    # One bin pools under- and over-confidence, 15 bins keep them apart
    assert ECE_BINS == 15 and expected_calibration_error(probs, labels, bins=1) == pytest.approx(
        abs(38 / 40 - (10 * 0.95 + 30 * 0.55) / 40))


@pytest.mark.parametrize("true_temperature", [0.4, 2.5])
def test_fit_temperature_recovers_a_known_temperature(true_temperature):
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (20_000, 10))
    probs = softmax(logits / true_temperature)
    labels = (probs.cumsum(axis=1) < rng.uniform(size=(len(probs), 1))).sum(axis=1).clip(0, 9)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)
    assert fit_temperature(logits, labels) == fitted   # deterministic
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(calibrated_probabilities(logits, fitted), labels)
    assert after < 0.02 < before


def test_reports_use_the_temperature_without_changing_predictions():
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 4, (500, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 500)
    plain, scaled = report_from_logits(logits, labels), report_from_logits(logits, labels, temperature=0.5)
    np.testing.assert_array_equal(plain.predictions, scaled.predictions)
    np.testing.assert_allclose(scaled.probabilities, softmax(logits / 0.5), rtol=1e-5, atol=1e-7)
    assert scaled.confidences.mean() > plain.confidences.mean() and scaled.loss != plain.loss
    assert scaled.to_dict()["ece"] == pytest.approx(expected_calibration_error(scaled.probabilities, labels), abs=1e-6)
    # a softmax model's probabilities are used as they are, whatever the temperature
    probs = softmax(logits)
    np.testing.assert_allclose(report_from_logits(probs, labels, True, temperature=0.5).probabilities,
                               probs, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A quick model trained briefly (~5 s) through the pipeline, saved."""
    from hwr_desktop.core.training.loop import TrainingConfig
    from hwr_desktop.core.training.pipeline import train_model
    out = tmp_path_factory.mktemp("calibrated") / "quick.keras"
    return train_model(TrainingConfig(preset="quick", epochs=1, train_limit=3000, val_limit=1000), out=out)


def test_calibration_fitted_on_half_the_validation_improves_the_other_half(trained, mnist):
    from hwr_desktop.core.models.modelfile import described
    half = len(mnist.x_val) // 2
    fit_part = dataclasses.replace(mnist, x_val=mnist.x_val[:half], y_val=mnist.y_val[:half])
    info = calibrate(trained.model, described(trained.model, None), fit_part)
    assert info.calibration.fitted_on == "validation (2,500 MNIST images)"
    extra = info.calibration.extra
    assert extra["val_ece_after"] < extra["val_ece_before"]
    held_logits = predict_logits(trained.model, mnist.x_val[half:])
    before = expected_calibration_error(softmax(held_logits), mnist.y_val[half:])
    after = expected_calibration_error(calibrated_probabilities(held_logits, info.temperature), mnist.y_val[half:])
    assert after < before / 4   # a weak model (1 epoch on 3,000 images): 19 % -> 2.3 % measured


def test_a_newly_trained_model_file_carries_its_temperature_and_test_ece(trained, mnist):
    from hwr_desktop.core.models.modelfile import load_model
    model, info = load_model(trained.path)
    calibration = info.calibration
    assert calibration is not None and calibration.temperature != 1.0
    assert calibration.fitted_on == "validation (5,000 MNIST images)"
    assert calibration.extra["val_ece_after"] < calibration.extra["val_ece_before"]
    report = evaluate(model, mnist.x_test, mnist.y_test, temperature=info.temperature)
    uncalibrated = evaluate(model, mnist.x_test, mnist.y_test)
    assert info.metrics.test_ece == pytest.approx(report.ece, abs=1e-5) and report.ece < uncalibrated.ece
    assert info.metrics.test_loss == pytest.approx(report.loss, abs=1e-5)
    assert trained.report.temperature == info.temperature


def test_a_finetuned_model_gets_its_own_temperature(trained, mnist, tmp_path):
    from hwr_desktop.core.models.modelfile import read_info
    from hwr_desktop.core.training.finetune import FinetuneConfig
    from hwr_desktop.core.training.pipeline import finetune_model
    small = dataclasses.replace(mnist, x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000])
    samples = (mnist.x_train[:40], mnist.y_train[:40])
    tuned = finetune_model((trained.model, trained.info), samples,
                           FinetuneConfig(epochs=1, replay_size=500, min_mnist_accuracy=0.0), data=small,
                           out=tmp_path / "tuned.keras")
    info = read_info(tuned.path)
    assert info.calibration.fitted_on.startswith("validation") and info.finetune is not None
    assert info.temperature != trained.info.temperature
    assert 0 <= info.metrics.test_ece < 0.03 and info.metrics.test_accuracy is not None


def test_a_softmax_model_is_not_calibrated_and_says_why(mnist):
    import keras

    from hwr_desktop.core.models.modelfile import described
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    info = calibrate(model, described(model, None), dataclasses.replace(mnist, x_val=mnist.x_val[:300],
                                                                         y_val=mnist.y_val[:300]))
    assert info.temperature == 1.0 and "softmax" in info.calibration.extra["skipped"]
    assert 0 <= info.calibration.extra["val_ece"] <= 1


# The ensemble reads each test image 18 times (~3 min for all 10,000 on a busy machine): it is
# checked on the first 2,000, and its file's figure for all of them (measured when it was calibrated).
@pytest.mark.parametrize("path, accuracy, n", [(default_model_path(), 0.9968, 10000),
                                               (ensemble_model_path(), None, 2000)],
                         ids=["bundled", "ensemble"])
def test_bundled_models_are_calibrated_on_mnist_test(path, accuracy, n, mnist):
    """A reporting check on the test set: the temperature in the file was fitted on validation."""
    assert path.is_file(), f"a bundled model is missing: {path}"
    from hwr_desktop.core.models.modelfile import load_model
    model, info = load_model(path)
    assert info.calibration is not None and info.calibration.fitted_on.startswith("validation")
    assert info.calibration.extra["val_ece_after"] <= ECE_TARGET < info.calibration.extra["val_ece_before"]
    assert info.metrics.test_ece <= ECE_TARGET
    report = evaluate(model, mnist.x_test[:n], mnist.y_test[:n], temperature=info.temperature)
    if accuracy is not None:
        assert report.accuracy == pytest.approx(accuracy, abs=1e-6)     # the weights are the ones shipped before
        assert info.metrics.test_ece == pytest.approx(report.ece, abs=1e-5)
    assert report.ece <= ECE_TARGET
    assert abs(report.confidences.mean() - report.accuracy) < ECE_TARGET


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_calibrate_command_then_evaluate_json_reports_the_ece(capsys, tiny_model_file, tmp_path):
    out_file = tmp_path / "calibrated.keras"
    code, out, err = run(capsys, "calibrate", "--model", str(tiny_model_file), "--out", str(out_file), "--json")
    fitted = json.loads(out)
    assert code == 0 and out_file.is_file() and fitted["previous_temperature"] == 1.0
    assert fitted["val_ece_after"] < fitted["val_ece_before"] and fitted["test_ece_after"] < fitted["test_ece_before"]

    code, out, err = run(capsys, "evaluate", "--model", str(out_file), "--json")
    doc = json.loads(out)
    assert code == 0 and {"n", "test_accuracy", "test_loss", "errors", "confusion_matrix", "ece"} <= set(doc)
    assert doc["ece"] == pytest.approx(fitted["test_ece_after"], abs=1e-6)
    assert doc["temperature"] == fitted["temperature"] and doc["test_accuracy"] == fitted["test_accuracy"]
    code, out, err = run(capsys, "evaluate", "--model", str(tiny_model_file), "--json")
    assert json.loads(out)["ece"] == pytest.approx(fitted["test_ece_before"], abs=1e-6)   # uncalibrated file
    code, out, err = run(capsys, "evaluate", "--model", str(out_file))
    assert code == 0 and f"calibration error (ECE, 15 bins): {fitted['test_ece_after']:.2%}" in out


@pytest.mark.parametrize("argv, message", [
    (["--model", "/nonexistent/m.keras"], "no such model file"),
    (["--out", "model.h5"], ".keras"),
    (["--out", "/nonexistent/folder/m.keras"], "does not exist"),
])
def test_calibrate_bad_input_exits_2_in_one_line(capsys, argv, message):
    code, out, err = run(capsys, "calibrate", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_calibrate_refuses_a_file_that_is_not_a_model(capsys, tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    code, out, err = run(capsys, "calibrate", "--model", str(bad))
    assert code == 2 and "not a Keras" in err and len(err.strip().splitlines()) == 1 and out == ""
    assert bad.read_text() == "not a model"


def test_reading_cuts_marks_on_the_uncalibrated_scale_it_was_tuned_on():
    """Calibration sharpens sure answers; reading's cutting scores must not see that (it over-cut:
    97.7 % single digits instead of 99.1 % on the reading bench), its confidences must."""
    from types import SimpleNamespace

    from hwr_desktop.core.models.info import Calibration, ModelInfo
    from hwr_desktop.core.reading.digit_reader import _uncalibrated_best
    logits = np.random.default_rng(3).normal(0, 5, (50, 10))
    calibrated = calibrated_probabilities(logits, 0.46).astype(np.float32)
    calibrated[7] = 0.0                                             # a candidate that is not digit-shaped
    predictor = SimpleNamespace(info=ModelInfo(calibration=Calibration(0.46, "validation")))
    expected = softmax(logits).max(axis=1)
    expected[7] = 0.0
    np.testing.assert_allclose(_uncalibrated_best(calibrated, predictor), expected, rtol=1e-4, atol=1e-6)
    uncalibrated_model = SimpleNamespace(info=ModelInfo())
    np.testing.assert_array_equal(_uncalibrated_best(calibrated, uncalibrated_model), calibrated.max(axis=1))


def test_calibrate_never_rewrites_an_installed_model(capsys, tiny_model_file, tmp_path, monkeypatch):
    """The bundled model is the default --model; without --out it would be "replaced atomically". Installed
    resources are read-only: one line asks for --out and the file stays byte for byte as it was."""
    resources = tmp_path / "resources"
    (resources / "models").mkdir(parents=True)
    bundled = resources / "models" / "default.keras"
    bundled.write_bytes(tiny_model_file.read_bytes())
    monkeypatch.setenv("HWR_DESKTOP_RESOURCES", str(resources))
    before = bundled.read_bytes()
    for argv in ([], ["--model", str(bundled)], ["--model", str(tiny_model_file), "--out", str(bundled)]):
        code, out, err = run(capsys, "calibrate", *argv)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, argv
        assert "installed resource" in err and "--out" in err
    assert bundled.read_bytes() == before and sorted(p.name for p in (resources / "models").iterdir()) == ["default.keras"]


def test_calibrating_a_calibrated_file_reports_it_unchanged_at_its_own_temperature(capsys, tiny_model_file, tmp_path):
    """Refitting is deterministic, so a second `calibrate` finds the same temperature; "before" is the file
    at its own temperature, not at 1, so the ECE must not appear to fall (it once read "5.19 % -> 0.25 %")."""
    once, twice = tmp_path / "once.keras", tmp_path / "twice.keras"
    code, out, err = run(capsys, "calibrate", "--model", str(tiny_model_file), "--out", str(once), "--json")
    first = json.loads(out)
    assert code == 0 and first["unchanged"] is False and first["previous_temperature"] == 1.0
    assert first["test_ece_after"] < first["test_ece_before"]
    code, out, err = run(capsys, "calibrate", "--model", str(once), "--out", str(twice), "--json")
    second = json.loads(out)
    assert code == 0 and second["unchanged"] is True
    assert second["previous_temperature"] == second["temperature"] == first["temperature"]
    assert second["test_ece_before"] == second["test_ece_after"] == first["test_ece_after"]
    assert second["val_ece_before"] == second["val_ece_after"] == pytest.approx(first["val_ece_after"], abs=1e-6)
    assert second["test_loss_before"] == second["test_loss_after"]
    code, out, err = run(capsys, "calibrate", "--model", str(once), "--out", str(twice))
    assert code == 0 and f"temperature {first['temperature']:.4g}, unchanged" in out and "->" not in out.split("\n")[1]
