"""GUI entry points. Qt is imported here, never from hwr_desktop.core."""
from __future__ import annotations

import sys


def create_main_window(model_path=None, load_in_background: bool = False):
    """The (not yet shown) main window with the given or bundled model loaded.

    With load_in_background=True the window is ready at once and the model (and TensorFlow)
    load on a worker thread; the app's own launch uses that so the window appears quickly.
    """
    from hwr_desktop.ui.main_window import MainWindow
    return MainWindow(model_path=model_path, load_in_background=load_in_background)


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("HWR Desktop")
    app.setOrganizationName("HWR Desktop")
    window = create_main_window(load_in_background=True)
    window.show()
    return app.exec()
