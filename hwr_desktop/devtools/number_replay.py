"""Number mode, replayed: numbers of MNIST *validation* digits written on the strip with real mouse events.

    python -m hwr_desktop.devtools.number_replay [NUMBERS] [SEED] [PEN_UP_MS]     one JSON line on stdout

The app's window (1200x760, offscreen, in number mode) gets NUMBERS numbers of 3-8 digits (lengths
and digits drawn with SEED from the validation split; the test set is never used), each traced into
pen strokes by devtools/tracer.py and written as a hand would: mouse moves at 125 Hz, at most
STEP_PX apart, the pen up PEN_UP_MS between strokes (a read starts at every pen lift, as in use;
a brisker hand, say 40 ms, lifts the pen again while the last stroke's read is still running).
The events are sent from timers inside the running event loop, so between them Qt waits as it does
in the app (with Python's GIL released, which QTest.qWait would not do: the reading thread would
then crawl, 0.5 s a read instead of 0.1 s on this machine).

Figures:
- exact: the share of numbers whose reading (predictionLabel) is the number written, digit for digit;
- release_to_shown_ms: the last pen lift -> the number shown (the read finished on its worker
  thread and its result on screen), p50/p95 over all numbers and p95 over the 8-digit ones;
- read_alone_ms: the same final strip read once more on its own right after (no thread, no memo,
  nothing before it in flight; on blank paper, as the app reads it): on a loaded machine, the
  figure to compare release_to_shown_ms with;
- read_in_flight_at_last_lift: how often the last pen lift found the previous stroke's read still
  running (the new read starts when it ends; the stop ends it at its next step);
- strokes_lost: strokes written that the strip did not keep as ink (a loop ending where it began,
  on a box of the last reading, was once taken for a click on that digit: 7 of 100 numbers lost ink);
- writing_gap_ms: gaps between ticks of a 5 ms timer on the GUI thread while the pen writes (the
  mouse events, painting, and readings arriving all run between its ticks), p50/p99/max.
`hwr-desktop bench` runs it in a fresh process (devtools/bench.py, number_replay_figures).
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

HZ = 125            # mouse events per second while the pen moves
STEP_PX = 4         # pixels between two mouse positions at most (a brisk hand: ~500 px/s)
PEN_UP_MS = 120     # pen lifted between two strokes
TICK_MS = 5
LENGTHS = (3, 8)


def _pixel_path(stroke, side: int) -> list:
    from PySide6.QtCore import QPoint
    points = [QPoint(int(x * side), int(y * side)) for x, y in stroke]
    kept = points[:1]
    for p in points[1:]:
        if (p - kept[-1]).manhattanLength() >= STEP_PX:
            kept.append(p)
    if points[-1] != kept[-1]:
        kept.append(points[-1])
    return kept


def replay(numbers: int = 100, seed: int = 29, pen_up_ms: int = PEN_UP_MS) -> dict:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.preprocess import blank_paper
    from hwr_desktop.core.reading.number_reader import bundled_reader, read_number
    from hwr_desktop.devtools.tracer import GAP, number_strokes, validation_number
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    from hwr_desktop.app import create_main_window
    window = create_main_window()
    window.resize(1200, 760)
    window.show()
    QTest.qWaitForWindowExposed(window)
    panel, canvas = window.draw_panel, window.draw_panel.numberCanvas
    deadline = time.monotonic() + 120
    while not window.session.ready and time.monotonic() < deadline:
        QTest.qWait(20)
    panel.set_number_mode(True)
    QTest.qWait(50)

    shown: list[float] = []
    errors: list[str] = []
    panel.errorOccurred.connect(lambda title, message: errors.append(f"{title}: {message}"))
    show = panel._show_number

    def recorded() -> None:                 # the number on screen: this is what the user waits for
        show()
        shown.append(time.perf_counter())
    panel._show_number = recorded

    ticks: list[float] = []
    busy: list[bool] = []
    timer = QTimer(interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    mnist, rng = load_mnist(), np.random.default_rng(seed)
    button, plain = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

    def run_loop(start, done) -> None:
        """Run the real event loop (as the app does: Qt waits with the GIL released) until done()."""
        loop = QEventLoop()
        check = QTimer(interval=2)
        check.timeout.connect(lambda: loop.quit() if done() else None)
        check.start()
        QTimer.singleShot(0, start)
        QTimer.singleShot(120_000, loop.quit)
        loop.exec()
        check.stop()

    written: list[int] = []                 # strokes written per number

    def write(images) -> tuple[float | None, list[float]]:
        """Write the number from timers inside the event loop; wait for its reading to be shown.
        (the last pen lift's time, the number shown's time or None, the GUI thread's gaps while writing)."""
        side = canvas.height()
        actions = []                        # (ms before the next action, action)
        strokes = number_strokes(images, GAP, canvas.ASPECT, canvas.brushSize())
        written.append(len(strokes))
        for stroke in strokes:
            path = _pixel_path(stroke, side)
            actions.append((1000 // HZ, lambda p=path[0]: QTest.mousePress(canvas, button, plain, p)))
            actions += [(1000 // HZ, lambda p=p: QTest.mouseMove(canvas, p)) for p in path[1:]]
            actions.append((pen_up_ms, lambda p=path[-1]: QTest.mouseRelease(canvas, button, plain, p)))
        state = {"next": 0, "released": None, "first_tick": len(ticks), "last_tick": None}

        def step() -> None:
            n = state["next"]
            delay, act = actions[n]
            if n == len(actions) - 1:
                state["released"], state["last_tick"] = time.perf_counter(), len(ticks)
                busy.append(panel.number_jobs.is_running())   # the last lift waits for a read in flight
            act()
            state["next"] = n + 1
            if n + 1 < len(actions):
                QTimer.singleShot(delay, step)

        def settled() -> bool:
            released = state["released"]
            return released is not None and not panel.number_jobs.is_running() and any(t > released for t in shown)
        run_loop(step, settled)
        released = state["released"]
        at = next((t for t in shown if released is not None and t > released), None)
        return released, at, np.diff(ticks[state["first_tick"]:state["last_tick"]]).tolist()

    warm, _ = validation_number(3, np.random.default_rng(seed + 1), mnist)   # loads the reader: not counted
    write(warm)
    rows, all_gaps, lost = [], [], 0
    for _ in range(numbers):
        canvas.clear()
        QTest.qWait(PEN_UP_MS)
        images, text = validation_number(int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)), rng, mnist)
        released, at, gaps = write(images)
        lost += written[-1] - len(canvas.strokes())    # a stroke the strip did not keep as ink
        all_gaps.extend(gaps)
        read = panel.prediction.predictionLabel.text()
        # the same strip read once more, alone (no thread, no stroke before it): what a read costs now
        start = time.perf_counter()
        read_number(window.session.predictor, canvas.reading_array(), bundled_reader(), paper=blank_paper())
        alone = (time.perf_counter() - start) * 1000
        rows.append({"text": text, "read": read, "ms": None if at is None else (at - released) * 1000, "alone": alone})
    timer.stop()
    predictor = window.session.predictor
    window.close()
    latencies = np.array([r["ms"] for r in rows if r["ms"] is not None])
    eights = np.array([r["ms"] for r in rows if r["ms"] is not None and len(r["text"]) == 8])
    gaps_ms = np.array(all_gaps) * 1000
    return {"numbers": numbers, "seed": seed, "pen_up_ms": pen_up_ms,
            "exact": float(np.mean([r["read"] == r["text"] for r in rows])),
            "release_to_shown_ms_p50": float(np.percentile(latencies, 50)),
            "release_to_shown_ms_p95": float(np.percentile(latencies, 95)),
            "release_to_shown_ms_p95_8_digits": float(np.percentile(eights, 95)) if len(eights) else None,
            "read_alone_ms_p50": float(np.percentile([r["alone"] for r in rows], 50)),
            "read_alone_ms_p95_8_digits": float(np.percentile([r["alone"] for r in rows if len(r["text"]) == 8], 95))
            if len(eights) else None,
            "eight_digit_numbers": int(len(eights)), "read_in_flight_at_last_lift": float(np.mean(busy[1:])),
            "timeouts": sum(r["ms"] is None for r in rows), "errors": errors, "strokes_lost": lost,
            "writing_gap_ms_p50": float(np.percentile(gaps_ms, 50)), "writing_gap_ms_p99": float(np.percentile(gaps_ms, 99)),
            "writing_gap_ms_max": float(gaps_ms.max()), "tick_ms": TICK_MS,
            "digit_model_backend": predictor.backend, "sequence_reader": _reader_kind(),
            "misread": [f"{r['text']}->{r['read']}" for r in rows if r["read"] != r["text"]]}


def _reader_kind() -> str:
    """What the sequence reader runs on (its model's class), for the report."""
    from hwr_desktop.core.reading.number_reader import bundled_reader
    reader = bundled_reader()
    return "none (digit reader)" if reader is None else f"{type(reader.model).__module__}.{type(reader.model).__name__}"


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    numbers = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 29
    pen_up_ms = int(sys.argv[3]) if len(sys.argv) > 3 else PEN_UP_MS
    print(json.dumps(replay(numbers, seed, pen_up_ms)), flush=True)


if __name__ == "__main__":
    main()
