"""Canvas first: the drawing square is the largest thing in the window, centred in its pane, growing
with the window, all of it drawable, crisp at device pixel ratio 2, with a hint while empty."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from hwr_desktop.devtools.strokes import draw_stroke, line

ROOT = Path(__file__).resolve().parents[2]


def rect_in_window(widget, window) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def leaves(window):
    """The visible widgets with no visible child widgets: the things a user sees, not their containers."""
    for widget in window.findChildren(QWidget):
        if widget.isVisibleTo(window) and not any(
                c.isVisibleTo(window) for c in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)):
            yield widget


def sized(window, qtbot, width, height):
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.height() == height)
    qtbot.wait(20)                               # let the layouts settle
    return window.draw_panel.canvas


# (window size, smallest canvas side accepted): before, 302 and 464, in a tall widget.
SIZES = [((1200, 760), 400), ((1600, 1000), 500)]


@pytest.mark.parametrize(("size", "least"), SIZES)
def test_the_canvas_is_the_largest_square_centred_beside_the_prediction(window, qtbot, size, least):
    canvas = sized(window, qtbot, *size)
    side = canvas.width()
    assert canvas.height() == side >= least
    assert canvas.image().width() == canvas.image().height() == side       # the whole widget is the image

    area = window.draw_panel.canvasArea
    square, controls = rect_in_window(canvas, area), rect_in_window(area.below, area)
    assert abs(square.left() - (area.width() - square.right() - 1)) <= 2   # centred across
    top, bottom = square.top(), area.height() - controls.bottom() - 1
    assert abs(top - bottom) <= 2 and controls.top() > square.bottom()     # centred, with its controls below
    assert controls.width() == side

    prediction = window.draw_panel.prediction
    beside = rect_in_window(prediction, window)
    assert prediction.isVisible() and beside.width() >= 200 and beside.left() > rect_in_window(canvas, window).right()
    assert window.findChild(QWidget, "predictionLabel").isVisible()

    biggest = max((w for w in leaves(window) if w is not canvas), key=lambda w: w.width() * w.height())
    assert side * side > biggest.width() * biggest.height(), biggest.objectName() or type(biggest).__name__


def test_the_canvas_grows_with_the_window_and_keeps_the_drawing(window, qtbot):
    small = sized(window, qtbot, 1200, 760).width()
    draw_stroke(window.draw_panel.canvas, line(0.5, 0.2, 0.5, 0.8))
    large = sized(window, qtbot, 1600, 1000).width()
    assert large > small + 150
    ink = np.argwhere(window.draw_panel.canvas.to_array() < 128)
    assert abs(ink[:, 1].mean() / large - 0.5) < 0.02 and ink[:, 0].min() / large == pytest.approx(0.2, abs=0.05)


def test_every_pixel_of_the_canvas_widget_can_be_drawn_on(window, qtbot):
    canvas = sized(window, qtbot, 1600, 1000)
    side = canvas.width()
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(side - 2, side - 2))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(side - 2, side - 2))
    (x, y), = canvas.strokes()[0]
    assert x > 0.99 and y > 0.99                              # the bottom-right corner is still drawable
    assert canvas.to_array()[side - 4:, side - 4:].min() < 128   # ... and inked where it was pressed


def test_an_empty_canvas_shows_a_hint_the_model_never_sees(window, qtbot):
    canvas = sized(window, qtbot, 1200, 760)
    side = canvas.width()
    background = canvas.palette().color(QPalette.ColorRole.Base)
    band = (slice(side * 2 // 5, side * 3 // 5), slice(side // 10, side * 9 // 10))  # where the hint is

    def marked(image) -> int:
        rgb = image.convertToFormat(image.Format.Format_RGB32)
        pixels = np.frombuffer(rgb.constBits(), np.uint32, count=rgb.width() * rgb.height())
        pixels = pixels.reshape(rgb.height(), rgb.width())[band]
        return int((pixels != QColor(background).rgb()).sum())

    assert canvas.isEmpty() and marked(canvas.grab().toImage()) > 100      # the hint is on screen
    assert (canvas.to_array() == canvas.to_array()[0, 0]).all()            # and not in what the model reads
    draw_stroke(canvas, line(0.1, 0.1, 0.3, 0.1))                         # ink far from the hint
    assert marked(canvas.grab().toImage()) == 0                            # the hint is gone
    canvas.clear()
    assert marked(canvas.grab().toImage()) > 100


HIDPI_SCRIPT = textwrap.dedent("""
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from hwr_desktop.devtools.strokes import draw_stroke, line
    from hwr_desktop.ui.widgets.canvas import DrawingCanvas
    canvas = DrawingCanvas()
    canvas.resize(300, 300)
    canvas.show()
    app.processEvents()
    draw_stroke(canvas, line(0.2, 0.5, 0.8, 0.5))
    app.processEvents()
    shown, model = canvas.displayImage(), canvas.image()
    print(canvas.devicePixelRatioF(), canvas.width(), shown.width(), shown.devicePixelRatio(),
          model.width(), canvas.to_array().shape[0], canvas.grab().toImage().width())
""")


def test_strokes_are_rendered_at_device_pixel_ratio_2_and_the_model_reads_logical_pixels(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", HIDPI_SCRIPT], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ratio, side, shown, shown_ratio, model, array, grabbed = (float(v) for v in done.stdout.split()[-7:])
    assert ratio == 2 and shown_ratio == 2 and side >= 280
    assert shown == 2 * side and grabbed == 2 * side          # device pixels on screen: crisp
    assert model == array == side                             # the model's image does not depend on the screen
