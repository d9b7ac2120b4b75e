"""The image being read, scaled to fit, with each mark's box, digit and confidence painted on top."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

ACCEPTED = "#2a9d4b"
REJECTED = "#d1495b"


def array_to_qimage(image: np.ndarray) -> QImage:
    a = np.ascontiguousarray(image)
    if a.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    elif a.shape[2] == 2:                       # gray + alpha
        a = np.ascontiguousarray(np.dstack([a[:, :, 0]] * 3 + [a[:, :, 1]]))
        fmt = QImage.Format.Format_RGBA8888
    else:
        fmt = QImage.Format.Format_RGB888 if a.shape[2] == 3 else QImage.Format.Format_RGBA8888
    return QImage(a.data, a.shape[1], a.shape[0], a.strides[0], fmt).copy()


class ReadingView(QWidget):
    """The image scaled to fit, with each mark's box, digit and confidence painted on top."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("readingView")
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.result = None

    def show_image(self, image: QImage | None, result=None) -> None:
        self.image, self.result = image, result
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        if self.image is None:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Open, drop or paste an image of handwritten digits")
            return
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        x0, y0 = (self.width() - w) / 2, (self.height() - h) / 2
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(x0, y0, w, h), self.image)
        if self.result is None:
            return
        font = QFont()
        font.setBold(True)
        font.setPointSize(11)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        last_above = -1e9  # right edge of the previous label above a box: labels must not overlap
        for d in self.result.digits:
            bx0, by0, bx1, by1 = d.box
            rect = QRectF(x0 + bx0 * scale, y0 + by0 * scale, (bx1 - bx0) * scale, (by1 - by0) * scale)
            color = QColor(ACCEPTED if d.digit is not None else REJECTED)
            painter.setPen(QPen(color, 2))
            painter.drawRect(rect)
            label = f"{d.digit} {d.confidence:.0%}" if d.digit is not None else f"? {d.confidence:.0%}"
            width = metrics.horizontalAdvance(label) + 8
            if rect.x() >= last_above:
                tag = QRectF(rect.x(), rect.y() - 20, width, 19)
                last_above = tag.right() + 2
            else:  # too close to the previous label: put this one under its box
                tag = QRectF(rect.x(), rect.bottom() + 1, width, 19)
            painter.fillRect(tag, color)
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
