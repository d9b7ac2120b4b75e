"""One unit, worked out: for a map position of a convolution, the receptive field outlined on the
28x28 input, the kernel, the input patch and their products (one input channel at a time, the largest
contribution first), then the sum, the bias, the activation and the value next to the value Keras
computes, and the batch norm / ReLU steps after it. For a Dense unit, the strongest contributions.

All the numbers are core.inside.unit_arithmetic's (float64, checked against the framework to 1e-4); this
view only lays them out. A unit of a batch norm or ReLU is shown as the convolution before it with
those steps; a pooling, flatten or dropout unit has no weights: its value and receptive field only.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.receptive_field import CONVOLUTIONS, receptive_field
from hwr_desktop.core.inside.unit_arithmetic import ELEMENTWISE, conv_unit, dense_unit
from hwr_desktop.ui.panels.inside.view import InsideView
from hwr_desktop.ui.widgets.number_grid import NumberGrid
from hwr_desktop.ui.widgets.receptive_input import ReceptiveInput

HINT = "Click a map position or a bar in Every layer to see that unit worked out."
COLUMNS = ("input", "where (y, x, channel)", "input value", "weight", "input × weight")


def worked_layer(layers, index: int) -> int | None:
    """The layer whose arithmetic explains layer `index`: itself (a convolution or Dense layer), or the
    one that the element-wise layers up to `index` directly follow; None for anything else."""
    for i in range(index, -1, -1):
        kind = type(layers[i]).__name__
        if kind in CONVOLUTIONS + ("Dense",):
            return i
        if kind not in ELEMENTWISE:
            return None
    return None


def box_text(box, deskewed: bool) -> str:
    inside = box.clipped()
    where = "the deskewed 28×28 input" if deskewed else "the 28×28 input"
    padded = "" if inside == box else f" (the window is {box.height}×{box.width}; the rest is zero padding)"
    return (f"Receptive field: rows {inside.top}–{inside.bottom - 1}, columns {inside.left}–{inside.right - 1} "
            f"of {where}{padded}")


class UnitView(InsideView):
    def __init__(self, source, parent=None):
        super().__init__(source, parent)
        self.setObjectName("insideUnit")
        self.request = None          # ui.widgets.layer_row.UnitRequest
        self.arithmetic = None       # core UnitArithmetic or DenseArithmetic shown, or None
        self.box = None              # the receptive field outlined
        self.channel_order: list[int] = []   # positions in arithmetic.input_channels, largest contribution first
        self.titleLabel = QLabel(HINT, objectName="unitTitle", wordWrap=True)
        self.inputView = ReceptiveInput()
        self.inputView.setObjectName("unitInput")
        self.boxLabel = QLabel("", objectName="unitBox", wordWrap=True)
        self.kernelGrid, self.patchGrid, self.productGrid = NumberGrid(), NumberGrid(), NumberGrid()
        self.channelSpin = QSpinBox(objectName="unitChannelSpin", minimum=1, maximum=1)
        self.channelSpin.setAccessibleName("Input channel, by contribution")
        self.channelSpin.setToolTip("Step through the input channels, the largest contribution first")
        self.channelSpin.valueChanged.connect(lambda _v: self._show_channel())
        self.channelLabel = QLabel("", objectName="unitChannel", wordWrap=True)
        self.sumLabel = QLabel("", objectName="unitSum", wordWrap=True,
                               textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strongestTable = QTableWidget(0, len(COLUMNS), objectName="strongestInputs")
        self.strongestTable.setHorizontalHeaderLabels(COLUMNS)
        self.strongestTable.setAccessibleName("Strongest inputs of the unit")
        self.strongestTable.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.strongestTable.verticalHeader().setVisible(False)

        self.gridsBox = QWidget()
        grids = QGridLayout(self.gridsBox)
        self.patchTitle = QLabel("input patch", objectName="unitPatchTitle")
        for col, (grid, title) in enumerate(((self.kernelGrid, QLabel("kernel weights")), (self.patchGrid, self.patchTitle),
                                             (self.productGrid, QLabel("weight × input")))):
            grids.addWidget(title, 0, col)
            grids.addWidget(grid, 1, col, alignment=Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        channel_row = QHBoxLayout()
        channel_row.addWidget(QLabel("Input channel"))
        channel_row.addWidget(self.channelSpin)
        channel_row.addWidget(self.channelLabel, 1)
        grids.addLayout(channel_row, 2, 0, 1, 3)
        grids.setColumnStretch(3, 1)
        grids.setRowStretch(3, 1)
        left = QVBoxLayout()
        left.addWidget(self.inputView)
        left.addWidget(self.boxLabel)
        left.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left)
        top.addWidget(self.gridsBox, 1, Qt.AlignmentFlag.AlignTop)
        self.boxLabel.setMaximumWidth(self.inputView.side + 40)
        layout = QVBoxLayout(self)
        layout.addWidget(self.titleLabel)
        layout.addLayout(top)
        layout.addWidget(self.sumLabel)
        layout.addWidget(self.strongestTable, 1)
        layout.addStretch(1)
        self._clear()

    def show_unit(self, request) -> None:
        self.request = request
        self.update_now()

    # ----- showing -----
    def _clear(self, message: str = HINT) -> None:
        self.arithmetic = self.box = None
        self.titleLabel.setText(message)
        self.inputView.set_input(self.source.image)
        for widget in (self.gridsBox, self.strongestTable, self.boxLabel):
            widget.hide()
        self.sumLabel.setText("")

    def refresh(self) -> None:
        activations, request = self.source.activations(), self.request
        if activations is None or request is None or request.layer_index >= len(activations):
            self._clear(self.source.error or HINT)
            return
        probe, image = self.source.probe, self.source.image
        outputs = [a.values for a in activations]
        layers, index = probe.layers, request.layer_index
        target = worked_layer(layers, index)
        try:
            if target is not None and request.y is not None and type(layers[target]).__name__ in CONVOLUTIONS:
                self._show_conv(conv_unit(probe.model, target, image, request.y, request.x, request.channel,
                                          outputs), activations, index)
            elif target is not None and request.y is None and type(layers[target]).__name__ == "Dense":
                self._show_dense(dense_unit(probe.model, target, image, request.channel, outputs=outputs), index)
            else:
                self._show_plain(activations, request, probe.model)
        except HwrError as exc:
            self._clear(str(exc))

    def _title(self, name: str, kind: str, where: str, clicked: int, target: int) -> str:
        via = "" if clicked == target else (f" (you clicked {self.source.probe.layers[clicked].name}: it follows "
                                            f"this layer, see the steps after it)")
        return f"<b>{name}</b> ({kind}), {where}{via}"

    def _show_conv(self, a, activations, clicked: int) -> None:
        self.arithmetic, self.box = a, a.receptive_field
        self.titleLabel.setText(self._title(a.layer_name, a.layer_type, f"map #{a.channel}, position ({a.y}, {a.x})",
                                            clicked, a.layer_index))
        self.inputView.set_input(self.source.seen_image(activations), a.receptive_field)
        self.boxLabel.setText(box_text(a.receptive_field, a.on_deskewed))
        per_channel = a.products.sum(axis=(0, 1))
        self.channel_order = [int(i) for i in np.argsort(-np.abs(per_channel), kind="stable")]
        self.channelSpin.blockSignals(True)
        self.channelSpin.setMaximum(len(self.channel_order))
        self.channelSpin.setValue(1)
        self.channelSpin.blockSignals(False)
        self._show_channel()
        for widget in (self.gridsBox, self.boxLabel):
            widget.show()
        self.strongestTable.hide()
        n, (kh, kw) = len(a.input_channels), a.kernel.shape[:2]
        lines = [f"Sum of weight × input over {n} input channel{'s' if n > 1 else ''} × {kh}×{kw} = "
                 f"{a.products_sum:.6f}"]
        self.sumLabel.setText("<br>".join(lines + self._ending(a)))

    def _show_channel(self) -> None:
        a = self.arithmetic
        if a is None or not hasattr(a, "kernel"):
            return
        rank = self.channelSpin.value() - 1
        k = self.channel_order[rank]
        self.kernelGrid.set_values(a.kernel[..., k])
        self.patchGrid.set_values(a.patch[..., k])
        self.productGrid.set_values(a.products[..., k])
        total = float(a.products[..., k].sum())
        source = "the input image" if a.layer_index == 0 else self.source.probe.layers[a.layer_index - 1].name
        self.patchTitle.setText(f"input patch: {source}, map #{a.input_channels[k]}")
        self.channelLabel.setText(f"#{a.input_channels[k]} of the previous layer's {len(a.input_channels)} "
                                  f"(rank {rank + 1} by contribution): its products sum to {total:.6f}")

    def _show_dense(self, a, clicked: int) -> None:
        self.arithmetic, self.box = a, None
        self.titleLabel.setText(self._title(a.layer_name, "Dense", f"unit {a.unit}", clicked, a.layer_index))
        self.inputView.set_input(self.source.image)
        self.strongestTable.setRowCount(len(a.strongest))
        for r, c in enumerate(a.strongest):
            where = ", ".join(map(str, c.position)) if c.position is not None else "—"
            for col, text in enumerate((str(c.input), where, f"{c.value:.4f}", f"{c.weight:.4f}", f"{c.product:.4f}")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.strongestTable.setItem(r, col, item)
        self.strongestTable.resizeColumnsToContents()
        self.strongestTable.show()
        for widget in (self.gridsBox, self.boxLabel):
            widget.hide()
        lines = [f"Its {len(a.strongest)} strongest inputs are listed below.",
                 f"Sum of input × weight over all {len(a.inputs)} inputs = {a.products_sum:.6f}"]
        self.sumLabel.setText("<br>".join(lines + self._ending(a)))

    @staticmethod
    def _ending(a) -> list[str]:
        """Bias, pre-activation, activation, the framework's value, and the steps after the layer."""
        lines = [f"+ bias {a.bias:.6f} = pre-activation {a.pre_activation:.6f}" if a.bias is not None else
                 f"no bias: pre-activation = {a.pre_activation:.6f}"]
        lines.append(f"no activation: value = <b>{a.value:.6f}</b>" if a.activation == "linear" else
                     f"activation {a.activation}({a.pre_activation:.6f}) = <b>{a.value:.6f}</b>")
        lines.append(f"Keras computes: <b>{a.framework:.6f}</b> (difference {a.error:.1e})")
        for step in a.then:
            lines.append(f"then {step.type} ({step.name}): {step.formula} = <b>{step.value:.6f}</b> "
                         f"(Keras: {step.framework:.6f}, difference {abs(step.value - step.framework):.1e})")
        if a.note:
            lines.append(f"<i>{a.note}</i>")
        return lines

    def _show_plain(self, activations, request, model) -> None:
        """A unit without weights of its own: pooling, flatten, dropout, ..."""
        self.arithmetic, activation = None, activations[request.layer_index]
        if request.y is not None:
            value = float(activation.values[request.y, request.x, request.channel])
            where = f"map #{request.channel}, position ({request.y}, {request.x})"
            self.box = receptive_field(model, request.layer_index, request.y, request.x)
            self.boxLabel.setText(box_text(self.box, activations[0].type == "Deskew"))
            self.boxLabel.show()
        else:
            value, where, self.box = float(activation.values[request.channel]), f"unit {request.channel}", None
            self.boxLabel.hide()
        self.titleLabel.setText(f"<b>{activation.name}</b> ({activation.type}), {where}")
        self.inputView.set_input(self.source.seen_image(activations), self.box)
        for widget in (self.gridsBox, self.strongestTable):
            widget.hide()
        what = "the largest value in its window" if activation.type == "MaxPooling2D" else \
            "the mean of its window" if activation.type == "AveragePooling2D" else "the value it is given"
        self.sumLabel.setText(f"A {activation.type} unit has no weights: it passes on {what}.<br>"
                              f"Its value here: <b>{value:.6f}</b>")
