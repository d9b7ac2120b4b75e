"""GUI measurements for `hwr-desktop bench`, each run in a fresh process (offscreen Qt).

    python -m hwr_desktop.devtools.gui_probe interact N SEC   release -> prediction shown (N strokes),
                                                    longest event-loop stall while training SEC s,
                                                    idle memory
It prints one JSON line on stdout. Start-up is measured by the app itself
(HWR_DESKTOP_EXIT_AFTER_SHOWN=1, see hwr_desktop/app.py).
"""
from __future__ import annotations

import json
import os
import sys
import time


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def interact(strokes: int, train_seconds: float) -> dict:
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from hwr_desktop.app import create_main_window
    window = create_main_window()
    window.show()
    QTest.qWaitForWindowExposed(window)
    canvas = window.draw_panel.canvas
    side = min(canvas.width(), canvas.height())
    rng = np.random.default_rng(0)
    latencies = []
    for i in range(strokes):
        if i % 4 == 0:
            canvas.clear()
        x0, y0, x1, y1 = rng.uniform(0.2, 0.8, 4)
        points = [QPoint(int((x0 + (x1 - x0) * t) * side), int((y0 + (y1 - y0) * t) * side)) for t in np.linspace(0, 1, 10)]
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
        for p in points[1:]:
            QTest.mouseMove(canvas, p)
        t0 = time.perf_counter()
        # The release handler preprocesses, predicts and sets the label before it returns;
        # processEvents then lets the label repaint, so this is release -> prediction shown.
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])
        app.processEvents()
        latencies.append((time.perf_counter() - t0) * 1000)
    idle_rss = _rss_mb()

    # Event-loop responsiveness while the training panel trains the quick preset.
    panel = window.training_panel
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.epochsSpin.setValue(50)
    panel.start()
    gaps, clock = [], QElapsedTimer()
    clock.start()
    state = {"last": None, "began": None}

    def tick():
        now = clock.elapsed()
        if panel.trainingPlot.data["batch_loss"][0]:           # measure once batches are flowing
            if state["began"] is None:
                state["began"] = now
            elif state["last"] is not None:
                gaps.append(now - state["last"])
            if now - state["began"] > train_seconds * 1000:
                panel.stop()
                app.quit()
        state["last"] = now
    timer = QTimer(interval=5)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(int(train_seconds * 1000) + 120000, app.quit)
    app.exec()
    timer.stop()
    panel.shutdown()
    window.close()
    lat = np.array(latencies)
    return {"release_to_prediction_ms_p50": float(np.percentile(lat, 50)),
            "release_to_prediction_ms_p95": float(np.percentile(lat, 95)),
            "strokes": strokes, "idle_rss_mb": round(idle_rss, 1),
            "max_event_loop_stall_ms": float(max(gaps) if gaps else -1), "stall_samples": len(gaps)}


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = interact(int(sys.argv[2]), float(sys.argv[3]))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
