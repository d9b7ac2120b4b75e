"""Regenerate resources/screenshots/main-{light,dark}-{1200x760,1600x1000}.png: the main window with
a digit drawn, in the default light palette and in a dark one (the app follows the system palette).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m hwr_desktop.devtools.screenshots_themes
"""
import numpy as np
from PIL import Image
from PySide6.QtGui import QImage

from hwr_desktop.devtools.offscreen_window import SCREENSHOTS as OUT
from hwr_desktop.devtools.offscreen_window import open_main_window
from hwr_desktop.devtools.palettes import dark_palette
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke

SIZES = ((1200, 760), (1600, 1000))


def save_small(image: QImage, path) -> None:
    """A PNG with a 256-colour palette fitted to the picture (median cut, no dithering): README
    pictures a fraction of the RGB size. Qt's own 8-bit conversion uses a fixed colour cube, which
    merges the dark greys of a dark palette (the canvas page became the window colour)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = rgb.width(), rgb.height()
    pixels = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.bytesPerLine() * h).reshape(h, -1)[:, :w * 3]
    picture = Image.fromarray(pixels.reshape(h, w, 3).copy())
    picture.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def main() -> None:
    for theme in ("light", "dark"):
        # A fresh window per theme, as when the app starts under a light or a dark desktop.
        from PySide6.QtWidgets import QApplication
        app = QApplication.instance() or QApplication([])
        if theme == "dark":
            app.setPalette(dark_palette())
        app, window = open_main_window(SIZES[0])
        OUT.mkdir(parents=True, exist_ok=True)
        for width, height in SIZES:
            window.resize(width, height)
            app.processEvents()
            window.draw_panel.canvas.clear()
            for stroke in SHAPES[4]:              # drawn at this size: the strokes are in canvas units
                draw_stroke(window.draw_panel.canvas, stroke)
            app.processEvents()
            save_small(window.grab().toImage(), OUT / f"main-{theme}-{width}x{height}.png")
        window.training_panel.shutdown()
        window.close()

if __name__ == "__main__":
    main()
