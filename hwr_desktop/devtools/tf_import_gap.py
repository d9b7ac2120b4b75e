"""Does importing TensorFlow on a worker thread freeze the window? `python -m hwr_desktop.devtools.tf_import_gap`

A 10 ms Qt timer on the GUI thread records its gaps while a plain thread imports TensorFlow and Keras
(core/tfload.py); prints the import's time, the longest and p99 gaps (target: longest <= 60 ms) and,
for the longest gaps, where the importing thread was when the GUI thread got the GIL back. Garbage is
collected as in the app (ui/gui_gc.py: on the GUI thread only). `--variant` picks how the native
libraries are loaded before the import:
  libc    (the app's way) glibc's dlopen called through ctypes, which releases the GIL during the call
  ctypes  ctypes.CDLL(path, RTLD_LOCAL), which holds the GIL while the library loads
  plain   no preloading: the import loads them itself
Run with QT_QPA_PLATFORM=offscreen on a machine without a display; one variant per process.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import traceback


def _load(variant: str) -> float:
    """The import on this thread, as the variant says; its seconds."""
    from hwr_desktop.core import tfload
    t0 = time.perf_counter()
    if variant == "plain":
        tfload.preload_native_libraries = lambda: []
    elif variant == "ctypes":
        import ctypes
        import importlib.util
        root = list(importlib.util.find_spec("tensorflow").submodule_search_locations)[0]
        for name in tfload.NATIVE_LIBRARIES:
            ctypes.CDLL(os.path.join(root, name), mode=os.RTLD_LOCAL)
    tfload.import_tensorflow()
    import keras  # noqa: F401
    return time.perf_counter() - t0


def _where(frame, depth: int = 3) -> str:
    frames = traceback.extract_stack(frame)[-depth:] if frame is not None else []
    return " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(frames))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("libc", "ctypes", "plain"), default="libc")
    args = parser.parse_args(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from hwr_desktop.ui import gui_gc
    app = QApplication.instance() or QApplication(sys.argv[:1])
    gui_gc.hold()
    gaps, long_gaps, last, done, state = [], [], [time.perf_counter()], threading.Event(), {}

    def tick():
        now = time.perf_counter()
        gap, last[0] = now - last[0], now
        gaps.append(gap)
        if gap > 0.045 and "thread" in state:
            long_gaps.append((gap, _where(sys._current_frames().get(state["thread"]))))
        if done.is_set():
            app.quit()

    def load():
        state["thread"] = threading.get_ident()
        state["seconds"] = _load(args.variant)
        done.set()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    QTimer.singleShot(200, lambda: threading.Thread(target=load, daemon=True).start())
    app.exec()
    gui_gc.release()
    measured = sorted(gaps[5:])
    print(f"variant {args.variant}: TensorFlow and Keras imported on a thread in {state['seconds']:.2f} s")
    print(f"GUI thread, 10 ms timer: {len(measured)} ticks, longest gap {1000 * measured[-1]:.0f} ms, "
          f"p99 {1000 * measured[int(len(measured) * 0.99)]:.0f} ms, {sum(g > 0.06 for g in measured)} over 60 ms "
          "(target: longest <= 60 ms)")
    for gap, where in sorted(long_gaps, reverse=True)[:5]:
        print(f"  {1000 * gap:.0f} ms, then the importing thread was at {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
