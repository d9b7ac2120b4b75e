"""The image being read, scaled to fit, with what the reader did painted on top (reading_overlays).

Clicking a '?' mark (its box or its tag) emits digitClicked so the panel can offer a correction;
hovering a mark shows its likeliest digits in a tooltip.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from hwr_desktop.ui.widgets.reading_overlays import alternatives_text, lines_overlay, paint_marks, paint_pieces

CLICK_MARGIN = 4   # view pixels around a box that still count as the box: thin '1's are hard to hit


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
    """The image scaled to fit, with removed lines, pieces, and each mark's box, digit and confidence."""

    digitClicked = Signal(int, QPoint)   # index of a correctable mark, global position for a menu

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("readingView")
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)   # the pointing hand over '?' marks
        self.image: QImage | None = None
        self.result = None
        self.corrections: dict[int, int] = {}
        self.show_lines, self.show_pieces = True, False
        self._lines: QImage | None = None
        self._tags: list[QRectF] = []   # where the last paint put each mark's tag

    def show_image(self, image: QImage | None, result=None, corrections: dict[int, int] | None = None) -> None:
        if result is not self.result or image is not self.image:
            mask = None if result is None else result.lines_mask
            self._lines = lines_overlay(mask) if mask is not None and mask.any() else None
            self._tags = []
        self.image, self.result, self.corrections = image, result, dict(corrections or {})
        self.update()

    def set_layers(self, lines: bool, pieces: bool) -> None:
        self.show_lines, self.show_pieces = lines, pieces
        self.update()

    def image_rect(self) -> QRectF | None:
        """Where the image is drawn: scaled to fit, centred."""
        if self.image is None or self.image.isNull():
            return None
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def box_rect(self, box) -> QRectF:
        """An image-pixel box (x0, y0, x1, y1) in view coordinates."""
        target = self.image_rect()
        scale = target.width() / self.image.width()
        x0, y0, x1, y1 = box
        return QRectF(target.x() + x0 * scale, target.y() + y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale)

    def to_image(self, pos: QPointF) -> QPointF | None:
        """A view position in image pixels; None outside the image."""
        target = self.image_rect()
        if target is None or not target.contains(pos):
            return None
        scale = self.image.width() / target.width()
        return QPointF((pos.x() - target.x()) * scale, (pos.y() - target.y()) * scale)

    def mark_at(self, pos: QPointF) -> int | None:
        """The mark whose box (with CLICK_MARGIN) or tag is under a view position."""
        if self.result is None or self.image_rect() is None:
            return None
        for index, d in enumerate(self.result.digits):
            box = self.box_rect(d.box).adjusted(-CLICK_MARGIN, -CLICK_MARGIN, CLICK_MARGIN, CLICK_MARGIN)
            tag = self._tags[index] if index < len(self._tags) else QRectF()
            if box.contains(pos) or tag.contains(pos):
                return index
        return None

    def is_correctable(self, index: int | None) -> bool:
        return index is not None and (self.result.digits[index].digit is None or index in self.corrections)

    def mousePressEvent(self, event) -> None:
        index = self.mark_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and self.is_correctable(index):
            self.digitClicked.emit(index, event.globalPosition().toPoint())
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        correctable = self.is_correctable(self.mark_at(event.position()))
        self.setCursor(Qt.CursorShape.PointingHandCursor if correctable else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def tooltip_at(self, pos: QPointF) -> str:
        index = self.mark_at(pos)
        if index is None:
            return ""
        digit = self.result.digits[index]
        why = f"\nNot read: {digit.why}" if digit.digit is None and digit.why else ""
        hint = "\nClick to choose the right digit" if self.is_correctable(index) else ""
        return f"Likeliest: {alternatives_text(digit)}{why}{hint}"

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        target = self.image_rect()
        if target is None:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Open, drop or paste an image of handwritten digits")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)
        if self.result is None:
            return
        if self.show_lines and self._lines is not None:   # the mask may be at a smaller working size
            painter.drawImage(target, self._lines)
        if self.show_pieces:
            paint_pieces(painter, self.result.pieces, self.box_rect)
        self._tags = paint_marks(painter, self.result.digits, self.corrections, self.box_rect)
