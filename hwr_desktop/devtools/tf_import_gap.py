"""Does importing TensorFlow on a worker thread freeze the window? `python -m hwr_desktop.devtools.tf_import_gap`

A 10 ms Qt timer on the GUI thread records its gaps while a plain thread imports TensorFlow and Keras
(core/tfload.py); prints the import's time and the longest and p99 gaps (target: longest <= 60 ms).
Run with QT_QPA_PLATFORM=offscreen on a machine without a display.
"""
from __future__ import annotations

import sys
import threading
import time


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    gaps, last, done = [], [time.perf_counter()], threading.Event()

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if done.is_set():
            app.quit()

    def load():
        t0 = time.perf_counter()
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        import keras  # noqa: F401
        print(f"TensorFlow and Keras imported on a thread in {time.perf_counter() - t0:.2f} s", flush=True)
        done.set()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    QTimer.singleShot(200, lambda: threading.Thread(target=load, daemon=True).start())
    app.exec()
    measured = sorted(gaps[5:])
    print(f"GUI thread, 10 ms timer: {len(measured)} ticks, longest gap {1000 * measured[-1]:.0f} ms, "
          f"p99 {1000 * measured[int(len(measured) * 0.99)]:.0f} ms (target: longest <= 60 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
