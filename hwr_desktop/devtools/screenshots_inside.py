"""Regenerate the Inside tab's screenshots (resources/screenshots/inside-*.png).

    QT_QPA_PLATFORM=offscreen python -m hwr_desktop.devtools.screenshots_inside [--out DIR] [--dark]

With the bundled model, draws a 3 and grabs Every layer (inside-layers.png: the whole scrolled column,
in two halves side by side), one unit of the second
convolution worked out (inside-unit.png) and the digit map with the drawing (inside-map.png); then
trains the quick preset on 10,000 images for 5 epochs in the Training tab (about a minute on two
cores) and puts Watch it learn at epochs 1 and 5 side by side (inside-learning.png). --dark uses a
dark palette and writes inside-*-dark.png (to check the views follow it).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter
from PySide6.QtTest import QTest

from hwr_desktop.devtools.offscreen_window import SCREENSHOTS, open_main_window
from hwr_desktop.devtools.screenshots_evaluation import wait_until
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke

WINDOW_SIZE = (1600, 1000)


def every_layer(layers) -> QImage:
    """All the rows of Every layer (the whole scrolled column), in two columns side by side."""
    column = layers.column.grab().toImage()
    split = layers.rows[len(layers.rows) // 2].geometry().top()
    status = layers.statusLabel.grab().toImage()
    top, bottom = column.copy(0, 0, column.width(), split), column.copy(0, split, column.width(), column.height() - split)
    both = side_by_side(top, bottom)
    out = QImage(both.width(), both.height() + status.height() + 8, QImage.Format.Format_RGB32)
    out.fill(column.pixel(2, 2))
    painter = QPainter(out)
    painter.drawImage(8, 4, status)
    painter.drawImage(0, status.height() + 8, both)
    painter.end()
    return out


def side_by_side(left: QImage, right: QImage) -> QImage:
    out = QImage(left.width() + right.width(), max(left.height(), right.height()), QImage.Format.Format_RGB32)
    out.fill(left.pixel(2, 2))
    painter = QPainter(out)
    painter.drawImage(0, 0, left)
    painter.drawImage(left.width(), 0, right)
    painter.end()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(SCREENSHOTS))
    parser.add_argument("--dark", action="store_true", help="a dark palette; files end in -dark")
    parser.add_argument("--skip-training", action="store_true", help="leave out inside-learning.png")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "-dark" if args.dark else ""

    app, window = open_main_window(WINDOW_SIZE)
    if args.dark:
        from hwr_desktop.devtools.palettes import dark_palette
        app.setPalette(dark_palette())
    window.centralWidget().setSizes([WINDOW_SIZE[0] * 2 // 5, WINDOW_SIZE[0] * 3 // 5])
    wait_until(app, lambda: window.session.ready)
    for stroke in SHAPES[3]:
        draw_stroke(window.draw_panel.canvas, stroke)
    inside = window.inside_panel
    window.show_view(inside)

    def save(name: str, image=None) -> None:
        QTest.qWait(300)
        (image if image is not None else inside.grab()).save(str(out / f"{name}{suffix}.png"))
        print(out / f"{name}{suffix}.png")

    inside.views.setCurrentWidget(inside.layers)
    wait_until(app, lambda: len(inside.layers.rows) > 0)
    QTest.qWait(300)
    save("inside-layers", every_layer(inside.layers))

    row = inside.layers.rows[4]                     # batch_normalization_6: conv2d_6 with its BN and ReLU
    channel = int(row.activation.order[0])
    y, x = np.unravel_index(int(row.activation.values[..., channel].argmax()), row.activation.values.shape[:2])
    row.body.positionClicked.emit(channel, int(y), int(x))
    QTest.qWait(300)
    unit = inside.unit                              # down to the last line of arithmetic: the rest is empty
    bottom = unit.sumLabel.mapTo(inside, unit.sumLabel.rect().bottomLeft()).y() + 16
    save("inside-unit", inside.grab(QRect(0, 0, inside.width(), bottom)))

    inside.views.setCurrentWidget(inside.digit_map)
    wait_until(app, lambda: inside.digit_map.plot.marker_position is not None)
    save("inside-map")

    if not args.skip_training:
        from hwr_desktop.core.training.loop import TrainingConfig
        learning = inside.learning
        window.training_panel.start(TrainingConfig(preset="quick", epochs=5, train_limit=10000))
        inside.views.setCurrentWidget(learning)
        wait_until(app, lambda: not window.training_panel.is_running(), timeout_s=900)
        shots = []
        for epoch in (0, 4):
            learning.epochSlider.setValue(epoch)
            QTest.qWait(300)
            shots.append(learning.grab().toImage())
        save("inside-learning", side_by_side(*shots))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
