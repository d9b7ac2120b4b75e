"""Every layer, live: one row per layer of the chosen network for the current drawing, in a
scrolling column (convolution and pooling as maps, dense layers as bars, the output as the ten
calibrated probabilities). Rows are made once per network and refilled after every stroke."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from hwr_desktop.ui.panels.inside.view import InsideView
from hwr_desktop.ui.widgets.layer_row import LayerRow

HINT = "Draw a digit on the canvas to see every layer's activations."


class LayersView(InsideView):
    unitRequested = Signal(object)       # ui.widgets.layer_row.UnitRequest

    def __init__(self, source, parent=None):
        super().__init__(source, parent)
        self.setObjectName("insideLayers")
        self.rows: list[LayerRow] = []
        self._rows_probe = None
        self.statusLabel = QLabel(HINT, objectName="layersStatus", wordWrap=True)
        self.column = QWidget()
        self.columnLayout = QVBoxLayout(self.column)
        self.columnLayout.setContentsMargins(2, 2, 2, 2)     # narrow margins: the width is the maps'
        self.columnLayout.addStretch(1)
        self.scroll = QScrollArea(objectName="layersScroll", widgetResizable=True)
        self.scroll.setWidget(self.column)
        self.scroll.setAccessibleName("Every layer")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.statusLabel)
        layout.addWidget(self.scroll, 1)

    def refresh(self) -> None:
        activations = self.source.activations()
        probe = self.source.probe
        if probe is not self._rows_probe:
            self._clear_rows()
        if activations is None:
            self.statusLabel.setText(self.source.error or (HINT if probe is not None or self.source.image is None
                                                           else "Preparing the layers of this network…"))
            return
        if not self.rows:
            self._rows_probe = probe
            for activation in activations:
                row = LayerRow(activation)
                row.unitRequested.connect(self.unitRequested)
                self.columnLayout.insertWidget(self.columnLayout.count() - 1, row)
                self.rows.append(row)
        else:
            for row, activation in zip(self.rows, activations):
                row.set_activation(activation)
        out = activations[-1].probabilities
        self.statusLabel.setText(f"{self.source.network.name}: {len(activations)} layers; the answer is "
                                 f"<b>{int(out.argmax())}</b> ({out.max():.0%}). Click a map position or a bar "
                                 "to see that unit worked out.")

    def _clear_rows(self) -> None:
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows, self._rows_probe = [], None
