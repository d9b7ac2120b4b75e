"""The network designer: a design (core/network/design.py) as an editable table of layers.

Each row is one layer: its type (a list of the allowed types) and its arguments as text
("filters=32, kernel_size=3"), then what core.network.design.check_design works out for it: output
shape, parameters, multiply-adds, or the problem, on that row, in red. Every
edit re-checks the whole design (plain arithmetic: microseconds), so the totals and the estimated
time per epoch are always those of what is on screen.
"""
from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.core.network.design import Design, DesignError, check_design, load_design, save_design
from hwr_desktop.core.network.layer_types import LAYER_TYPES, STARTING_ARGUMENTS, format_arguments, parse_arguments
from hwr_desktop.core.training.epoch_time import machine_factor_here, seconds_per_epoch

TYPE, ARGUMENTS, OUTPUT, PARAMS, MACS, CHECK = range(6)
HEADERS = ("Layer", "Arguments", "Output", "Params", "Mult-adds", "Check")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class NetworkDesigner(QWidget):
    designChanged = Signal(object)        # core.network.design.Design, checked
    opened = Signal(str)                  # a design file was opened
    errorOccurred = Signal(str, str)      # title, message

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkDesigner")
        self._layers: list[dict] = []
        self._argument_errors: dict[int, str] = {}   # rows whose argument text cannot be read
        self._filling = False
        self.machine_factor: float | None = None     # core.training.epoch_time.machine_factor of runs recorded here
        self.images_per_epoch = 55_000
        self.design: Design = check_design({"name": "design", "layers": []})

        self.nameEdit = QLineEdit("my-network", objectName="designNameEdit")
        self.nameEdit.setAccessibleName("Design name")
        self.nameEdit.textEdited.connect(lambda _: self._recheck())
        self.table = QTableWidget(0, len(HEADERS), objectName="designTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setAccessibleName("Layers of the network")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)                 # one line a layer: long arguments are elided, full in the tooltip
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.table.setMinimumHeight(4 * (self.fontMetrics().height() + 12))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ARGUMENTS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CHECK, QHeaderView.ResizeMode.Stretch)
        for column in (TYPE, OUTPUT, PARAMS, MACS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._on_item_changed)

        self.addButton = QPushButton("Add layer", objectName="addLayerButton")
        self.removeButton = QPushButton("Remove", objectName="removeLayerButton")
        self.upButton = QPushButton("Up", objectName="layerUpButton")
        self.downButton = QPushButton("Down", objectName="layerDownButton")
        self.addButton.clicked.connect(lambda: self.insert_layer(self._current_row() + 1, "Conv2D"))
        self.removeButton.clicked.connect(lambda: self.remove_layer(self._current_row()))
        self.upButton.clicked.connect(lambda: self.move_layer(self._current_row(), -1))
        self.downButton.clicked.connect(lambda: self.move_layer(self._current_row(), +1))
        self.openButton = QPushButton("Open…", objectName="openDesignButton")
        self.saveButton = QPushButton("Save…", objectName="saveDesignButton")
        self.openButton.setToolTip("Open a network design (.json)")
        self.saveButton.setToolTip("Save this design as a .json file")
        self.openButton.clicked.connect(self._ask_open)
        self.saveButton.clicked.connect(self._ask_save)
        # Two short rows rather than one long one: the Training tab must still fit beside the canvas.
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name"))
        name_row.addWidget(self.nameEdit, 1)
        name_row.addWidget(self.openButton)
        name_row.addWidget(self.saveButton)
        buttons = QHBoxLayout()
        for button in (self.addButton, self.removeButton, self.upButton, self.downButton):
            buttons.addWidget(button)

        self.totalsLabel = QLabel("", objectName="designTotals", wordWrap=True)
        self.problemLabel = QLabel("", objectName="designProblem", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(name_row)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totalsLabel)
        layout.addWidget(self.problemLabel)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.update_machine_factor()

    def update_machine_factor(self) -> None:
        """Re-read how fast runs recorded here really were (a small SQLite read) and re-estimate."""
        self.machine_factor = machine_factor_here()
        self._show_totals()

    # ----- the design -----
    def set_design(self, document: dict) -> None:
        """Show a design (a preset's or a file's); its layers are copied, never shared."""
        self.nameEdit.setText(str(document.get("name", "design")))
        self._layers = copy.deepcopy(list(document.get("layers", [])))
        self._argument_errors.clear()
        self._fill()

    def open_file(self, path: str) -> bool:
        try:
            self.set_design(load_design(path))
        except DesignError as exc:
            self.errorOccurred.emit("Cannot open the design", str(exc))
            return False
        self.opened.emit(path)
        return True

    def save_file(self, path: str) -> bool:
        try:
            save_design(self.document(), path)
        except DesignError as exc:
            self.errorOccurred.emit("Cannot save the design", str(exc))
            return False
        return True

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a network design", "", "Network designs (*.json)")
        if path:
            self.open_file(path)

    def _ask_save(self) -> None:
        name = self.document()["name"]
        path, _ = QFileDialog.getSaveFileName(self, "Save the network design", f"{name}.json",
                                              "Network designs (*.json)")
        if path:
            self.save_file(path)

    def document(self) -> dict:
        return {"name": self.nameEdit.text().strip() or "design", "layers": copy.deepcopy(self._layers)}

    def insert_layer(self, row: int, kind: str) -> None:
        row = max(0, min(row, len(self._layers)))
        self._layers.insert(row, {"type": kind, **STARTING_ARGUMENTS.get(kind, {})})
        self._shift_errors(row, +1)
        self._fill()
        self.table.selectRow(row)

    def remove_layer(self, row: int) -> None:
        if 0 <= row < len(self._layers):
            del self._layers[row]
            self._argument_errors.pop(row, None)
            self._shift_errors(row, -1)
            self._fill()
            self.table.selectRow(min(row, len(self._layers) - 1))

    def move_layer(self, row: int, step: int) -> None:
        other = row + step
        if 0 <= row < len(self._layers) and 0 <= other < len(self._layers):
            self._layers[row], self._layers[other] = self._layers[other], self._layers[row]
            errors = self._argument_errors
            errors[row], errors[other] = errors.pop(other, None), errors.pop(row, None)
            self._argument_errors = {k: v for k, v in errors.items() if v}
            self._fill()
            self.table.selectRow(other)

    def set_layer(self, row: int, kind: str | None = None, arguments: str | None = None) -> None:
        """Change a row as the user would: its type (arguments start over) or its argument text."""
        if kind is not None:
            self._layers[row] = {"type": kind, **STARTING_ARGUMENTS.get(kind, {})}
            self._argument_errors.pop(row, None)
        if arguments is not None:
            try:
                self._layers[row] = {"type": self._layers[row].get("type"), **parse_arguments(arguments)}
                self._argument_errors.pop(row, None)
            except ValueError as exc:
                self._argument_errors[row] = str(exc)
        self._fill()

    def _shift_errors(self, row: int, step: int) -> None:
        self._argument_errors = {(k + step if k >= row else k): v for k, v in self._argument_errors.items()}

    def _current_row(self) -> int:
        row = self.table.currentRow()
        return row if row >= 0 else len(self._layers) - 1

    # ----- showing it -----
    def _fill(self) -> None:
        self._filling = True
        try:
            self.table.setRowCount(len(self._layers))
            for row, layer in enumerate(self._layers):
                combo = self.table.cellWidget(row, TYPE)
                if combo is None:
                    combo = QComboBox()
                    combo.addItems(list(LAYER_TYPES))
                    combo.setAccessibleName(f"Type of layer {row + 1}")
                    combo.activated.connect(lambda _, c=combo: self._on_type_chosen(c))
                    self.table.setCellWidget(row, TYPE, combo)
                kind = str(layer.get("type", "?"))
                if combo.findText(kind) < 0:
                    combo.addItem(kind)          # an unknown type from a file: shown, and flagged by the check
                combo.setCurrentText(kind)
                arguments = {k: v for k, v in layer.items() if k != "type"}
                self._set_item(row, ARGUMENTS, format_arguments(arguments), editable=True).setToolTip(
                    format_arguments(arguments))
        finally:
            self._filling = False
        self._recheck()

    def _set_item(self, row: int, column: int, text: str, editable: bool = False) -> QTableWidgetItem:
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(row, column, item)
        item.setText(text)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        item.setFlags(flags | Qt.ItemFlag.ItemIsEditable if editable else flags)
        if column in (PARAMS, MACS):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _recheck(self) -> None:
        self.design = check_design(self.document())
        rows = {r.index: r for r in self.design.rows}
        error_colour = QColor("#d32f2f")
        self._filling = True
        try:
            for row in range(len(self._layers)):
                checked = rows.get(row)
                problem = self._argument_errors.get(row) or (checked.error if checked else None)
                shape = checked.output_shape if checked and not problem else None
                self._set_item(row, OUTPUT, "x".join(map(str, shape)) if shape else "")
                self._set_item(row, PARAMS, f"{checked.params:,}" if shape else "")
                self._set_item(row, MACS, f"{checked.macs:,}" if shape else "")
                reason = problem or ("" if checked else "(after the problem above)")
                check = self._set_item(row, CHECK, reason or "✓")
                check.setToolTip(reason)
                check.setForeground(QBrush(error_colour) if problem else QBrush())
        finally:
            self._filling = False
        self._show_totals()
        self.designChanged.emit(self.design)

    def problems(self) -> list[tuple[int | None, str]]:
        """Every problem on screen: unreadable argument text first, then what the check found."""
        return sorted(self._argument_errors.items()) + [e for e in self.design.errors if e[0] not in self._argument_errors]

    def is_buildable(self) -> bool:
        return not self.problems()

    def _show_totals(self) -> None:
        design = self.design
        estimate = seconds_per_epoch(design.macs, self.images_per_epoch, self.machine_factor)
        basis = ("from runs recorded on this machine" if self.machine_factor
                 else "rough: no run recorded on this machine yet")
        problems = self.problems()
        if problems:     # totals of the rows before the problem would mislead
            self.totalsLabel.setText(f"{len(self._layers)} layers · totals once the problem below is fixed")
        else:
            self.totalsLabel.setText(f"{len(self._layers)} layers · {design.params:,} parameters · "
                                     f"{design.macs / 1e6:,.1f} M multiply-adds per image · about "
                                     f"{_duration(estimate)} per epoch here ({basis})")
        if problems:
            row, message = problems[0]
            where = f"Layer {row + 1}: " if row is not None else ""
            self.problemLabel.setText(f"<span style='color:#d32f2f'>{where}{message}</span>")
        else:
            self.problemLabel.setText("Ready to train.")

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == ARGUMENTS:
            self.set_layer(item.row(), arguments=item.text())

    def _on_type_chosen(self, combo: QComboBox) -> None:
        for row in range(self.table.rowCount()):
            if self.table.cellWidget(row, TYPE) is combo:
                self.set_layer(row, kind=combo.currentText())
                return
