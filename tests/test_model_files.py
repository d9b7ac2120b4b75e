import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hwr_desktop.core.errors import ModelFileError
from hwr_desktop.core.models.inference import Predictor
from hwr_desktop.core.models.modelfile import load_model, read_metadata, save_model
from tests.conftest import draw_digit_like


def test_round_trip_keeps_predictions_and_metadata(tiny_model_file, tmp_path, mnist):
    model, meta = load_model(tiny_model_file)
    assert meta["preset"] == "quick" and meta["config"]["epochs"] == 2 and len(meta["history"]) == 2
    assert meta["parameters"] == model.count_params() and meta["versions"]["keras"].startswith("3.")
    assert meta["outputs"] == "logits" and "trained_at" in meta
    copy = tmp_path / "copy.keras"
    save_model(model, copy, {**meta, "note": "copied"})
    model2, meta2 = load_model(copy)
    x = mnist.x_test[:32, :, :, None] / 255.0
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(model2(x)), atol=1e-5)
    assert meta2["note"] == "copied"


def test_wrong_shape_model_is_refused(tmp_path):
    import keras
    wrong_input = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    wrong_output = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(7)])
    for model, message in ((wrong_input, "not 28x28x1"), (wrong_output, "not 10 classes")):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        with pytest.raises(ModelFileError, match=message):
            load_model(path)


def test_lambda_layer_is_refused_in_safe_mode(tmp_path):
    import keras
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda t: t * 2),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="Python code"):
        load_model(path)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"hello, I am text", "not a Keras"), (None, "no such file"), ("dir", "folder"),
])
def test_bad_files_get_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.keras"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_truncated_and_corrupt_zip_are_refused(tiny_model_file, tmp_path):
    data = tiny_model_file.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_model(truncated)
    hollow = tmp_path / "hollow.keras"
    with zipfile.ZipFile(hollow, "w") as z:
        z.writestr("config.json", "{not json")
    with pytest.raises(ModelFileError, match="cannot load"):
        load_model(hollow)


def test_failed_save_leaves_old_file_intact(tiny_model_file, tmp_path, monkeypatch):
    model, meta = load_model(tiny_model_file)
    target = tmp_path / "keep.keras"
    save_model(model, target, meta)
    before = target.read_bytes()

    def broken_save(self, *args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(type(model), "save", broken_save)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(model, target, meta)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.keras"]  # no temporary left behind


def test_save_refuses_wrong_suffix_and_missing_folder(tiny_model_file, tmp_path):
    model, meta = load_model(tiny_model_file)
    with pytest.raises(ModelFileError, match=".keras"):
        save_model(model, tmp_path / "m.h5", meta)
    with pytest.raises(ModelFileError, match="does not exist"):
        save_model(model, tmp_path / "nope" / "m.keras", meta)


def test_predictor_reads_an_upscaled_drawing(tiny_model_file, mnist):
    predictor = Predictor.from_file(tiny_model_file)
    hits = sum(predictor.predict_image(draw_digit_like(mnist.x_test[i])).digit == mnist.y_test[i] for i in range(30))
    assert hits >= 26  # the tiny model is ~96 % accurate
    empty = predictor.predict_image(np.full((100, 100), 255, np.uint8))
    assert empty.digit is None and empty.probabilities.sum() == 0
    p = predictor.predict_image(draw_digit_like(mnist.x_test[0]))
    assert p.probabilities.sum() == pytest.approx(1.0, abs=1e-5) and p.prepared.image.shape == (28, 28)


def test_saved_files_get_ordinary_permissions(tiny_model_file, tmp_path):
    import os
    import stat
    model, meta = load_model(tiny_model_file)
    target = save_model(model, tmp_path / "perm.keras", meta)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_bundled_model_meets_the_accuracy_bar():
    from hwr_desktop.resources import default_model_path
    meta = read_metadata(default_model_path())
    assert meta["preset"] == "default" and meta["metrics"]["test_accuracy"] >= 0.996


COMMITTED = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "resources" / "models").glob("*.keras"))


def test_every_committed_model_file_loads_unchanged_in_a_fresh_interpreter():
    """Moving core's modules must not break the committed files: Keras finds the Deskew layer of
    ensemble.keras by its registered name, hwr_desktop>Deskew, although its config still names the
    module it had when saved (hwr_desktop.core.deskew). A fresh interpreter, so only load_model
    itself registers the layer."""
    assert {"default.keras", "ensemble.keras", "number_reader.keras"} <= set(COMMITTED)
    with zipfile.ZipFile(Path(__file__).resolve().parent.parent / "resources" / "models" / "ensemble.keras") as z:
        assert '"registered_name": "hwr_desktop>Deskew"' in z.read("config.json").decode()
    code = textwrap.dedent(f"""
        import json, numpy as np
        from hwr_desktop.core.models.modelfile import load_model
        from hwr_desktop.core.reading.number_reader import SequenceReader
        from hwr_desktop.resources import resource_path
        def ours(layer):   # our layer classes, at any depth (an ensemble nests its members)
            inner = [x for child in getattr(layer, "layers", []) for x in ours(child)]
            mine = [type(layer).__module__ + "." + type(layer).__name__] if type(layer).__module__.startswith("hwr") else []
            return mine + inner
        found = {{}}
        for name in {COMMITTED!r}:
            shapes = SequenceReader.SHAPES if name == "number_reader.keras" else ((28, 28, 1), (10,))
            model, info = load_model(resource_path("models", name), shapes=shapes)
            given = [64 if n is None else n for n in shapes[0]]      # a 64-column strip for the reader
            out = np.asarray(model(np.zeros((1, *given), np.float32), training=False))
            found[name] = [info.preset, list(out.shape[1:]), sorted(set(ours(model)))]
        print(json.dumps(found))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["default.keras"] == ["default", [10], []]
    assert found["ensemble.keras"][0].startswith("ensemble of") and found["ensemble.keras"][1:] == [
        [10], ["hwr_desktop.core.network.deskew.Deskew"]]
    assert found["number_reader.keras"] == ["sequence-reader", [32, 11], []]
