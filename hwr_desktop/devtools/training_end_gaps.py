"""The GUI thread's gaps around the end of a training run: `python -m hwr_desktop.devtools.training_end_gaps`

Opens the real window offscreen, trains the quick preset for one epoch (or `--epochs`, `--limit`
training images) to its end (final evaluation, run record, the history and runs views updated), and
records a 10 ms Qt timer's gaps from one second after the first batch until two seconds after the
run ended. Prints the longest and p99 gaps overall and after the last epoch (target: longest <= 60 ms),
and each gap over `--report-ms` with when it happened (seconds after the last epoch ended). With
`--sample`, a thread samples every thread's Python stack each 2 ms, and each long gap lists where
the GUI thread and the training thread were during it: the GUI work (or the worker's GIL) to blame.
Run with QT_QPA_PLATFORM=offscreen on a machine without a display.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import traceback


def _describe(frame, depth: int = 4) -> str:
    """The innermost frames that are ours (or pyqtgraph's), else the innermost ones."""
    frames = traceback.extract_stack(frame) if frame is not None else []
    ours = [f for f in frames if "hwr_desktop" in f.filename or "pyqtgraph" in f.filename] or frames
    return " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(ours[-depth:]))


class StackSampler(threading.Thread):
    def __init__(self, main_id: int, every_s: float = 0.002):
        super().__init__(daemon=True)
        self.main_id, self.every_s, self.samples, self.done = main_id, every_s, [], threading.Event()

    def run(self) -> None:
        me = threading.get_ident()
        while not self.done.wait(self.every_s):
            now = time.perf_counter()
            for ident, frame in sys._current_frames().items():
                if ident != me:
                    self.samples.append((now, "GUI" if ident == self.main_id else "worker", _describe(frame)))

    def during(self, start: float, end: float) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for t, who, where in self.samples:
            if start <= t <= end:
                found.setdefault(who, {}).setdefault(where, 0)
                found[who][where] += 1
        return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="training images (default: all 55,000)")
    parser.add_argument("--report-ms", type=float, default=40.0)
    parser.add_argument("--no-learning", action="store_true", help="untick 'Record learning' (the Inside tab's frames)")
    parser.add_argument("--sample", action="store_true", help="sample the threads' stacks (slows them a little)")
    args = parser.parse_args(argv)

    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from hwr_desktop.app import create_main_window
    window = create_main_window()
    window.show()
    QTest.qWaitForWindowExposed(window)
    panel = window.training_panel
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.epochsSpin.setValue(args.epochs)
    if args.limit:
        panel.limitSpin.setValue(args.limit)
    if args.no_learning:
        panel.recordCheck.setChecked(False)

    sampler = StackSampler(threading.get_ident()) if args.sample else None
    ticks, marks = [], {}
    panel.trainingEnded.connect(lambda: marks.setdefault("ended", time.perf_counter()))
    panel.start()
    worker = panel.worker
    worker.batchDone.connect(lambda _info: marks.setdefault("first_batch", time.perf_counter()))
    worker.epochDone.connect(lambda _info: marks.__setitem__("last_epoch", time.perf_counter()))
    worker.evaluating.connect(lambda *_: marks.setdefault("evaluating", time.perf_counter()))
    worker.resultReady.connect(lambda _r: marks.setdefault("result", time.perf_counter()))

    def tick():
        now = time.perf_counter()
        ticks.append(now)
        if "ended" in marks and now - marks["ended"] > 2.0:
            app.quit()
    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    if sampler is not None:
        sampler.start()
    QTimer.singleShot(900_000, app.quit)                       # never hang
    app.exec()
    timer.stop()
    if sampler is not None:
        sampler.done.set()
    panel.shutdown()

    t = np.array(ticks)
    start = marks.get("first_batch", t[0]) + 1.0
    gaps = [(b - a, b) for a, b in zip(t[:-1], t[1:]) if a >= start]
    ms = np.array([g for g, _ in gaps]) * 1000
    end_of_training = marks.get("last_epoch", start)
    after = np.array([g for g, b in gaps if b >= end_of_training]) * 1000
    when = {k: round(v - end_of_training, 2) for k, v in sorted(marks.items(), key=lambda kv: kv[1])}
    print(f"{args.epochs} epoch(s), limit {args.limit}, record learning {panel.recordCheck.isChecked()}: "
          f"marks (s after the last epoch ended) {when}")
    print(f"GUI thread, 10 ms timer, from 1 s after the first batch: {len(ms)} gaps, longest {ms.max():.0f} ms, "
          f"p99 {np.percentile(ms, 99):.0f} ms; after the last epoch: {len(after)} gaps, longest "
          f"{after.max() if len(after) else float('nan'):.0f} ms (target: longest <= 60 ms)")
    for gap, end in gaps:
        if gap * 1000 > args.report_ms:
            print(f"  {1000 * gap:.0f} ms gap ending {end - end_of_training:+.2f} s after the last epoch")
            if sampler is not None:
                for who, places in sampler.during(end - gap, end).items():
                    for where, n in sorted(places.items(), key=lambda kv: -kv[1])[:3]:
                        print(f"      {who} x{n}: {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
