"""The LiteRT twin of a model the user opened, made by the app and kept in the user cache.

A bundled model ships with its twin (devtools/make_tflite.py). A model the user opens is served by
Keras (TensorFlow) the first time; meanwhile the app makes its twin through the same checked TFLite
export (float32, the calibration temperature and softmax inside, compared with Keras on the 10,000
MNIST test images) and keeps it in the user cache as SHA.tflite with SHA.tflite.json, SHA being
the .keras file's SHA-256 (core/models/litert_model.py: `cache_paths`, `cached_twin`). From then on
that very file opens through LiteRT, without TensorFlow; a changed file has another SHA-256 and
is converted again.

The conversion runs in a spawned child process (core/export/in_subprocess.py), never on a thread of
the app: TFLite's converter on a worker thread deadlocked beside the GUI thread's garbage
collection (the module says how). The thread `convert_in_background` starts only waits for the
child. A twin that does not give the same digit on every test image with probabilities within
1e-5 is not kept; its record says why, so the app does not convert that file again. The record is
written last and names the SHA-256 of the .tflite written, so a file the app did not make (or one
cut short) is never loaded.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from hwr_desktop.core import files
from hwr_desktop.core.models.litert_model import cache_paths, cached_twin, sha256_of

MAX_PROB_DIFF = 1e-5        # a twin's calibrated probabilities must equal Keras' within this
SWITCH = "HWR_DESKTOP_LITERT_CACHE"   # "0": never convert in the background (the test suite's default)
WORKING_PREFIX = ".converting-"       # a conversion's working folder in the cache
LEFTOVER_AGE_S = 3600                 # older working folders are an app that closed mid-way: removed


def twin_accepted(report) -> str | None:
    """None when an export's check allows using it in Keras' place; else why not."""
    if report.agreement < 1.0 or report.max_prob_diff > MAX_PROB_DIFF:
        return (f"LiteRT twin differs from Keras (agreement {report.agreement:.4%}, largest probability "
                f"difference {report.max_prob_diff:.1e})")
    return None


def twin_record(report, keras_path: Path, source_sha256: str) -> dict:
    """The twin's record: the export check's figures and the SHA-256 of the .keras it came from."""
    record = json.loads(Path(report.check_path).read_text())
    record.update(source=keras_path.name, source_sha256=source_sha256)
    return record


def refused(keras_path: str | Path, source_sha256: str | None = None) -> str | None:
    """Why the app did not keep a twin of this very file, if it tried and refused one."""
    _, record = cache_paths(source_sha256 or sha256_of(keras_path))
    try:
        return json.loads(record.read_text()).get("refused")
    except (OSError, ValueError, AttributeError):
        return None


def sweep_leftovers(folder: Path, older_than_s: float = LEFTOVER_AGE_S) -> None:
    """Remove the working folders of conversions that never finished (the app closed meanwhile:
    its daemon thread and child end with it, before TemporaryDirectory can clean up)."""
    now = time.time()
    for path in folder.glob(f"{WORKING_PREFIX}*"):
        try:
            if path.is_dir() and now - path.stat().st_mtime > older_than_s:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def convert_to_cache(keras_path: str | Path, stop: threading.Event | None = None) -> Path | None:
    """Make the twin of `keras_path` in the user cache (in a child process) unless it is there;
    returns it, or None when the check refused it. Export errors are raised."""
    from hwr_desktop.core.export.in_subprocess import export_in_subprocess
    keras_path = Path(keras_path)
    source_sha256 = sha256_of(keras_path)
    found = cached_twin(keras_path, source_sha256)
    if found is not None or refused(keras_path, source_sha256):
        return found
    tflite, record = cache_paths(source_sha256)
    tflite.parent.mkdir(parents=True, exist_ok=True)
    sweep_leftovers(tflite.parent)
    with tempfile.TemporaryDirectory(dir=tflite.parent, prefix=WORKING_PREFIX) as folder:
        report = export_in_subprocess(keras_path, "tflite", Path(folder) / tflite.name, stop=stop,
                                      source_name=keras_path.name)
        if sha256_of(keras_path) != source_sha256:   # the file changed while it was converted
            return None
        why = twin_accepted(report)
        if why:
            files.write_text(record, json.dumps({"source_sha256": source_sha256, "refused": why}, indent=2) + "\n")
            return None
        document = twin_record(report, keras_path, source_sha256)
        document["tflite_sha256"] = sha256_of(report.path)
        with files.replacing(tflite) as tmp:
            tmp.write_bytes(report.path.read_bytes())
        files.write_text(record, json.dumps(document, indent=2) + "\n")   # last: the twin is whole
    return cached_twin(keras_path, source_sha256)


def convert_in_background(keras_path: str | Path, on_done=None) -> threading.Thread | None:
    """`convert_to_cache` on a daemon thread that only waits for the child process; `on_done(path or
    None, error or None)` is called on that thread. None (nothing started) when the switch is off."""
    if os.environ.get(SWITCH, "1") == "0":
        return None

    def run() -> None:
        try:
            path, error = convert_to_cache(keras_path), None
        except Exception as exc:   # noqa: BLE001 - a failed conversion only means Keras keeps serving
            path, error = None, exc
            logging.getLogger("hwr_desktop").warning("no LiteRT twin of %s: %s", keras_path, exc)
        if on_done is not None:
            on_done(path, error)
    thread = threading.Thread(target=run, name="hwr-desktop LiteRT twin", daemon=True)
    thread.start()
    return thread
