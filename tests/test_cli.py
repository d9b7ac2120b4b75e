import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from hwr_desktop.cli import main
from tests.conftest import draw_digit_like


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory, mnist):
    """The first test digits written in several formats, dark ink on white like a scan."""
    folder = tmp_path_factory.mktemp("digits")
    files = []
    for i, fmt in enumerate(["png", "jpeg", "bmp", "gif", "webp", "tiff"]):
        path = folder / f"digit{i}.{fmt}"
        Image.fromarray(draw_digit_like(mnist.x_test[i], scale=4)).convert("RGB").save(path, quality=90)
        files.append((str(path), int(mnist.y_test[i])))
    return files


def test_train_json_writes_model_and_reports(capsys, tmp_path):
    out_path = tmp_path / "m.keras"
    code, out, err = run(capsys, "train", "--preset", "quick", "--epochs", "1", "--train-limit", "2000",
                         "--out", str(out_path), "--json")
    assert code == 0, err
    doc = json.loads(out)  # exactly one JSON document on stdout
    assert {"test_accuracy", "val_accuracy", "train_seconds", "epochs", "history", "model"} <= doc.keys()
    assert doc["epochs"] == 1 and len(doc["history"]) == 1 and doc["model"] == str(out_path)
    assert 0.0 < doc["test_accuracy"] <= 1.0 and out_path.is_file()
    assert "[" not in err  # no progress bar with --json


def test_train_precision_follows_the_preset_unless_given(capsys, tmp_path, monkeypatch):
    from hwr_desktop.core import precision
    from hwr_desktop.core.models.modelfile import read_metadata
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    used = {}
    for flag in ([], ["--precision", "mixed_bfloat16"]):
        out_path = tmp_path / f"m{len(flag)}.keras"
        code, out, err = run(capsys, "train", "--preset", "quick", "--epochs", "1", "--train-limit", "1000",
                             *flag, "--out", str(out_path), "--json")
        assert code == 0, err
        used[tuple(flag)] = read_metadata(out_path)["config"]["precision"]
    assert used == {(): "float32", ("--precision", "mixed_bfloat16"): "mixed_bfloat16"}


def test_train_shows_progress_on_stderr(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--preset", "quick", "--epochs", "1", "--train-limit", "1500",
                         "--out", str(tmp_path / "p.keras"))
    assert code == 0 and "epoch 1/1" in err and "img/s" in err and "saved" in out


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "0"], "at least 1"),
    (["train", "--out", "/nonexistent/folder/m.keras"], "does not exist"),
    (["train", "--out", "model.h5"], ".keras"),
])
def test_train_errors_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_evaluate_json(capsys, tiny_model_file):
    code, out, err = run(capsys, "evaluate", "--model", str(tiny_model_file), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["n"] == 10000 and 0.9 < doc["test_accuracy"] < 1.0
    matrix = np.array(doc["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 10000
    assert np.trace(matrix) / 10000 == pytest.approx(doc["test_accuracy"])
    assert doc["test_loss"] > 0


def test_evaluate_bad_model_exits_2(capsys, tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_text("not a model")
    code, out, err = run(capsys, "evaluate", "--model", str(bad))
    assert code == 2 and "not a Keras" in err and out == ""


def test_predict_all_formats(capsys, tiny_model_file, digit_files):
    code, out, err = run(capsys, "predict", "--model", str(tiny_model_file), *[f for f, _ in digit_files], "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [r["file"] for r in doc] == [f for f, _ in digit_files]
    assert sum(r["digit"] == label for r, (_, label) in zip(doc, digit_files)) >= 5
    assert all(len(r["probabilities"]) == 10 and 0 <= r["confidence"] <= 1 for r in doc)


def test_predict_bad_inputs_are_reported_and_others_still_processed(capsys, tiny_model_file, digit_files, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    good = digit_files[0][0]
    code, out, err = run(capsys, "predict", "--model", str(tiny_model_file), str(tmp_path / "missing.png"),
                         good, str(empty), str(blank), "--json")
    doc = json.loads(out)
    assert code == 2
    assert "no such file" in doc[0]["error"] and doc[1]["digit"] == digit_files[0][1]
    assert "empty" in doc[2]["error"] and doc[3]["digit"] is None and "error" not in doc[3]


def test_usage_errors_are_one_line():
    result = subprocess.run([sys.executable, "-m", "hwr_desktop", "predict"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_cli_errors_have_no_tensorflow_noise_or_traceback(tmp_path):
    bad = tmp_path / "x.keras"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    result = subprocess.run([sys.executable, "-m", "hwr_desktop", "evaluate", "--model", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("hwr-desktop: error: x.keras")


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise():
    import io

    from hwr_desktop.cli.common import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    plain, terminal, quiet = io.StringIO(), Terminal(), io.StringIO()
    for progress in (Progress(stream=plain), Progress(stream=terminal), Progress(quiet=True, stream=quiet)):
        for done in range(0, 10_001, 500):
            progress.bar("MNIST test", done, 10_000, f"{done:,}/10,000 images")
        progress.done()
    lines = plain.getvalue().splitlines()
    assert lines[0] == "MNIST test: 0% 0/10,000 images" and lines[-1] == "MNIST test: 100% 10,000/10,000 images"
    assert len(lines) == 11 and "\r" not in plain.getvalue()            # one line per tenth, no bar codes
    drawn = terminal.getvalue()
    assert "\n" not in drawn and drawn.count("\r") == 21 + 2 and "[" + "#" * 30 + "] 100%" in drawn
    assert drawn.endswith("\r")                                         # cleared before the results
    assert quiet.getvalue() == ""


def test_evaluate_shows_progress_on_stderr_and_nothing_with_json(capsys, tiny_model_file):
    code, out, err = run(capsys, "evaluate", "--model", str(tiny_model_file))
    lines = err.splitlines()
    assert code == 0 and "MNIST test: accuracy" in out and "images" not in out
    assert lines[0] == "MNIST test: 0% 0/10,000 images" and lines[-1].startswith("MNIST test: 100% 10,000/10,000")
    assert len(lines) == 11
    code, out, err = run(capsys, "evaluate", "--model", str(tiny_model_file), "--json")
    assert code == 0 and err == "" and json.loads(out)["n"] == 10_000
