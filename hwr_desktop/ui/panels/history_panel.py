"""Training history: per-epoch loss and accuracy of the current model (from its file's metadata) or
of the last training run, with export to PNG (the plot as shown) and CSV (core.models.epoch_history).
The curves are redrawn only while the tab is shown (else when it is next shown): the end of a
training run, when the window's event loop matters most, draws nothing here for a hidden tab."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.epoch_history import history_column, write_history_csv
from hwr_desktop.ui.widgets import theme
from hwr_desktop.ui.widgets.lazy_slot import LazySlot

CURRENT, LAST_RUN = "current", "last_run"


class HistoryPanel(QWidget):
    errorOccurred = Signal(str, str)     # title, message

    def __init__(self, session, training_panel, parent=None):
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.session = session
        self.training_panel = training_panel
        self.history: list[dict] = []

        self.sourceCombo = QComboBox(objectName="historySource")
        self.sourceCombo.setAccessibleName("History source")
        self.sourceCombo.addItem("Current model", CURRENT)
        self.sourceCombo.addItem("Last training run", LAST_RUN)
        self.sourceCombo.currentIndexChanged.connect(lambda _index: self.refresh())
        self.infoLabel = QLabel("", objectName="historyInfo", wordWrap=True)
        self.exportPngButton = QPushButton("Export PNG…", objectName="exportPngButton")
        self.exportCsvButton = QPushButton("Export CSV…", objectName="exportCsvButton")
        self.exportPngButton.clicked.connect(lambda: self._export_dialog("PNG image (*.png)", ".png", self.export_png))
        self.exportCsvButton.clicked.connect(lambda: self._export_dialog("CSV file (*.csv)", ".csv", self.export_csv))

        # The plot is made when the tab is first shown (importing pyqtgraph: ui/widgets/lazy_slot.py).
        self.plotSlot = LazySlot(self._make_plot)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.sourceCombo)
        top.addStretch(1)
        top.addWidget(self.exportPngButton)
        top.addWidget(self.exportCsvButton)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.infoLabel)
        layout.addWidget(self.plotSlot, 1)

        self._stale = True                # the curves shown are not the source's: redraw when shown
        session.modelChanged.connect(self.refresh)
        training_panel.trainingEnded.connect(self._on_training_ended)
        self.refresh()

    @property
    def plot(self):
        return self.plotSlot.get()

    def _make_plot(self):
        import pyqtgraph as pg
        plot_widget = pg.GraphicsLayoutWidget()
        plot_widget.setObjectName("historyPlot")
        self.loss_plot = plot_widget.addPlot(row=0, col=0, title="Loss")
        self.acc_plot = plot_widget.addPlot(row=1, col=0, title="Accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        plot_widget.setAccessibleName("Training history plot: loss and accuracy per epoch")
        self.curves = {}
        self.legends = []
        # Loss falls and accuracy rises: legends go where the curves are not (top / bottom right).
        for plot, field, corner in ((self.loss_plot, "loss", (-10, 10)), (self.acc_plot, "accuracy", (-10, -10))):
            plot.showGrid(x=True, y=True, alpha=0.3)
            self.legends.append(plot.addLegend(offset=corner, labelTextSize="9pt"))
            plot.setLabel("bottom", "epoch")
            self.curves[field] = plot.plot(symbol="o", symbolSize=6, name="training")
            self.curves["val_" + field] = plot.plot(symbol="s", symbolSize=6, name="validation")
        self._apply_palette(plot_widget)
        return plot_widget

    def _apply_palette(self, plot_widget=None) -> None:
        """Plot background, axes, titles, legends and series colours from the current palette."""
        if plot_widget is None:
            if not self.plotSlot.built():
                return                    # styled when made
            plot_widget = self.plot
        import pyqtgraph as pg
        palette = self.palette()
        theme.style_plot_widget(plot_widget, palette, (self.loss_plot, self.acc_plot), self.legends)
        for name, curve in self.curves.items():
            colour = theme.val_colour(palette) if name.startswith("val_") else theme.train_colour(palette)
            curve.setPen(pg.mkPen(colour, width=2))
            curve.setSymbolBrush(colour)
            curve.setSymbolPen(colour)

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_palette()
        super().changeEvent(event)

    def source(self) -> str:
        return self.sourceCombo.currentData()

    def _on_training_ended(self) -> None:
        if self.training_panel.outcome is not None:
            self.sourceCombo.setCurrentIndex(self.sourceCombo.findData(LAST_RUN))   # refreshes if it changed
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = not self.isVisible()
        if self._stale:
            return                        # drawn when shown
        self.plotSlot.get()               # made when first shown; its slot's show may come after ours
        if self.source() == LAST_RUN:
            outcome = self.training_panel.outcome
            history = outcome.info.history if outcome is not None else []
            info = (f"Last training run: preset {outcome.info.preset}, "
                    f"{len(history)} epochs" if outcome is not None else
                    "No training run has finished in this session yet (see the Training tab).")
        else:
            history = self.session.info.history if self.session.ready else []
            name = self.session.path.name if self.session.path else "unsaved model"
            if not self.session.ready:
                info = "No model loaded."
            elif history:
                info = f"{name}: preset {self.session.info.preset}, {len(history)} epochs, from its model file."
            else:
                info = f"{name} carries no training history."
        self.show_history(history, info)

    def show_history(self, history: list[dict], info: str = "") -> None:
        self.history = list(history)
        self.infoLabel.setText(info)
        for field, curve in self.curves.items():
            xs, ys = history_column(self.history, field)
            curve.setData(np.asarray(xs, float), np.asarray(ys, float))
        accs = [v for f in ("accuracy", "val_accuracy") for v in history_column(self.history, f)[1]]
        self.acc_plot.setYRange(max(0.0, min(0.95, min(accs) - 0.01)) if accs else 0.8, 1.0, padding=0)
        self.loss_plot.enableAutoRange()
        epochs = len(self.history)
        for plot in (self.loss_plot, self.acc_plot):   # whole epochs only: there is no epoch 1.4
            plot.getAxis("bottom").setTickSpacing(1 if epochs <= 12 else 5, 1)
        self.exportPngButton.setEnabled(bool(self.history))
        self.exportCsvButton.setEnabled(bool(self.history))

    # ----- export -----
    def export_png(self, path: str | Path) -> Path:
        path = Path(path)
        if not self.plot.grab().save(str(path), "PNG"):
            raise HwrError(f"cannot write {path}")
        return path

    def export_csv(self, path: str | Path) -> Path:
        return write_history_csv(self.history, path)

    def _export_dialog(self, file_filter: str, suffix: str, export) -> None:
        base = self.session.path.stem if self.session.path and self.source() == CURRENT else "training"
        path, _ = QFileDialog.getSaveFileName(self, "Export training history", str(Path.home() / f"{base}-history{suffix}"),
                                              file_filter)
        if not path:
            return
        try:
            export(Path(path) if Path(path).suffix else Path(path).with_suffix(suffix))
        except HwrError as exc:
            self.errorOccurred.emit("Cannot export", str(exc))
