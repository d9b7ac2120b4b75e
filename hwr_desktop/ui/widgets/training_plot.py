"""Live loss/accuracy curves: two pyqtgraph plots, created once and fed with setData; stacked, or
side by side when the widget is wide (plot_pair.py).

Batch values are smoothed with an exponential moving average; epoch values (train and
validation) are drawn as points on top. `add_batch`/`add_epoch` only append: the owner calls
`flush()` at its own pace (the training panel: 10 times a second), so a fast training loop never
floods the GUI thread with redraws.

What a redraw costs was measured (devtools/gui_probe.py, 2 cores, training beside it): letting
pyqtgraph auto-range on every update moves the axes each time, which re-lays out the plots and
repaints them whole (~12 ms of CPU per redraw, 20-130 ms on a busy machine); with axis ranges that
change only in coarse steps a redraw of the new curve costs ~3 ms. Long runs (tens of thousands of
batches) are downsampled to the pixels on screen.

Until there is data an opaque one-line hint covers the plots, so no empty axes or legend dots
show. (Hiding the plot items instead left pyqtgraph's layout collapsed when they came back.)
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel

from hwr_desktop.ui.widgets import theme
from hwr_desktop.ui.widgets.plot_pair import TRAINING_HINT as HINT
from hwr_desktop.ui.widgets.plot_pair import arrange_pair

SMOOTHING = 0.9
ACCURACY_FLOORS = (0.0, 0.5, 0.8, 0.9)   # the accuracy plot starts at one of these: 3 moves a run at most


def nice_ceiling(value: float) -> float:
    """The smallest of ..., 0.5, 1, 2, 3, 5, 10, 20, ... that is >= value: axis limits that change rarely."""
    if not value > 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 3, 5, 10):
        if step * scale >= value * (1 - 1e-9):
            return step * scale
    return 10 * scale


class TrainingPlot(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPlot")
        self.setMinimumHeight(220)
        self.loss_plot = self.addPlot(row=0, col=0, title="Loss")
        self.acc_plot = self.addPlot(row=1, col=0, title="Accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        self.setAccessibleName("Training curves: loss and accuracy")
        self.legends = []
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.3)
            self.legends.append(plot.addLegend(offset=(-10, 10), labelTextSize="8pt"))
            plot.setLabel("bottom", "epoch")
            plot.disableAutoRange()          # flush() sets the ranges, in coarse steps
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
        batch_pen = pg.mkPen((70, 130, 220), width=1.5)
        val_pen = pg.mkPen((230, 120, 40), width=2)
        self.curves = {
            "batch_loss": self.loss_plot.plot(pen=batch_pen, name="train (batches)"),
            "epoch_loss": self.loss_plot.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=(70, 130, 220),
                                              name="train (epoch)"),
            "val_loss": self.loss_plot.plot(pen=val_pen, symbol="s", symbolSize=7,
                                            symbolBrush=(230, 120, 40), name="validation"),
            "batch_acc": self.acc_plot.plot(pen=batch_pen, name="train (batches)"),
            "epoch_acc": self.acc_plot.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=(70, 130, 220),
                                            name="train (epoch)"),
            "val_acc": self.acc_plot.plot(pen=val_pen, symbol="s", symbolSize=7,
                                          symbolBrush=(230, 120, 40), name="validation"),
        }
        self.hint = QLabel(HINT, self, objectName="trainingPlotHint", wordWrap=True,
                           alignment=Qt.AlignmentFlag.AlignCenter, autoFillBackground=True)
        self.ranges: tuple | None = None     # (x limit, loss limit, accuracy floor) last applied
        self.flushes = 0                     # redraws asked of pyqtgraph (tests count them)
        self.apply_palette()
        self.reset()

    def apply_palette(self, palette: QPalette | None = None) -> None:
        """Background, axes, titles, legends, series and the hint from the palette (light or dark)."""
        palette = palette or self.palette()
        theme.style_plot_widget(self, palette, (self.loss_plot, self.acc_plot), self.legends)
        background, _ = theme.plot_colours(palette)
        hint_palette = self.hint.palette()
        hint_palette.setColor(QPalette.ColorRole.Window, QColor(background))
        self.hint.setPalette(hint_palette)
        train, val = theme.train_colour(palette), theme.val_colour(palette)
        for name, curve in self.curves.items():
            colour = val if name.startswith("val_") else train
            if name.startswith("epoch_"):
                curve.setSymbolBrush(colour)
            else:
                curve.setPen(pg.mkPen(colour, width=2 if name.startswith("val_") else 1.5))
                curve.setSymbolBrush(colour)

    def changeEvent(self, event) -> None:
        # A dark or light palette chosen while the app runs (the system's, or the tests') is followed.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "hint"):
            self.apply_palette()             # (pyqtgraph's own __init__ changes the palette before ours ran)
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "hint"):            # pyqtgraph resizes once inside its own __init__
            self.hint.setGeometry(self.rect())   # covers the plots whole
            arrange_pair(self, self.loss_plot, self.acc_plot, self.legends[1])

    def set_hint(self, text: str) -> None:
        """What the empty plot says (e.g. that training is starting)."""
        self.hint.setText(text)

    def has_data(self) -> bool:
        return any(xs for xs, _ in self.data.values())

    def reset(self) -> None:
        self.data = {key: ([], []) for key in self.curves}
        self._ema: dict[str, float] = {}
        self._dirty = True
        self.flush()

    # Kept for owners that start and stop a run; flushing is theirs (see the module docstring).
    def start(self) -> None:
        self.set_hint("The curves appear with the first batches…")

    def stop(self) -> None:
        self.set_hint(HINT)
        self.flush()

    def _append(self, key: str, x: float, y: float) -> None:
        xs, ys = self.data[key]
        xs.append(x)
        ys.append(y)
        self._dirty = True

    def add_batch(self, info) -> None:
        x = info.epoch - 1 + info.batch / info.batches
        for key, value in (("batch_loss", info.loss), ("batch_acc", info.accuracy)):
            prev = self._ema.get(key)
            self._ema[key] = value if prev is None else SMOOTHING * prev + (1 - SMOOTHING) * value
            self._append(key, x, self._ema[key])

    def add_epoch(self, info) -> None:
        x = float(info.epoch)
        self._append("epoch_loss", x, info.loss)
        self._append("epoch_acc", x, info.accuracy)
        self._append("val_loss", x, info.val_loss)
        self._append("val_acc", x, info.val_accuracy)

    def add_history(self, history: list[dict]) -> None:
        """Show a finished run (e.g. a loaded model's metadata) as epoch points."""
        self.reset()
        for h in history:
            for key, field in (("epoch_loss", "loss"), ("epoch_acc", "accuracy"),
                               ("val_loss", "val_loss"), ("val_acc", "val_accuracy")):
                if field in h:
                    self._append(key, float(h["epoch"]), float(h[field]))
        self.flush()

    def _wanted_ranges(self, arrays: dict) -> tuple[float, float, float]:
        x_max = max((float(xs[-1]) for xs, _ in arrays.values() if len(xs)), default=1.0)
        losses = [ys for key, (_, ys) in arrays.items() if key.endswith("loss") and len(ys)]
        loss_max = float(np.nanmax(np.concatenate(losses))) if losses else 1.0
        accs = self.data["batch_acc"][1][-200:] + self.data["epoch_acc"][1] + self.data["val_acc"][1]
        low = min(accs) if accs else 0.8
        floor = max(level for level in ACCURACY_FLOORS if level <= low - 0.01)
        return max(1.0, nice_ceiling(x_max)), nice_ceiling(loss_max if math.isfinite(loss_max) else 1.0), floor

    def flush(self) -> None:
        if not self._dirty:
            return
        self.hint.setVisible(not self.has_data())
        arrays = {key: (np.asarray(xs, float), np.asarray(ys, float)) for key, (xs, ys) in self.data.items()}
        for key, curve in self.curves.items():
            curve.setData(*arrays[key])
        ranges = self._wanted_ranges(arrays)
        if ranges != self.ranges:            # moving an axis repaints the plots whole: only when needed
            x_limit, loss_limit, acc_floor = ranges
            self.loss_plot.setXRange(0, x_limit, padding=0.02)
            self.loss_plot.setYRange(0, loss_limit, padding=0.02)
            self.acc_plot.setYRange(acc_floor, 1.0, padding=0.02)
            self.ranges = ranges
        self.flushes += 1
        self._dirty = False
