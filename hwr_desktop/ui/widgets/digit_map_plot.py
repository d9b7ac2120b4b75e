"""Digits on a 2-D map (pyqtgraph): one colour per digit with a legend, mistakes ringed in the theme's
red, and a big star for the current drawing (both left out, legend too, when not `annotated`).
Hovering emits the map coordinates under the mouse. Background, axes and legend text follow the
palette (theme.style_plot_widget); the digit colours are core.inside.learning_frames' (the GIF's), a little
lighter on a dark palette."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QColor, QPalette

from hwr_desktop.core.inside.learning_frames import DIGIT_COLOURS
from hwr_desktop.ui.widgets import theme


def digit_colours(palette: QPalette) -> list[QColor]:
    dark = theme.is_dark(palette)
    return [QColor(*c).lighter(135) if dark else QColor(*c) for c in DIGIT_COLOURS]


class DigitMapPlot(pg.GraphicsLayoutWidget):
    hovered = Signal(float, float)       # map coordinates under the mouse

    def __init__(self, point_size: float = 5, annotated: bool = True, parent=None):
        super().__init__(parent)
        self.point_size = point_size
        self.plot = self.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(False)
        self.legend = self.plot.addLegend(offset=(-5, 5), labelTextSize="8pt", colCount=2)
        self.digits = [pg.ScatterPlotItem(name=str(d), size=point_size, pen=None) for d in range(10)]
        self.mistakes = pg.ScatterPlotItem(name="mistake", size=point_size + 5, symbol="o", brush=None)
        self.marker = pg.ScatterPlotItem(name="your drawing", size=22, symbol="star")
        for item in self.digits + ([self.mistakes, self.marker] if annotated else []):
            self.plot.addItem(item)
        self.points = np.zeros((0, 2), np.float32)
        self.labels = np.zeros(0, int)
        self.marker_position: np.ndarray | None = None
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.setAccessibleName("Digit map")
        self._style()

    def set_points(self, points, labels, mistakes=None) -> None:
        self.points, self.labels = np.asarray(points, np.float32).reshape(-1, 2), np.asarray(labels)
        for d, item in enumerate(self.digits):
            item.setData(pos=self.points[self.labels == d])
        wrong = self.points[np.asarray(mistakes, bool)] if mistakes is not None and len(mistakes) else np.zeros((0, 2))
        self.mistakes.setData(pos=wrong)
        if len(self.points):
            self.plot.autoRange(padding=0.05)

    def set_marker(self, position) -> None:
        self.marker_position = None if position is None else np.asarray(position, np.float32)
        self.marker.setData(pos=np.zeros((0, 2)) if position is None else [self.marker_position])

    def _on_mouse_moved(self, position) -> None:
        if len(self.points) and self.plot.sceneBoundingRect().contains(position):
            point = self.plot.vb.mapSceneToView(position)
            self.hovered.emit(point.x(), point.y())

    def _style(self) -> None:
        palette = self.palette()
        theme.style_plot_widget(self, palette, [self.plot], [self.legend])
        for _sample, label in self.legend.items:         # the colour applies to labels set from now on
            label.setText(label.text, color=theme.plot_colours(palette)[1])
        for item, colour in zip(self.digits, digit_colours(palette)):
            item.setBrush(pg.mkBrush(colour))
        self.mistakes.setPen(pg.mkPen(theme.bad_colour(palette), width=1.5))
        self.marker.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Text), width=1.5))
        self.marker.setBrush(pg.mkBrush(palette.color(QPalette.ColorRole.Highlight)))

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and \
                hasattr(self, "marker"):         # pyqtgraph's own __init__ changes the palette before ours ran
            self._style()
        super().changeEvent(event)
