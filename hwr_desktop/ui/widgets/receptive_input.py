"""The 28x28 model input (light on black, as the model sees it) with one box outlined: the receptive
field of the unit worked out. The outline takes the theme's orange, which stands out on the image
in both palettes; boxes reaching into the padding are drawn clipped to the image."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QWidget

from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
from hwr_desktop.ui.widgets.theme import val_colour


class ReceptiveInput(QWidget):
    def __init__(self, side: int = 168, parent=None):
        super().__init__(parent)
        self.side = side
        self.image: np.ndarray | None = None
        self.box = None                  # core.inside.receptive_field.Box or None
        self.setFixedSize(side, side)

    def set_input(self, image28, box=None) -> None:
        self.image, self.box = image28, box
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.side, self.side)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, gray_pixmap(self.image, self.side))
        if self.box is not None:
            inside, scale = self.box.clipped(), self.side / 28
            painter.setPen(QPen(val_colour(self.palette()), 2))
            painter.drawRect(QRectF(inside.left * scale + 1, inside.top * scale + 1, inside.width * scale - 2,
                                    inside.height * scale - 2))
        painter.end()
