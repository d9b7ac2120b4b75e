"""The start the screenshot tools share: offscreen Qt, throw-away settings, the main window shown.

Importing it sets the environment the app reads when its QApplication and settings are made,
so a tool imports it before it opens a window.
"""
import os
import tempfile
from pathlib import Path

from hwr_desktop.resources import resource_root

SCREENSHOTS = resource_root() / "screenshots"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Screenshots must not change the user's recent models or window geometry, nor add to their
# samples or run history (a screenshot that trains records a run).
os.environ["HWR_DESKTOP_CONFIG_DIR"] = tempfile.mkdtemp(prefix="hwr-screenshots-")
os.environ["HWR_DESKTOP_DATA_DIR"] = tempfile.mkdtemp(prefix="hwr-screenshots-data-")


def output_folder(description: str) -> Path:
    """The tool's --out folder (default: the README's screenshots), made if missing."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=str(SCREENSHOTS))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def use_private_samples() -> None:
    """A fresh throw-away data folder (samples, run history), empty whatever ran before in this process."""
    os.environ["HWR_DESKTOP_DATA_DIR"] = tempfile.mkdtemp(prefix="hwr-screenshots-data-")


def open_main_window(size: tuple[int, int] = (1600, 1000), model_path=None):
    """(app, window): the main window with the given or bundled model, shown at `size`."""
    from PySide6.QtWidgets import QApplication

    from hwr_desktop.app import create_main_window
    app = QApplication.instance() or QApplication([])
    window = create_main_window(model_path)
    window.resize(*size)
    window.show()
    app.processEvents()
    return app, window
