"""GUI entry points. Qt is imported here, never from hwr_desktop.core."""
from __future__ import annotations

import os
import sys
import time

_IMPORTED = time.perf_counter()


def create_main_window(model_path=None, load_in_background: bool = False):
    """The (not yet shown) main window with the given or bundled model loaded.

    With load_in_background=True the window is ready at once and the model (and TensorFlow)
    load on a worker thread; the app's own launch uses that so the window appears quickly.
    """
    from hwr_desktop.ui.main_window import MainWindow
    return MainWindow(model_path=model_path, load_in_background=load_in_background)


def window_problem() -> str | None:
    """Why Qt could not open a window here (system libraries missing), or None: checked before Qt loads."""
    from hwr_desktop.ui.platform_check import window_problem as problem
    return problem()


def main(argv: list[str] | None = None) -> int:
    from hwr_desktop.ui.platform_check import check_can_open_window
    if not check_can_open_window():
        return 2    # the message names the missing libraries; Qt's own hint would name the wrong one
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("HWR Desktop")
    app.setOrganizationName("HWR Desktop")
    window = create_main_window(load_in_background=True)
    window.show()
    if os.environ.get("HWR_DESKTOP_EXIT_AFTER_SHOWN"):
        _report_start_up_and_quit(app, window)
    return app.exec()


def _seconds_since_launch() -> float:
    """Since the process started (Linux: from /proc, so it includes the bootloader and interpreter
    start-up); elsewhere since this module was imported."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22: starttime
            return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


def _report_start_up_and_quit(app, window) -> None:
    """HWR_DESKTOP_EXIT_AFTER_SHOWN=1: print launch -> window shown and -> model ready, then quit.

    For measuring cold start of the built app: "shown" is when the event loop has started and the
    whole window has been painted once.
    """
    from PySide6.QtCore import QTimer

    def shown():
        window.repaint()  # synchronous: the first frame is complete when we take the time
        print(f"window shown {_seconds_since_launch():.2f} s after launch", flush=True)

    def model_done(error: str | None = None):
        outcome = "ready" if error is None else "failed to load"
        print(f"model {outcome} {_seconds_since_launch():.2f} s after launch", flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(0, shown)
    window.session.modelChanged.connect(model_done)
    window.session.errorOccurred.connect(lambda _title, message: model_done(message))   # the load failed
