"""Background jobs: the one Worker base every long job derives from, and JobSlot, their one lifecycle.

A Worker is a QThread whose `work()` returns its result. The base delivers that result on
`resultReady`, or a message fit for a dialog on `failed` after logging the full traceback
(logger "hwr_desktop"): an exception must never escape a thread, it would abort the app.
Signals are emitted on the worker thread and delivered, queued, to slots on the GUI thread, so
widgets are only ever touched there. `started` and `finished` are QThread's own.

Stopping is cooperative: `request_stop()` sets `stop_flag`, which the core checks between
batches, so a stop takes at most one batch. `request_abort()` (closing the app) also sets
`abort_flag`: a worker skips whatever would normally follow a stop (training: the final
evaluation).

Every panel runs its jobs through a JobSlot, so starting, replacing, dropping stale results and
stopping-and-waiting at close are done one way everywhere. A job whose core call ends in one of
our errors after a stop was requested (e.g. evaluate's "stopped") emits neither signal: JobSlot's
`jobEnded` tells its owner that it is over.
"""
from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal

from hwr_desktop.core.errors import HwrError

log = logging.getLogger("hwr_desktop")


class Worker(QThread):
    progress = Signal(int, int)          # done, total (subclasses add their own typed progress signals)
    resultReady = Signal(object)         # whatever work() returned
    failed = Signal(str)                 # a message fit for a dialog; the traceback is in the log

    def __init__(self, parent=None):
        super().__init__(parent)
        self.stop_flag = threading.Event()
        self.abort_flag = threading.Event()

    def request_stop(self) -> None:
        self.stop_flag.set()

    def request_abort(self) -> None:
        """Closing the app: stop, and skip whatever would follow a stop."""
        self.abort_flag.set()
        self.stop_flag.set()

    def run(self) -> None:
        try:
            result = self.work()
        except HwrError as exc:
            if self.stop_flag.is_set():  # the core's way of ending early: a stop, not a failure
                log.debug("%s stopped: %s", type(self).__name__, exc, exc_info=True)
                return
            log.warning("%s failed: %s", type(self).__name__, exc, exc_info=True)
            self.failed.emit(str(exc))   # one of our clear errors: the message says it all
        except Exception as exc:         # a bug: keep the app alive, keep the traceback in the log
            log.error("%s failed with an internal error", type(self).__name__, exc_info=True)
            self.failed.emit(f"Internal error: {type(exc).__name__}: {exc}")
        else:
            self.resultReady.emit(result)

    def work(self) -> object:
        raise NotImplementedError


class JobSlot(QObject):
    """At most one background job at a time for its owner (a panel, or the session's model loader).

    Asking for a new job while one runs stops the old one first and starts the new one when its
    thread has ended. Results of a stopped job are stale (e.g. for a model that is no longer
    current): slots ask `is_live()` and drop them. A worker's signals are all delivered before its
    `finished`, so once the next job starts nothing of the old one can arrive any more.
    `jobEnded` carries the worker whose thread has just ended (stale or not), after `worker` has
    been cleared, so owners can reset their controls there.
    """
    jobEnded = Signal(object)            # the Worker that has ended

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker: Worker | None = None
        self._next = None

    def run(self, factory) -> None:
        """factory() -> a connected, not yet started Worker."""
        if self.worker is not None:
            self._next = factory
            self.worker.request_stop()
            return
        self._start(factory)

    def _start(self, factory) -> None:
        self.worker = factory()
        self.worker.finished.connect(self._on_finished)
        self.worker.start()

    def _on_finished(self) -> None:
        done, self.worker = self.worker, None
        if done is not None:
            self.jobEnded.emit(done)
            done.deleteLater()
        factory, self._next = self._next, None
        if factory is not None:
            self._start(factory)

    def start(self, make, on_result, on_failed, **signals) -> None:
        """run() with the usual wiring: make() builds the worker; its `resultReady` goes to on_result,
        `failed` to on_failed, and each of its other signals named in `signals` to the slot given."""
        def factory():
            worker = make()
            worker.resultReady.connect(on_result)
            worker.failed.connect(on_failed)
            for name, slot in signals.items():
                getattr(worker, name).connect(slot)
            return worker
        self.run(factory)

    def is_running(self) -> bool:
        return self.worker is not None

    def is_live(self) -> bool:
        return self.worker is not None and not self.worker.stop_flag.is_set()

    def stop(self) -> None:
        """Stop the current job (it ends within a batch) and forget any queued one."""
        self._next = None
        if self.worker is not None:
            self.worker.request_stop()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Closing the window: abort and wait, since a running QThread must never be destroyed.
        True if no thread is left running."""
        self._next = None
        if self.worker is None:
            return True
        self.worker.request_abort()
        return self.worker.wait(timeout_ms)
