"""export_model in a child process (core/export/in_subprocess.py), as the app's export dialog runs it.

Each test spawns one child, which imports TensorFlow and loads the bundled model (~5 s).
"""
from __future__ import annotations

import json
import multiprocessing
import threading

import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.export.convert import ExportError, ExportStopped
from hwr_desktop.core.export.in_subprocess import export_in_subprocess
from hwr_desktop.resources import resource_path

BUNDLED = resource_path("models", "default.keras")


def test_the_child_exports_and_its_progress_and_report_come_back(tmp_path):
    stages = []
    report = export_in_subprocess(BUNDLED, "tflite", tmp_path / "m.tflite", source_name="mine.keras",
                                  progress=lambda stage, done, total: stages.append((stage, done, total)))
    assert report.path == tmp_path / "m.tflite" and report.n == 10_000 and report.agreement >= 0.9999
    assert [s for s, _, _ in stages if s != "reference" and s != "check"] == ["convert", "convert", "write", "write"]
    assert ("check", 10_000, 10_000) in stages
    assert json.loads((tmp_path / "m.tflite.check.json").read_text())["source"] == "mine.keras"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.README.md", "m.tflite.check.json"]


def test_a_stop_reaches_the_child_and_nothing_is_written(tmp_path):
    stop = threading.Event()

    def progress(stage, done, total):
        if stage == "convert" and done == 0:
            stop.set()
    with pytest.raises(ExportStopped, match="nothing was written"):
        export_in_subprocess(BUNDLED, "tflite", tmp_path / "m.tflite", progress=progress, stop=stop)
    assert list(tmp_path.iterdir()) == []
    assert multiprocessing.active_children() == []


def test_the_childs_error_comes_back_as_one_of_ours_with_its_message(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip at all")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(HwrError, match="not a zip archive"):
        export_in_subprocess(bad, "onnx", out / "m.onnx")
    assert list(out.iterdir()) == []


def test_a_bad_folder_is_refused_before_any_process_starts(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_in_subprocess(BUNDLED, "onnx", tmp_path / "missing" / "m.onnx")
    assert multiprocessing.active_children() == []


def test_a_child_that_dies_is_an_error_and_its_temporary_file_is_removed(tmp_path):
    seen = []

    def progress(stage, done, total):
        if stage == "convert" and done == 0:      # the temporary export file exists by now
            seen.extend(p.name for p in tmp_path.iterdir())
            for child in multiprocessing.active_children():
                child.kill()
    with pytest.raises(ExportError, match="ended without a result"):
        export_in_subprocess(BUNDLED, "tflite", tmp_path / "m.tflite", progress=progress)
    assert len(seen) == 1 and seen[0].startswith(".m.") and seen[0].endswith(".tflite")
    assert list(tmp_path.iterdir()) == []
