"""`hwr-desktop export`: the check's figures as JSON, one-line errors with exit status 2."""
import json
import os
import sys

import pytest

from hwr_desktop.cli import main


def test_export_prints_the_check_and_writes_the_files(tmp_path, capsys):
    out = tmp_path / "digits.onnx"
    assert main(["export", "--format", "onnx", "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["path"] == str(out) and out.is_file() and doc["size_bytes"] == out.stat().st_size
    assert doc["n"] == 10000 and doc["agreement"] >= 0.9999 and doc["export_accuracy"] >= 0.996
    assert json.loads((tmp_path / "digits.onnx.check.json").read_text())["agreement"] == doc["agreement"]
    assert "onnxruntime" in (tmp_path / "digits.onnx.README.md").read_text()


@pytest.mark.parametrize("argv, message", [
    (["--format", "onnx", "--out", "digits.tflite"], "must end in .onnx"),
    (["--format", "onnx", "--out", "no/such/folder/d.onnx"], "does not exist"),
    (["--format", "savedmodel", "--out", "m", "--quantize", "int8"], "int8 quantization is for tflite only"),
    (["--format", "tflite", "--out", "d.tflite", "--model", "missing.keras"], "no such file"),
])
def test_bad_requests_are_one_line_and_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("hwr-desktop: error:")
    assert list(tmp_path.iterdir()) == []                      # nothing half-written


def test_missing_runtime_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)      # as if the extra were not installed
    assert main(["export", "--format", "onnx", "--out", str(tmp_path / "d.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert "pip install -e '.[export]'" in err and "onnxruntime" in err and len(err.splitlines()) == 1


def test_a_bad_model_is_one_line_with_no_native_log_lines_unless_verbose(tmp_path):
    """tf2onnx and onnxruntime load TensorFlow before our quiet import does: its absl and oneDNN lines came
    before the one-line error. Every command now runs with the native log silenced; --verbose shows it."""
    import subprocess
    pytest.importorskip("tf2onnx")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    argv = ["export", "--format", "onnx", "--out", str(tmp_path / "d.onnx"), "--model", str(bad)]
    # TensorFlow's C++ log let through down to its INFO lines: at the package's default level (warnings
    # and up) an AVX2-only CPU logs nothing at import, and --verbose had nothing to show (CI, 2026-12-07)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    result = subprocess.run([sys.executable, "-m", "hwr_desktop", *argv], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [f"hwr-desktop: error: bad.keras: {result.stderr.split('bad.keras: ')[1].strip()}"]
    assert "not a Keras" in result.stderr
    verbose = subprocess.run([sys.executable, "-m", "hwr_desktop", "--verbose", *argv], capture_output=True,
                             text=True, timeout=300, env=env)
    assert verbose.returncode == 2 and verbose.stderr.splitlines()[-1] == result.stderr.strip()
    assert len(verbose.stderr.splitlines()) > 1                  # what --verbose is for: the native lines too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.keras"]
