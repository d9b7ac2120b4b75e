"""A layer's feature maps as a grid of small images, in the order given (most active first); a click
on a map names the position: (channel, y, x).

Maps are shown as the model's images are (light on black, in every palette), on one scale for the
whole layer, so a quiet map looks quiet: black is zero or less, white the layer's largest value.
Captions and the selection frame take the palette's colours at paint time.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

GAP = 2
MIN_SIDE = 20           # a small map (7x7) still shows its shape; the caption "#63" still fits under it


def layer_scale(values: np.ndarray) -> float:
    """The value drawn white: the layer's largest (1 when nothing is positive)."""
    top = float(np.max(values)) if values.size else 0.0
    return top if top > 0 else 1.0


def map_image(channel_map: np.ndarray, scale: float) -> QImage:
    data = np.ascontiguousarray(np.clip(channel_map / scale * 255, 0, 255).astype(np.uint8))
    return QImage(data.data, data.shape[1], data.shape[0], data.strides[0], QImage.Format.Format_Grayscale8).copy()


class ActivationMaps(QWidget):
    positionClicked = Signal(int, int, int)     # channel, y, x

    def __init__(self, side: int = 46, per_row: int = 16, parent=None):
        super().__init__(parent)
        # A page of maps (16, layer_row.PAGE) fits one row: the tiles shrink to the width, from `side`
        # down to a pixel per map position (16 maps of 46 px needed 832 px; at 1200x760 the row has
        # ~480 px, 16 tiles of 28 px and their gaps). Smaller, some positions could not be clicked.
        self.max_side, self.per_row = side, per_row
        self.side = side
        self.values: np.ndarray | None = None    # (H, W, C)
        self.channels: list[int] = []
        self.selected: tuple | None = None       # (channel, y, x)
        self._images: list[QImage] = []
        # Its height follows its width (as many rows as the maps need), set in _fit_height: scroll
        # areas do not honour heightForWidth.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_maps(self, values: np.ndarray, channels) -> None:
        self.values, self.channels = values, [int(c) for c in channels]
        scale = layer_scale(values)
        self.side = self.side_for(self.width())
        self._images = [map_image(values[..., c], scale) for c in self.channels]
        self._fit_height()
        self.update()

    def select(self, position: tuple | None) -> None:
        self.selected = position
        self.update()

    # ----- geometry -----
    def side_for(self, width: int) -> int:
        least = max(MIN_SIDE, self.values.shape[0] if self.values is not None else 0)
        return max(least, min(self.max_side, (width + GAP) // self.per_row - GAP))   # no gap after the last

    def _cell(self, width: int | None = None) -> tuple[int, int]:
        side = self.side if width is None else self.side_for(width)
        return side + GAP, side + self.fontMetrics().lineSpacing() + GAP

    def columns(self, width: int | None = None) -> int:
        width = width or self.width()
        return max(1, (width + GAP) // self._cell(width)[0])

    def _fit_height(self) -> None:
        needed = self.heightForWidth(self.width())
        if needed != self.height() or needed != self.minimumHeight():
            self.setFixedHeight(needed)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.side = self.side_for(self.width())
        self._fit_height()

    def heightForWidth(self, width: int) -> int:
        rows = -(-len(self.channels) // self.columns(width)) if self.channels else 0
        return rows * self._cell(width)[1]

    def sizeHint(self) -> QSize:
        width = self.per_row * (self.max_side + GAP)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(MIN_SIDE + GAP, 0)

    def tile_rect(self, i: int) -> QRect:
        w, h = self._cell()
        columns = self.columns()
        return QRect((i % columns) * w, (i // columns) * h, self.side, self.side)

    def position_at(self, point: QPoint) -> tuple | None:
        """(channel, y, x) under a point of the widget, or None."""
        if self.values is None:
            return None
        for i, channel in enumerate(self.channels):
            rect = self.tile_rect(i)
            if rect.contains(point):
                h, w = self.values.shape[:2]
                y = min(h - 1, (point.y() - rect.top()) * h // self.side)
                x = min(w - 1, (point.x() - rect.left()) * w // self.side)
                return channel, int(y), int(x)
        return None

    def point_of(self, channel: int, y: int, x: int) -> QPoint:
        """The widget point in the middle of map position (y, x) of `channel` (for tests and probes)."""
        rect = self.tile_rect(self.channels.index(channel))
        h, w = self.values.shape[:2]
        # The first pixel of the position: position_at maps it back to (y, x) at any side >= the map's.
        return QPoint(rect.left() + math.ceil(x * self.side / w), rect.top() + math.ceil(y * self.side / h))

    # ----- events -----
    def mouseMoveEvent(self, event) -> None:
        found = self.position_at(event.position().toPoint())
        if found is not None:
            channel, y, x = found
            self.setToolTip(f"map #{channel}, position ({y}, {x}): {self.values[y, x, channel]:.4g}\n"
                            "Click to work this unit out")
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event) -> None:
        found = self.position_at(event.position().toPoint())
        if found is not None and event.button() == Qt.MouseButton.LeftButton:
            self.select(found)
            self.positionClicked.emit(*found)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        line = self.fontMetrics().lineSpacing()
        for i, (channel, image) in enumerate(zip(self.channels, self._images)):
            rect = self.tile_rect(i)
            painter.drawImage(rect, image)
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            painter.drawText(QRect(rect.left(), rect.bottom() + 1, rect.width(), line),
                             Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextDontClip, f"#{channel}")
            if self.selected is not None and self.selected[0] == channel:
                h, w = self.values.shape[:2]
                _, y, x = self.selected
                painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
                painter.drawRect(QRect(rect.left() + x * self.side // w, rect.top() + y * self.side // h,
                                       max(3, self.side // w), max(3, self.side // h)))
        painter.end()
