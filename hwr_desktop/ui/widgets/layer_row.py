"""One layer of the network, for the current drawing: its name, type and output shape, then its
maps (a grid, most active first), its units (bars, most active first) or, for the last layer, the ten
calibrated probabilities. Large layers show a page at a time ("16 of 64 maps, most active first")
with More / Fewer. A click on a map position or a bar asks for that unit to be worked out."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from hwr_desktop.core.inside.layer_activations import MAPS, OUTPUT
from hwr_desktop.ui.widgets.activation_maps import ActivationMaps
from hwr_desktop.ui.widgets.unit_bars import UnitBars

PAGE = {MAPS: 16, "vector": 32}


@dataclass(frozen=True)
class UnitRequest:
    """A unit to work out: a map position (channel, y, x) or a unit of a vector (channel only)."""
    layer_index: int
    channel: int
    y: int | None = None
    x: int | None = None


def shape_text(shape) -> str:
    return "×".join(str(int(d)) for d in shape)


class LayerRow(QFrame):
    unitRequested = Signal(object)       # UnitRequest

    def __init__(self, activation, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.index, self.kind = activation.index, activation.kind
        self.setObjectName(f"layerRow{self.index}")
        self.shown = PAGE.get(self.kind, 10)
        self.activation = activation
        self.titleLabel = QLabel(f"<b>{activation.index + 1}. {activation.name}</b> · {activation.type} · "
                                 f"output {shape_text(activation.values.shape)}")
        self.countLabel = QLabel("")
        self.moreButton = QPushButton("More", objectName=f"moreButton{self.index}")
        self.lessButton = QPushButton("Fewer", objectName=f"fewerButton{self.index}")
        for button, step in ((self.moreButton, 1), (self.lessButton, -1)):
            button.setAccessibleName(f"{button.text()} of {activation.name}")
            button.clicked.connect(lambda _checked=False, step=step: self.page(step))
        # The title on a line of its own, the count and the buttons under it: on one line they
        # needed ~620 px and pushed More out of a ~500 px view.
        self.titleLabel.setWordWrap(True)
        self.countLabel.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(self.countLabel, 1)
        header.addWidget(self.lessButton)
        header.addWidget(self.moreButton)
        if self.kind == MAPS:
            self.body = ActivationMaps()
            self.body.positionClicked.connect(
                lambda c, y, x: self.unitRequested.emit(UnitRequest(self.index, c, y, x)))
        else:
            self.body = UnitBars()
            self.body.unitClicked.connect(lambda unit: self.unitRequested.emit(UnitRequest(self.index, unit)))
        self.body.setAccessibleName(f"{activation.name} activations")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.titleLabel)
        layout.addLayout(header)
        layout.addWidget(self.body)
        self.set_activation(activation)

    def page(self, step: int) -> None:
        per_page = PAGE.get(self.kind, 10)
        self.shown = min(self.activation.count, max(per_page, self.shown + step * per_page))
        self.set_activation(self.activation)

    def shown_units(self) -> list[int]:
        """The channels (maps) or units shown, in the order shown."""
        return list(self.body.channels if self.kind == MAPS else self.body.units)

    def set_activation(self, activation) -> None:
        self.activation = activation
        count, noun = activation.count, "maps" if self.kind == MAPS else "units"
        paged = self.kind != OUTPUT and count > PAGE.get(self.kind, count)
        for button in (self.moreButton, self.lessButton):
            button.setVisible(paged)
        self.moreButton.setEnabled(self.shown < count)
        self.lessButton.setEnabled(self.shown > PAGE.get(self.kind, count))
        if self.kind == OUTPUT:
            p = activation.probabilities
            self.countLabel.setText("calibrated probabilities")
            self.body.set_bars(p, range(10), [str(d) for d in range(10)], [f"{v:.0%}" for v in p],
                               highlighted=int(p.argmax()))
            return
        order = activation.page(0, min(self.shown, count))
        self.countLabel.setText(f"{len(order)} of {count} {noun}, most active first" if len(order) < count else
                                f"all {count} {noun}, most active first")
        if self.kind == MAPS:
            self.body.set_maps(activation.values, order)
        else:
            self.body.set_bars(activation.values[order], order, highlighted=self.body.highlighted)
