"""export_model in a process of its own: what the app uses, so no converter runs beside its GUI thread.

TFLite's and tf2onnx's converters run in C++ for seconds while holding TensorFlow's locks, and call
back into Python. In the app's process the GUI thread keeps running Python meanwhile: freeing a
TensorFlow object there (by garbage collection or by plain reference counting, which nothing can
pause) waits for those locks while holding the GIL the converter needs back, and both threads stop
for good. The export dialog's test hung that way in one run of three (2026-11-29, GUI thread in a
collection) and again in a fresh-clone CI run (2026-12-04) after collection was paused for exports.
A child process has no GUI thread, so the deadlock cannot happen, and a converter that crashes takes
only the child with it.

The child is spawned (a fresh interpreter: forking a process that has loaded TensorFlow and Qt is
unsafe) and exports a saved `.keras` file with `export_model`; its progress and its one result or
error come back through a queue. A stop is passed on through an Event the child checks between
batches; a child that does not end after a stop is killed. Only the child writes the exported
files, and `export_model` writes them to temporary names first, so a killed child leaves no
half-written export; the temporaries it leaves are removed here.
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
from pathlib import Path

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.export.check import ExportCheckError, ExportError, ExportStopped, Progress
from hwr_desktop.core.export.convert import ExportToolsMissing, export_model, prepare_out

POLL_SECONDS = 0.1
GRACE_SECONDS = 60      # after a stop, how long the child may take to finish its current stage
START_METHOD = "spawn"

# Our errors travel by class name and message (an instance may not pickle); anything else is a bug.
_ERRORS = {cls.__name__: cls for cls in (HwrError, ExportError, ExportCheckError, ExportStopped, ExportToolsMissing)}


def _child(model_path: str, fmt: str, out: str, quantize, source_name: str, events, stop) -> None:
    """Runs in the spawned process: one ('progress', stage, done, total) per step, then one
    ('done', report) or ('error', class name, message)."""
    try:
        report = export_model(model_path, fmt, out, quantize,
                              progress=lambda stage, done, total: events.put(("progress", stage, done, total)),
                              stop=stop, source_name=source_name)
        events.put(("done", report))
    except HwrError as exc:
        name = type(exc).__name__
        events.put(("error", name if name in _ERRORS else "HwrError", str(exc)))
    except BaseException as exc:       # noqa: BLE001 - the parent turns it into an internal error
        events.put(("error", "internal", f"{type(exc).__name__}: {exc}"))


def export_in_subprocess(model_path: str | Path, fmt: str, out: str | Path, quantize: str | None = None,
                         progress: Progress | None = None, stop: threading.Event | None = None,
                         source_name: str | None = None):
    """export_model(model_path, ...) in a spawned child; returns its ExportReport or raises its error."""
    out = prepare_out(Path(out), fmt)          # a bad folder is one clear error, before any process starts
    context = multiprocessing.get_context(START_METHOD)
    events = context.Queue()
    child_stop = context.Event()
    process = context.Process(target=_child, daemon=True, name="hwr-desktop export",
                              args=(str(model_path), fmt, str(out), quantize,
                                    source_name or Path(model_path).name, events, child_stop))
    process.start()
    stopped_at = None
    try:
        while True:
            if stop is not None and stop.is_set() and not child_stop.is_set():
                child_stop.set()
                stopped_at = 0.0
            try:
                event = events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if stopped_at is not None:
                    stopped_at += POLL_SECONDS
                    if stopped_at > GRACE_SECONDS:
                        raise ExportStopped("export stopped; nothing was written") from None
                if not process.is_alive():
                    try:                        # it may have put its last word just before it ended
                        event = events.get(timeout=1.0)
                    except queue.Empty:
                        raise ExportError(f"the export process ended without a result (exit code "
                                          f"{process.exitcode}); nothing was written") from None
                else:
                    continue
            kind = event[0]
            if kind == "progress":
                if progress is not None:
                    progress(*event[1:])
            elif kind == "done":
                return event[1]
            else:
                name, message = event[1], event[2]
                if name == "internal":
                    raise RuntimeError(f"in the export process: {message}")
                raise _ERRORS.get(name, HwrError)(message)
    finally:
        process.join(timeout=GRACE_SECONDS if child_stop.is_set() else 10)
        if process.is_alive():
            process.kill()
            process.join()
        events.close()
        _remove_leftovers(out)


def _remove_leftovers(out: Path) -> None:
    """A killed child may leave export_model's temporary files beside the target (core/files.py names)."""
    from hwr_desktop.core import files
    for path in files.temporaries_of(out):
        files.remove(path)
