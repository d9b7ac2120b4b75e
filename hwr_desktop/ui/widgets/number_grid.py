"""A small grid of numbers (a kernel, an input patch, their products), each cell tinted by its sign and
size: the palette's Highlight colour for positive values, the theme's red for negative ones, on the
palette's Base, so the numbers stay readable in light and dark palettes."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from hwr_desktop.ui.widgets.theme import bad_colour


class NumberGrid(QWidget):
    def __init__(self, decimals: int = 3, parent=None):
        super().__init__(parent)
        self.decimals = decimals
        self.values = np.zeros((0, 0))
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_values(self, values) -> None:
        self.values = np.asarray(values, np.float64).reshape(np.shape(values)[:2])
        self.setToolTip("\n".join("  ".join(self.text(v) for v in row) for row in self.values))
        self.setAccessibleDescription(self.toolTip())
        self.updateGeometry()
        self.resize(self.sizeHint())
        self.update()

    def text(self, value: float) -> str:
        return f"{value:.{self.decimals}f}"

    def cell(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance("-0." + "0" * self.decimals) + 8, metrics.lineSpacing() + 6)

    def sizeHint(self) -> QSize:
        rows, cols = self.values.shape[:2]
        return QSize(max(1, cols) * self.cell().width() + 1, max(1, rows) * self.cell().height() + 1)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        cell = self.cell()
        top = float(np.abs(self.values).max()) if self.values.size else 0.0
        positive, negative = palette.color(QPalette.ColorRole.Highlight), bad_colour(palette)
        for (r, c), value in np.ndenumerate(self.values):
            rect = QRectF(c * cell.width(), r * cell.height(), cell.width(), cell.height())
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Base))
            tint = QColor(positive if value >= 0 else negative)
            tint.setAlphaF(0.55 * abs(value) / top if top > 0 else 0.0)
            painter.fillRect(rect, tint)
            painter.setPen(palette.color(QPalette.ColorRole.Mid))
            painter.drawRect(rect)
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.text(value))
        painter.end()
