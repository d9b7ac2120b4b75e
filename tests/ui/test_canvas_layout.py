"""The drawing canvas: crisp at device pixel ratio 2, with a hint while empty."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from PySide6.QtGui import QColor, QPalette

from hwr_desktop.devtools.strokes import draw_stroke, line

ROOT = Path(__file__).resolve().parents[2]


def sized(window, qtbot, width, height):
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.height() == height)
    qtbot.wait(20)                               # let the layouts settle
    return window.draw_panel.canvas


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
