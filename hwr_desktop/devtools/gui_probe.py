"""GUI measurements for `hwr-desktop bench`, each run in a fresh process (offscreen Qt).

    python -m hwr_desktop.devtools.gui_probe interact N SEC   release -> prediction shown (N strokes),
                                                    idle memory, then the event loop while the
                                                    Training panel trains the quick preset
    python -m hwr_desktop.devtools.gui_probe training SEC   only the event loop while training
    python -m hwr_desktop.devtools.gui_probe train SEC      the same training without any GUI (the
                                                    throughput the panel's run is compared with)
Each prints one JSON line on stdout.

The event loop during training: a 10 ms timer on the GUI thread records the gaps between its
ticks for SEC seconds, from one second after the first batch arrived (TensorFlow's warm-up is
not the app's doing). Throughput is counted over the same window from BatchInfo
(images_per_second x elapsed = images done), in the app and in the plain run alike. Stop latency
is Stop clicked -> training over (the worker's thread ended, or its final test evaluation began).
Start-up is measured by the app itself (HWR_DESKTOP_EXIT_AFTER_SHOWN=1, see hwr_desktop/app.py).
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


def _open_window():
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from hwr_desktop.app import create_main_window
    window = create_main_window()
    window.show()
    QTest.qWaitForWindowExposed(window)
    return app, window


def training_only(train_seconds: float) -> dict:
    app, window = _open_window()
    training = training_gaps(app, window.training_panel, train_seconds)
    window.close()
    return training


def interact(strokes: int, train_seconds: float) -> dict:
    import numpy as np
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    app, window = _open_window()
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

    training = training_gaps(app, window.training_panel, train_seconds)
    window.close()
    lat = np.array(latencies)
    return {"release_to_prediction_ms_p50": float(np.percentile(lat, 50)),
            "release_to_prediction_ms_p95": float(np.percentile(lat, 95)),
            "strokes": strokes, "idle_rss_mb": round(idle_rss, 1), **training}


QUICK_RUN = {"preset": "quick", "epochs": 50}   # long enough never to end while measured


def _images_per_second(infos: list[tuple[float, object]], start_s: float, seconds: float) -> float:
    """Images/s over [start_s, start_s + seconds] of the run, from (time, BatchInfo) pairs."""
    window = [info for t, info in infos if start_s <= t <= start_s + seconds]
    if len(window) < 2:
        return float("nan")
    first, last = window[0], window[-1]
    done = last.images_per_second * last.elapsed - first.images_per_second * first.elapsed
    return done / (last.elapsed - first.elapsed)


def training_gaps(app, panel, seconds: float, skip_s: float = 1.0, tick_ms: int = 10) -> dict:
    """The GUI thread's event loop while the panel trains the quick preset, then Stop."""
    import numpy as np
    from PySide6.QtCore import QTimer
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.epochsSpin.setValue(QUICK_RUN["epochs"])
    panel.start()
    worker = panel.worker
    infos, gaps, state = [], [], {"first": None, "last": None, "stopped_at": None, "over_at": None}
    worker.batchDone.connect(lambda info: infos.append((time.perf_counter(), info)))

    def over():
        if state["stopped_at"] is not None and state["over_at"] is None:
            state["over_at"] = time.perf_counter()
            app.quit()
    worker.evaluating.connect(over)
    worker.finished.connect(over)

    def tick():
        now = time.perf_counter()
        if infos and state["first"] is None:
            state["first"] = infos[0][0]
        if state["first"] is not None and now - state["first"] > skip_s and state["last"] is not None:
            gaps.append((now - state["last"]) * 1000)
        state["last"] = now
        if state["first"] is not None and now - state["first"] > skip_s + seconds:
            timer.stop()
            state["stopped_at"] = time.perf_counter()
            panel.stopButton.click()
    timer = QTimer(interval=tick_ms)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(int(seconds * 1000) + 180000, app.quit)   # never hang the bench
    app.exec()
    timer.stop()
    panel.shutdown()
    g = np.array(gaps or [float("nan")])
    first = state["first"] or 0.0
    return {"training_gap_p50_ms": float(np.percentile(g, 50)), "training_gap_p99_ms": float(np.percentile(g, 99)),
            "training_gap_max_ms": float(g.max()), "training_gaps_over_33ms": int((g > 33).sum()),
            "training_gap_samples": len(gaps), "training_gap_tick_ms": tick_ms,
            "panel_images_per_second": _images_per_second(infos, first + skip_s, seconds),
            "stop_latency_s": (state["over_at"] - state["stopped_at"]) if state["over_at"] else None,
            "panel_config": panel.config().resolved().to_dict()}


def train_reference(seconds: float, skip_s: float = 1.0) -> dict:
    """The quick preset as the panel runs it, in a plain process without Qt (as `hwr-desktop train`)."""
    import threading

    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, train
    stop, infos = threading.Event(), []

    class Record(TrainingCallbacks):
        def on_batch(self, info):
            now = time.perf_counter()
            infos.append((now, info))
            if now - infos[0][0] > skip_s + seconds:
                stop.set()
    config = TrainingConfig(**QUICK_RUN)
    train(config, Record(), stop)
    return {"images_per_second": _images_per_second(infos, infos[0][0] + skip_s, seconds),
            "config": config.resolved().to_dict()}


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if sys.argv[1] == "train":
        out = train_reference(float(sys.argv[2]))
    elif sys.argv[1] == "training":
        out = training_only(float(sys.argv[2]))
    else:
        out = interact(int(sys.argv[2]), float(sys.argv[3]))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
