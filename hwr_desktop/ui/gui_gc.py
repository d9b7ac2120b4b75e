"""Python's cyclic garbage collector runs on the GUI thread only, while a main window is open.

A collection runs in whichever thread happens to allocate when a threshold is crossed, and a
worker that builds TensorFlow graphs allocates a lot. If it collects a cycle holding Qt wrappers
(a closed dialog, an old window), their C++ objects are destroyed from that worker thread while
the GUI thread destroys others: we saw the two threads deadlock (a Qt mutex against the GIL) in
the export dialog's test. So, as pyqtgraph's GarbageCollector does, automatic collection is off
while a window is open and a timer on the GUI thread collects, generation by generation, with
Python's own thresholds. Reference counting still frees everything that is not in a cycle at once.
The training worker freezes the long-lived objects for its run (workers/training.py), so a full
collection here stays cheap while a model trains.

While TensorFlow work that can hold its locks for long runs on a worker (saving a model for
export), nothing collects at all (`paused`): a collection on the GUI thread that finalizes a
TensorFlow object waits for those locks while holding the GIL the worker needs back. We saw that
deadlock with TFLite's converter in the export dialog's test (one run in three, 2026-11-29), and
once more in CI with this pause in place (2026-12-04): reference counting frees TensorFlow objects
too, and nothing pauses that. So the converters now run in a child process of their own
(core/export/in_subprocess.py); the pause stays for the save before it.
"""
from __future__ import annotations

import contextlib
import gc
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

# The timer ticks every IDLE_INTERVAL_MS; when a tick finds many young objects (something is allocating
# fast, e.g. TensorFlow being imported on a worker: ~250,000 objects a second), every BUSY_INTERVAL_MS
# until the young generation stays small. A collection's cost grows with the objects it scans (~0.33 us
# each, measured): after a 1 s tick during TensorFlow's import the young generation held 244,000 objects
# and its collection froze the GUI thread for 81 ms (issue 30: <= 60 ms); at 20 ms it holds ~5,000.
IDLE_INTERVAL_MS = 200
BUSY_INTERVAL_MS = 20
BUSY_YOUNG = 10_000
_holders = 0
_timer: QTimer | None = None
_pauses = 0
_lock = threading.Lock()     # hold/release on the GUI thread, paused() in a worker


def _set_automatic() -> None:
    """Automatic collection only while no window holds it and no export pauses it."""
    if _holders == 0 and _pauses == 0:
        gc.enable()
    else:
        gc.disable()


def hold() -> None:
    """A window opens: collect now (on the GUI thread), then only from the timer."""
    global _holders, _timer
    with _lock:
        _holders += 1
        first = _holders == 1
        _set_automatic()
    if first:
        gc.collect()
        _timer = QTimer(QApplication.instance())
        _timer.timeout.connect(collect)
        _timer.start(IDLE_INTERVAL_MS)


def release() -> None:
    """A window has closed; the last one gives automatic collection back (unless an export pauses it)."""
    global _holders, _timer
    with _lock:
        _holders = max(0, _holders - 1)
        last = _holders == 0
        _set_automatic()
    if last and _timer is not None:
        _timer.stop()
        _timer.deleteLater()
        _timer = None


@contextlib.contextmanager
def paused():
    """No collection at all within this block, neither the timer's nor an automatic one (any thread
    may enter it; they nest)."""
    global _pauses
    with _lock:
        _pauses += 1
        _set_automatic()
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            _set_automatic()


def collect() -> None:
    """What automatic collection would have done since the last tick, here on the GUI thread."""
    if _pauses:
        return           # the garbage waits for the next tick after the pause
    threshold = gc.get_threshold()
    young, middle, old = gc.get_count()
    if _timer is not None:   # in between (a few thousand young objects) the pace stays as it is
        if young > BUSY_YOUNG and _timer.interval() != BUSY_INTERVAL_MS:
            _timer.setInterval(BUSY_INTERVAL_MS)
        elif young <= threshold[0] and _timer.interval() != IDLE_INTERVAL_MS:
            _timer.setInterval(IDLE_INTERVAL_MS)
    if young > threshold[0]:
        gc.collect(0)
        if middle > threshold[1]:
            gc.collect(1)
            if old > threshold[2]:
                gc.collect(2)
