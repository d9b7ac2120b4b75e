"""A vector layer's units as vertical bars (most active first, or the ten digits of the output), each
labelled; a click names the unit. Bars grow up from a zero line (down for negative values), on one
scale for the layer; the highlighted bar (the answer, or the unit worked out) takes the palette's
Highlight colour, the others its Mid colour, read at paint time."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = 18


class UnitBars(QWidget):
    unitClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values = np.zeros(0, np.float32)    # the shown units' values, in the order shown
        self.units: list[int] = []
        self.labels: list[str] = []
        self.texts: list[str] = []               # above each bar (e.g. "97%"), optional
        self.highlighted: int | None = None      # a unit index
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_bars(self, values, units, labels=None, texts=None, highlighted: int | None = None) -> None:
        self.values = np.asarray(values, np.float32)
        self.units = [int(u) for u in units]
        self.labels = list(labels) if labels is not None else [str(u) for u in self.units]
        self.texts = list(texts) if texts is not None else []
        self.highlighted = highlighted
        self.setToolTip("\n".join(f"{label}: {v:.4g}" for label, v in zip(self.labels[:12], self.values)) +
                        ("\n…" if len(self.units) > 12 else "") + "\nClick a bar to work its unit out")
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(max(200, len(self.units) * (BAR + 4)), 120)

    def bar_width(self) -> float:
        return max(4.0, min(BAR * 2.0, self.width() / max(1, len(self.units))))

    def unit_at(self, x: float) -> int | None:
        i = int(x // self.bar_width())
        return self.units[i] if 0 <= i < len(self.units) else None

    def bar_centre(self, unit: int) -> float:
        return (self.units.index(unit) + 0.5) * self.bar_width()

    def mousePressEvent(self, event) -> None:
        unit = self.unit_at(event.position().x())
        if unit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.highlighted = unit
            self.update()
            self.unitClicked.emit(unit)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        if not self.units:
            return
        painter = QPainter(self)
        palette = self.palette()
        line = self.fontMetrics().lineSpacing()
        top, bottom = line + 2, self.height() - line - 2
        low, high = min(0.0, float(self.values.min())), max(0.0, float(self.values.max()))
        span = (high - low) or 1.0
        zero = top + (bottom - top) * high / span
        width = self.bar_width()
        widest = max(self.fontMetrics().horizontalAdvance(label) for label in self.labels) + 4
        every = max(1, -(-widest // int(width)))     # labels that fit: every bar's, or every n-th
        painter.fillRect(QRectF(0, top, width * len(self.units), bottom - top),
                         palette.color(QPalette.ColorRole.AlternateBase))
        for i, (unit, value) in enumerate(zip(self.units, self.values)):
            x = i * width
            role = QPalette.ColorRole.Highlight if unit == self.highlighted else QPalette.ColorRole.Mid
            height = (bottom - top) * float(value) / span
            painter.fillRect(QRectF(x + 1, min(zero, zero - height), width - 2, abs(height)), palette.color(role))
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            if i % every == 0:
                painter.drawText(QRectF(x - 6, bottom + 1, width + 12, line), Qt.AlignmentFlag.AlignHCenter,
                                 self.labels[i])
            if i < len(self.texts) and self.texts[i]:
                painter.drawText(QRectF(x - 8, 0, width + 16, line), Qt.AlignmentFlag.AlignHCenter, self.texts[i])
        painter.end()
