"""Ensembles: one model file whose output is the members' mean logits; bad inputs are one-line errors."""
import json

import numpy as np
import pytest

from hwr_desktop.cli import main
from hwr_desktop.core.models.evaluation import evaluate, predict_logits
from hwr_desktop.core.models.modelfile import load_model, make_metadata, read_metadata, save_model
from hwr_desktop.core.training.ensemble import build_ensemble


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """Two quick models from different seeds (~3 s each)."""
    from hwr_desktop.core.training.loop import TrainingConfig, train
    folder = tmp_path_factory.mktemp("members")
    paths = []
    for seed in (1, 2):
        result = train(TrainingConfig(preset="quick", epochs=1, batch_size=128, train_limit=4000, val_limit=1000,
                                      seed=seed))
        paths.append(folder / f"seed{seed}.keras")
        save_model(result.model, paths[-1], make_metadata("quick", result.config.to_dict(),
                                                          {"test_accuracy": 0.9, "train_seconds": 3.0}))
    return paths


def test_ensemble_outputs_the_mean_of_its_members_logits(members, mnist):
    models = [load_model(p)[0] for p in members]
    expected = np.mean([predict_logits(m, mnist.x_test[:200]) for m in models], axis=0)
    ensemble = build_ensemble(models)
    np.testing.assert_allclose(predict_logits(ensemble, mnist.x_test[:200]), expected, atol=1e-5)


def test_ensemble_command_writes_a_self_describing_file(members, tmp_path, capsys, mnist):
    out = tmp_path / "ens.keras"
    assert main(["ensemble", *map(str, members), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    model, meta = load_model(out)                      # safe mode, like any model file
    assert meta["preset"] == "ensemble of 2" and meta["outputs"] == "logits"
    assert [m["seed"] for m in meta["members"]] == [1, 2] and meta["metrics"]["train_seconds"] == 6.0
    report = evaluate(model, mnist.x_test, mnist.y_test)
    assert meta["metrics"]["test_accuracy"] == doc["test_accuracy"] == pytest.approx(report.accuracy)
    assert report.accuracy > 0.9


def test_ensemble_refuses_bad_input_in_one_line(members, tmp_path, capsys):
    import keras
    probabilities = tmp_path / "softmax.keras"
    save_model(keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(10, activation="softmax")]), probabilities, make_metadata("x"))
    cases = [([str(members[0])], "at least two"),
             ([str(members[0]), str(probabilities)], "must output logits"),
             ([str(members[0]), str(tmp_path / "missing.keras")], "missing.keras"),
             ]
    for argv, message in cases:
        out = tmp_path / "e.keras"
        assert main(["ensemble", *argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
        assert not out.exists()   # nothing half-written
    assert main(["ensemble", *map(str, members), "--out", str(tmp_path / "e.h5")]) == 2
    assert ".keras" in capsys.readouterr().err
    assert read_metadata(members[0])["preset"] == "quick"   # members untouched


def shifted_views(x):
    """The image and its four 1-pixel shifts (down, up, right, left), zeros shifted in, in numpy."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    return [x] + [padded[:, 1 - down:29 - down, 1 - right:29 - right]
                  for down, right in ((1, 0), (-1, 0), (0, 1), (0, -1))]


def test_tta_ensemble_averages_each_member_over_shifted_images(members, mnist, tmp_path):
    models = [load_model(p)[0] for p in members]
    x = mnist.x_test[:200]
    views = shifted_views(x)
    assert (views[1][:, 1:] == x[:, :-1]).all() and (views[1][:, 0] == 0).all()   # moved one row down
    expected = np.mean([predict_logits(m, v) for m in models for v in views], axis=0)
    np.testing.assert_allclose(predict_logits(build_ensemble(models, tta=True), x), expected, atol=1e-5)
    # The saved file (safe mode, plain layers) computes the same.
    out = tmp_path / "tta.keras"
    assert main(["ensemble", *map(str, members), "--tta", "--out", str(out)]) == 0
    model, meta = load_model(out)
    assert meta["preset"] == "ensemble of 2 with shifted views" and meta["test_time_augmentation"] is True
    np.testing.assert_allclose(predict_logits(model, x), expected, atol=1e-5)


def test_tta_lets_a_deskewing_member_read_the_image_once(members, mnist):
    # It centres the digit itself, so shifted copies would read the same (unless the shift pushes
    # ink out of the frame, hence digits clear of the border here): one call, the same weight.
    from hwr_desktop.core.network.presets import build_model
    plain, deskewing = load_model(members[0])[0], build_model("deskew")
    x = mnist.x_test[:200]
    border = np.ones((28, 28), bool)
    border[1:-1, 1:-1] = False
    x = x[~(x[:, border] > 0).any(axis=1)][:100]
    all_plain = build_ensemble([plain, load_model(members[1])[0]], tta=True)   # plain members: 5 views each
    assert sum(layer.name.endswith("_views") for layer in all_plain.layers) == 2
    mixed = build_ensemble([plain, deskewing], tta=True)
    views = shifted_views(x)
    plain_mean = np.mean([predict_logits(plain, v) for v in views], axis=0)
    np.testing.assert_allclose(predict_logits(deskewing, views[1]), predict_logits(deskewing, x), atol=1e-4)
    expected = (plain_mean + predict_logits(deskewing, x)) / 2
    np.testing.assert_allclose(predict_logits(mixed, x), expected, atol=1e-4)
    assert [layer.name for layer in mixed.layers if layer.name.endswith("_views")] == ["member_1_views"]
