"""Several runs' loss and accuracy curves overlaid, against epoch or against seconds of training.

One colour per run; validation is the solid line (named in the legend), training the dashed one.
"""
from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt

from hwr_desktop.core.models.epoch_history import history_column
from hwr_desktop.ui.widgets import theme
from hwr_desktop.ui.widgets.plot_pair import arrange_pair

EPOCH, SECONDS = "epoch", "seconds"
# Distinct hues that read on light and dark backgrounds.
RUN_COLOURS = ((31, 119, 180), (230, 110, 20), (44, 160, 44), (214, 39, 40), (148, 103, 189),
               (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def run_x(history: list[dict], field: str, axis: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of one history field; x is the epoch or the seconds of training at the end of that epoch."""
    xs, ys = history_column(history, field)
    if axis == SECONDS:
        ends = np.cumsum([float(row.get("seconds") or 0.0) for row in history])
        xs = [float(ends[int(x) - 1]) if 0 < int(x) <= len(ends) else float("nan") for x in xs]
    return np.asarray(xs, float), np.asarray(ys, float)


class RunCurves(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("runCurves")
        self.setMinimumSize(200, 160)     # side by side when wide: each plot keeps the whole height
        self.setAccessibleName("Loss and accuracy of the selected runs")
        self.loss_plot = self.addPlot(row=0, col=0, title="Loss (uncalibrated)")
        self.acc_plot = self.addPlot(row=1, col=0, title="Accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        self.legends = [self.loss_plot.addLegend(offset=(-10, 10), labelTextSize="8pt"),
                        self.acc_plot.addLegend(offset=(-10, -10), labelTextSize="8pt")]
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.3)
        self.axis = EPOCH
        self.runs = []
        self.curves: dict[tuple[int, str], pg.PlotDataItem] = {}   # (run id, history field) -> curve
        self._apply_palette()

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "legends"):
            self._apply_palette()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "legends"):         # pyqtgraph resizes once inside its own __init__
            arrange_pair(self, self.loss_plot, self.acc_plot, self.legends[1])

    def _apply_palette(self) -> None:
        theme.style_plot_widget(self, self.palette(), (self.loss_plot, self.acc_plot), self.legends)

    def set_axis(self, axis: str) -> None:
        self.axis = axis
        self.show_runs(self.runs)

    def show_runs(self, runs) -> None:
        """Overlay these runs (core.store.runs.Run), in this order and colour."""
        self.runs = list(runs)
        for plot, legend in zip((self.loss_plot, self.acc_plot), self.legends, strict=True):
            plot.clear()
            legend.clear()
        self.curves = {}
        accuracies = []
        for run, colour in zip(self.runs, itertools.cycle(RUN_COLOURS)):
            for plot, field in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
                for prefix, style in (("val_", Qt.PenStyle.SolidLine), ("", Qt.PenStyle.DashLine)):
                    xs, ys = run_x(run.history, prefix + field, self.axis)
                    if not len(xs):
                        continue
                    name = f"#{run.id} {run.name}" if prefix else None
                    self.curves[(run.id, prefix + field)] = plot.plot(
                        xs, ys, pen=pg.mkPen(colour, width=2 if prefix else 1.2, style=style), name=name,
                        symbol="o" if prefix else None, symbolSize=5, symbolBrush=colour, symbolPen=colour)
                    if field == "accuracy":
                        accuracies.extend(ys)
        epochs = max((len(run.history) for run in self.runs), default=0)
        for plot in (self.loss_plot, self.acc_plot):
            plot.setLabel("bottom", "epoch" if self.axis == EPOCH else "seconds of training")
            if self.axis == EPOCH:      # whole epochs only: there is no epoch 1.5
                plot.getAxis("bottom").setTickSpacing(1 if epochs <= 12 else 5, 1)
            else:
                plot.getAxis("bottom").setTickSpacing()     # back to automatic ticks
        low = float(np.nanmin(accuracies)) if accuracies else 0.8
        self.acc_plot.setYRange(max(0.0, min(0.95, low - 0.01)), 1.0, padding=0.02)
        self.loss_plot.enableAutoRange()
        self._apply_palette()
