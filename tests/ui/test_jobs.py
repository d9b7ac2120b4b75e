"""The Worker base and JobSlot: results on resultReady, failures as a message with the traceback
logged, a new job replacing the old one, stale results dropped, shutdown waiting."""
import logging
import threading

from hwr_desktop.core.errors import HwrError
from hwr_desktop.ui.jobs import JobSlot, Worker


class Returns(Worker):
    def __init__(self, value, gate: threading.Event | None = None, parent=None):
        super().__init__(parent)
        self.value, self.gate = value, gate

    def work(self):
        if self.gate is not None:
            while not self.gate.wait(0.01) and not self.stop_flag.is_set():
                pass
        return self.value


class Raises(Worker):
    def __init__(self, exc, parent=None):
        super().__init__(parent)
        self.exc = exc

    def work(self):
        raise self.exc


def test_a_result_arrives_on_result_ready(qtbot):
    worker = Returns(42)
    with qtbot.waitSignal(worker.resultReady, timeout=5000) as blocker:
        worker.start()
    assert blocker.args == [42]
    worker.wait()


def test_failures_give_a_dialog_message_and_log_the_traceback(qtbot, caplog):
    caplog.set_level(logging.WARNING, logger="hwr_desktop")
    ours, bug = Raises(HwrError("the file is damaged")), Raises(ZeroDivisionError("division by zero"))
    with qtbot.waitSignal(ours.failed, timeout=5000) as blocker:
        ours.start()
    assert blocker.args == ["the file is damaged"]
    with qtbot.waitSignal(bug.failed, timeout=5000) as blocker:
        bug.start()
    assert blocker.args == ["Internal error: ZeroDivisionError: division by zero"]
    ours.wait()
    bug.wait()
    tracebacks = [r.exc_info for r in caplog.records if r.name == "hwr_desktop" and r.exc_info]
    assert [t[0] for t in tracebacks] == [HwrError, ZeroDivisionError]


def test_a_new_job_stops_the_old_one_whose_results_are_then_stale(qtbot):
    slot, seen, ended = JobSlot(), [], []
    slot.jobEnded.connect(ended.append)
    gate = threading.Event()

    def factory(value, gate=None):
        def make():
            worker = Returns(value, gate)
            worker.resultReady.connect(lambda result: seen.append((result, slot.is_live())))
            return worker
        return make
    slot.run(factory("old", gate))
    first = slot.worker
    assert slot.is_live()
    slot.run(factory("new"))                  # stops the old job; the new one starts when it has ended
    assert slot.worker is first and not slot.is_live()
    qtbot.waitUntil(lambda: not slot.is_running(), timeout=5000)
    assert seen == [("old", False), ("new", True)] and ended[0] is first and len(ended) == 2


def test_shutdown_aborts_and_waits(qtbot):
    slot = JobSlot()
    slot.run(lambda: Returns("never", threading.Event()))
    worker = slot.worker
    assert slot.shutdown(5000)
    assert worker.isFinished() and worker.abort_flag.is_set() and worker.stop_flag.is_set()


def test_the_core_ending_early_after_a_stop_is_not_a_failure(qtbot):
    class StopsWithAnError(Worker):
        def work(self):
            self.request_stop()
            raise HwrError("stopped")        # what core.models.evaluation raises when its stop flag is set
    slot, failures, ended = JobSlot(), [], []
    slot.jobEnded.connect(ended.append)

    def make():
        worker = StopsWithAnError()
        worker.failed.connect(failures.append)
        return worker
    slot.run(make)
    worker = slot.worker
    qtbot.waitUntil(lambda: ended == [worker], timeout=5000)
    assert failures == []
