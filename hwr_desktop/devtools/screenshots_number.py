"""Regenerate resources/screenshots/number-mode.png and number-correction.png: a number written on the
number strip (MNIST validation digits traced into pen strokes, devtools/tracer.py) and read, and
one of its digits clicked with its alternatives listed.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m hwr_desktop.devtools.screenshots_number [--out DIR]
"""
import numpy as np

from hwr_desktop.devtools.offscreen_window import open_main_window, output_folder

SEED = 2033          # the 7-digit number of tests/ui/test_number_tracing.py (seed 2026 + 7)


def main() -> None:
    from PySide6.QtGui import QPainter, QPalette, QPixmap

    from hwr_desktop.devtools.tracer import validation_number, write_number
    out = output_folder(__doc__.splitlines()[0])
    app, window = open_main_window((1200, 760))
    while not window.session.ready:
        app.processEvents()
    panel = window.draw_panel
    panel.numberModeButton.click()
    app.processEvents()
    images, _ = validation_number(7, np.random.default_rng(SEED))
    write_number(panel.numberCanvas, images)
    while panel.last_reading is None or panel.number_jobs.is_running():
        app.processEvents()
    app.processEvents()
    window.grab().save(str(out / "number-mode.png"))

    # the least sure digit, clicked on its box: the menu is a popup of its own, painted onto the window
    index = int(np.argmin([d.confidence for d in panel.last_reading.digits]))
    box = panel.numberCanvas.digitRects()[index]
    panel.numberCanvas.digitClicked.emit(index, panel.numberCanvas.mapToGlobal(box.bottomLeft().toPoint()))
    app.processEvents()
    window_shot, menu = window.grab(), panel.digitMenu
    at = window.mapFromGlobal(menu.pos())
    # A popup may reach below the window (it does at 1200x760): the picture grows to hold it whole.
    shot = QPixmap(window_shot.width(), max(window_shot.height(), at.y() + menu.height()))
    shot.fill(window.palette().color(QPalette.ColorRole.Window))
    painter = QPainter(shot)
    painter.drawPixmap(0, 0, window_shot)
    painter.drawPixmap(at, menu.grab())
    painter.end()
    shot.save(str(out / "number-correction.png"))
    menu.close()
    window.close()


if __name__ == "__main__":
    main()
