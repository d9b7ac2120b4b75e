"""The confusion matrix as a clickable heat map: rows are true digits, columns predicted digits.

Correct answers (the diagonal) are shaded blue by the share of that digit they cover; mistakes
red, on a logarithmic scale so that a cell with 2 errors is still visibly different from one with
none next to a cell with 30. Clicking a cell, or moving to it with the arrow keys and pressing Enter
or Space, emits `cellClicked(true, predicted)`. Shades blend from
the palette's base colour, so empty cells are dark in dark mode; counts are written in black or
white, whichever contrasts with the cell.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from hwr_desktop.ui.widgets.theme import is_dark

LABEL_MARGIN = 40     # room for the digit labels and the axis titles, left and top
# Full-strength shades; on a dark base a little deeper, so white counts stay readable on them.
RIGHT_LIGHT, WRONG_LIGHT = (40, 110, 200), (215, 45, 45)
RIGHT_DARK, WRONG_DARK = (45, 105, 190), (190, 45, 45)


class ConfusionMatrixView(QWidget):
    cellClicked = Signal(int, int)       # true digit, predicted digit

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setMouseTracking(True)      # tooltips follow the hovered cell
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)     # arrow keys and Enter work like clicks
        self.setAccessibleName("Confusion matrix")
        self.setAccessibleDescription("Arrow keys move between cells; Enter or Space shows the cell's images")
        self.setMinimumSize(260, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.matrix: np.ndarray | None = None
        self.selected: tuple[int, int] | None = None

    def sizeHint(self) -> QSize:
        return QSize(420, 420)

    def set_matrix(self, matrix: np.ndarray | None) -> None:
        self.matrix = None if matrix is None else np.asarray(matrix, np.int64)
        self.selected = None
        self.update()

    def set_selected(self, cell: tuple[int, int] | None) -> None:
        self.selected = cell
        self.update()

    # ----- geometry, shared by painting, clicking and the tests -----
    def _cell_size(self) -> float:
        return max(8.0, min(self.width() - LABEL_MARGIN - 4, self.height() - LABEL_MARGIN - 4) / 10)

    def _origin(self) -> QPointF:
        # The grid is centred in the space right of and below the labels.
        size = self._cell_size() * 10
        x = LABEL_MARGIN + max(0.0, (self.width() - LABEL_MARGIN - size) / 2)
        return QPointF(x, LABEL_MARGIN)

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        c, o = self._cell_size(), self._origin()
        return QRectF(o.x() + predicted * c, o.y() + true * c, c, c)

    def cell_at(self, pos) -> tuple[int, int] | None:
        c, o = self._cell_size(), self._origin()
        col, row = math.floor((pos.x() - o.x()) / c), math.floor((pos.y() - o.y()) / c)
        return (row, col) if 0 <= row < 10 and 0 <= col < 10 else None

    # ----- interaction -----
    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position())
        if self.matrix is not None and cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.set_selected(cell)
            self.cellClicked.emit(*cell)
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        steps = {Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0), Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1)}
        key = event.key()
        if self.matrix is None or (key not in steps and key not in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)):
            super().keyPressEvent(event)
            return
        t, p = self.selected or (0, 0)
        if key in steps:
            dt, dp = steps[key]
            self.set_selected((min(9, max(0, t + dt)), min(9, max(0, p + dp))))
        else:
            self.set_selected((t, p))
            self.cellClicked.emit(t, p)

    def mouseMoveEvent(self, event) -> None:
        cell = self.cell_at(event.position())
        if self.matrix is None or cell is None:
            self.setToolTip("")
        else:
            t, p = cell
            kind = "right" if t == p else "wrong"
            self.setToolTip(f"true {t}, predicted {p}: {self.matrix[t, p]:,} images ({kind}). Click to see them.")
        super().mouseMoveEvent(event)

    # ----- painting -----
    def _cell_colour(self, t: int, p: int, base: QColor, dark: bool = False) -> QColor:
        count = int(self.matrix[t, p])
        if count == 0:
            return base
        if t == p:
            share = count / max(1, int(self.matrix[t].sum()))
            strength = 0.35 + 0.65 * share
            target = QColor(*(RIGHT_DARK if dark else RIGHT_LIGHT))
        else:
            off = self.matrix[~np.eye(10, dtype=bool)]
            strength = 0.2 + 0.8 * math.log1p(count) / math.log1p(max(1, int(off.max())))
            target = QColor(*(WRONG_DARK if dark else WRONG_LIGHT))
        return QColor(*(round(b + (c - b) * strength) for b, c in
                        zip(base.getRgb()[:3], target.getRgb()[:3])))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text_colour = palette.color(QPalette.ColorRole.WindowText)
        base = palette.color(QPalette.ColorRole.Base)
        dark = is_dark(palette)
        c, o = self._cell_size(), self._origin()
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, min(10.0, c / 3.6)))
        painter.setFont(font)
        painter.setPen(text_colour)
        painter.drawText(QRectF(o.x(), 0, c * 10, LABEL_MARGIN / 2), Qt.AlignmentFlag.AlignCenter, "predicted digit")
        painter.save()
        painter.translate(0, o.y() + c * 10)
        painter.rotate(-90)
        painter.drawText(QRectF(0, 0, c * 10, LABEL_MARGIN / 2), Qt.AlignmentFlag.AlignCenter, "true digit")
        painter.restore()
        for d in range(10):
            painter.drawText(QRectF(o.x() + d * c, LABEL_MARGIN / 2, c, LABEL_MARGIN / 2), Qt.AlignmentFlag.AlignCenter, str(d))
            painter.drawText(QRectF(LABEL_MARGIN / 2, o.y() + d * c, LABEL_MARGIN / 2, c), Qt.AlignmentFlag.AlignCenter, str(d))
        grid_pen = QPen(palette.color(QPalette.ColorRole.Mid), 1)
        for t in range(10):
            for p in range(10):
                rect = self.cell_rect(t, p)
                colour = base if self.matrix is None else self._cell_colour(t, p, base, dark)
                painter.fillRect(rect, colour)
                painter.setPen(grid_pen)
                painter.drawRect(rect)
                if self.matrix is not None and self.matrix[t, p]:
                    light = colour.lightnessF() < 0.55
                    painter.setPen(QColor("white") if light else QColor("black"))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[t, p])))
        if self.selected is not None:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 3))
            painter.drawRect(self.cell_rect(*self.selected).adjusted(1, 1, -1, -1))
        painter.end()
