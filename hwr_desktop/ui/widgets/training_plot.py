"""Live loss/accuracy curves: two stacked pyqtgraph plots, created once and fed with setData.

Batch values are smoothed with an exponential moving average; epoch values (train and
validation) are drawn as points on top. Updates are coalesced by a 10 Hz timer, so a fast
training loop never floods the event loop with redraws.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette

SMOOTHING = 0.9


class TrainingPlot(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPlot")
        self.setMinimumHeight(220)
        self.loss_plot = self.addPlot(row=0, col=0, title="Loss")
        self.acc_plot = self.addPlot(row=1, col=0, title="Accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
            plot.setLabel("bottom", "epoch")
        self.acc_plot.setYRange(0.8, 1.0, padding=0)
        self.curves = {
            "batch_loss": self.loss_plot.plot(pen=pg.mkPen((70, 130, 220), width=1.5), name="train (batches)"),
            "epoch_loss": self.loss_plot.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=(70, 130, 220),
                                              name="train (epoch)"),
            "val_loss": self.loss_plot.plot(pen=pg.mkPen((230, 120, 40), width=2), symbol="s", symbolSize=7,
                                            symbolBrush=(230, 120, 40), name="validation"),
            "batch_acc": self.acc_plot.plot(pen=pg.mkPen((70, 130, 220), width=1.5), name="train (batches)"),
            "epoch_acc": self.acc_plot.plot(pen=None, symbol="o", symbolSize=7, symbolBrush=(70, 130, 220), name="train (epoch)"),
            "val_acc": self.acc_plot.plot(pen=pg.mkPen((230, 120, 40), width=2), symbol="s", symbolSize=7,
                                          symbolBrush=(230, 120, 40), name="validation"),
        }
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self.flush)
        self.apply_palette()
        self.reset()

    def apply_palette(self) -> None:
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        for plot in (self.loss_plot, self.acc_plot):
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(palette.color(QPalette.ColorRole.Text))

    def reset(self) -> None:
        self.data = {key: ([], []) for key in self.curves}
        self._ema: dict[str, float] = {}
        self._dirty = True
        self.flush()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
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

    def flush(self) -> None:
        if not self._dirty:
            return
        for key, curve in self.curves.items():
            xs, ys = self.data[key]
            curve.setData(np.asarray(xs, float), np.asarray(ys, float))
        accs = [v for key in ("batch_acc", "val_acc", "epoch_acc") for v in self.data[key][1]]
        low = min(accs[-200:]) if accs else 0.8
        self.acc_plot.setYRange(max(0.0, min(0.9, low - 0.02)), 1.0, padding=0)
        self._dirty = False
