"""The Runs tab: every recorded training and fine-tuning run (core/store/runs.py) in a sortable table.

Select runs to overlay their curves (against epoch or seconds); with two or more selected, the
first two's architecture and config differences are listed. Rename, notes, delete, open a run's
model for drawing (through the File menu's path: `openModelRequested`), export the table as CSV.
Store reads are small and run on the GUI thread; the table is re-read when the tab is shown and
when a training or fine-tuning run ends.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.store.runs_report import diff_runs, format_bytes, format_value, write_runs_csv
from hwr_desktop.ui.widgets.lazy_slot import LazySlot
from hwr_desktop.ui.widgets.runs_table import RUN_ID_ROLE, RunsTableModel, keyboard_sortable, sorting_proxy

TABLE_ROWS = 5          # the table always shows at least this many runs


def rows_high(table: QTableView, rows: int) -> int:
    """The height that shows the header, `rows` rows and a horizontal scroll bar."""
    return (table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
            + table.horizontalScrollBar().sizeHint().height() + 2 * table.frameWidth())


class RunsPanel(QWidget):
    errorOccurred = Signal(str, str)         # title, message
    openModelRequested = Signal(str)         # a run's model file, to open for drawing

    def __init__(self, store_path: str | Path | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self.store_path = store_path
        self._store = None
        self.runs = []

        self.model = RunsTableModel(self)
        self.proxy = sorting_proxy(self.model, self)
        self.table = QTableView(objectName="runsTable")
        self.table.setAccessibleName("Recorded runs")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)        # newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)   # the name
        keyboard_sortable(self.table.horizontalHeader(), "Sort runs by (Left, Right: column; Space: order)")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _index: self.rename_dialog())

        # The curves are made when the tab is first shown (importing pyqtgraph: ui/widgets/lazy_slot.py).
        self.curvesSlot = LazySlot(self._make_curves)
        self.curvesSlot.setMinimumSize(200, 160)         # RunCurves' own
        self.axisCombo = QComboBox(objectName="runsAxis")
        self.axisCombo.setAccessibleName("Curves against")
        self.axisCombo.addItem("against epoch", "epoch")          # run_curves.EPOCH, SECONDS
        self.axisCombo.addItem("against seconds", "seconds")
        self.axisCombo.currentIndexChanged.connect(
            lambda _i: self.curvesSlot.built() and self.curves.set_axis(self.axisCombo.currentData()))
        self.diffTable = QTableWidget(0, 3, objectName="runsDiff")
        self.diffTable.setAccessibleName("Architecture and config differences")
        self.diffTable.verticalHeader().hide()
        self.diffTable.verticalHeader().setDefaultSectionSize(self.diffTable.fontMetrics().height() + 8)
        self.diffTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diffTable.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.diffTable.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.diffTable.setWordWrap(False)
        self.diffTable.horizontalHeader().setAccessibleName("Compared runs")     # read out by screen readers
        self.diffTable.horizontalHeader().setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.diffAll = QCheckBox("all settings", objectName="runsDiffAll")
        self.diffAll.toggled.connect(lambda _on: self._show_diff())
        self.diffLabel = QLabel("", objectName="runsDiffLabel")
        self.notesLabel = QLabel("", objectName="runsNotes", wordWrap=True)
        self.usageLabel = QLabel("", objectName="runsUsage")

        # Two rows of buttons: the tab must fit the window's narrow side at 1200 px.
        buttons, second = QHBoxLayout(), QHBoxLayout()
        self.buttons = {}
        for key, text, slot, row in (
                ("rename", "Rename…", self.rename_dialog, buttons), ("notes", "Notes…", self.notes_dialog, buttons),
                ("delete", "Delete…", self.delete_dialog, buttons),
                ("open", "Open for Drawing", self.open_selected, buttons),
                ("export", "Export CSV…", self.export_dialog, second), ("refresh", "Refresh", self.refresh, second)):
            button = QPushButton(text, objectName=f"runs{key.title()}Button")
            button.clicked.connect(lambda _checked=False, s=slot: s())
            row.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        second.addStretch(1)
        second.addWidget(self.usageLabel)

        curves_box = QWidget()
        curves_layout = QVBoxLayout(curves_box)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        axis_row = QHBoxLayout()
        axis_row.addWidget(QLabel("Solid: validation, dashed: training", wordWrap=True), 1)
        axis_row.addWidget(self.axisCombo)
        curves_layout.addLayout(axis_row)
        curves_layout.addWidget(self.curvesSlot, 1)
        diff_box = QWidget()
        diff_layout = QVBoxLayout(diff_box)
        diff_layout.setContentsMargins(0, 0, 0, 0)
        diff_row = QHBoxLayout()
        diff_row.addWidget(self.diffLabel, 1)
        diff_row.addWidget(self.diffAll)
        diff_layout.addLayout(diff_row)
        diff_layout.addWidget(self.diffTable, 1)
        # One column: the table (never fewer than TABLE_ROWS rows), the curves (side by side when
        # wide), the comparison under them, shown only while two runs are selected. The tab pane is
        # ~530 px wide at 1280x720: beside each other, the curves and the comparison were both too narrow.
        self.diffBox = diff_box
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addLayout(second)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.notesLabel)
        # Rows as high as the text needs (the style's default was ~30 px): more runs in the same room.
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setMinimumHeight(rows_high(self.table, TABLE_ROWS))
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical, objectName="runsSplitter",
                                             childrenCollapsible=False)
        for widget, stretch in ((top, 2), (curves_box, 3), (diff_box, 2)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._update_buttons()
        self._show_diff()

    # ----- the store -----
    def store(self):
        """The run history, opened when first needed (a damaged one is moved aside and a new one started)."""
        if self._store is None:
            from hwr_desktop.core.store.runs import RunStore
            self._store, backup = RunStore.open_or_recover(self.store_path)
            if backup is not None:
                self.errorOccurred.emit("Run history", f"The run history was damaged; it was moved to {backup} "
                                                       "and a new one started.")
        return self._store

    @property
    def curves(self):
        return self.curvesSlot.get()

    def _make_curves(self):
        from hwr_desktop.ui.widgets.run_curves import RunCurves
        curves = RunCurves()
        curves.set_axis(self.axisCombo.currentData())
        curves.show_runs(self.selected_runs())
        return curves

    def shutdown(self) -> bool:
        # The plots' items go now, while Python runs: left to the scene's destructor at interpreter
        # exit, a pyqtgraph item's Python override was called mid-teardown and crashed the app.
        if self.curvesSlot.built():
            self.curves.show_runs([])
            self.curves.clear()
        if self._store is not None:
            self._store.close()
            self._store = None
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh_if_shown(self) -> None:
        """A run was just recorded: re-read now if the tab is shown, else showEvent will (reading and
        filling the table at the end of a training run would stall a hidden tab's window for nothing)."""
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Re-read the runs, keeping the selection."""
        selected = self.selected_ids()
        try:
            store = self.store()
            self.runs, used = store.list(), store.disk_usage()
        except HwrError as exc:
            self.runs, used = [], 0
            self.errorOccurred.emit("Cannot read the run history", str(exc))
        self.model.set_runs(self.runs)
        self.usageLabel.setText(f"{len(self.runs)} runs · models take {format_bytes(used)}")
        self.select_runs([i for i in selected if any(r.id == i for r in self.runs)])

    # ----- selection -----
    def selected_ids(self) -> list[int]:
        """Selected runs' ids in table order (as sorted)."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.proxy.index(row, 0).data(RUN_ID_ROLE) for row in rows]

    def selected_runs(self) -> list:
        by_id = {run.id: run for run in self.runs}
        return [by_id[i] for i in self.selected_ids() if i in by_id]

    def select_runs(self, ids) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(RUN_ID_ROLE) in ids:
                selection.select(self.proxy.index(row, 0), flags)
        self._selection_changed()

    def _selection_changed(self) -> None:
        runs = self.selected_runs()
        if self.curvesSlot.built():       # else drawn when made
            self.curves.show_runs(runs)
        self._show_diff()
        current = runs[0] if len(runs) == 1 else None
        self.notesLabel.setText(f"Notes: {current.notes}" if current is not None and current.notes else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        runs = self.selected_runs()
        one = len(runs) == 1
        self.buttons["rename"].setEnabled(one)
        self.buttons["notes"].setEnabled(one)
        self.buttons["delete"].setEnabled(bool(runs))
        self.buttons["open"].setEnabled(one and runs[0].model is not None)
        self.buttons["export"].setEnabled(bool(self.runs))

    def _show_diff(self) -> None:
        runs = self.selected_runs()
        table = self.diffTable
        compare = len(runs) >= 2
        opening = compare and not table.isVisibleTo(self)
        table.setVisible(compare)             # empty, it showed only the headers "1 2 3"
        self.diffAll.setVisible(compare)
        # Without a table the box is one line high, and the curves take the room.
        one_line = max(self.diffLabel.sizeHint().height(), self.diffAll.sizeHint().height())
        self.diffBox.setMaximumHeight(16777215 if compare else one_line)
        if opening:
            QTimer.singleShot(0, self._share_with_comparison)
        if not compare:
            table.setRowCount(0)
            self.diffLabel.setText("Select two runs to compare their architecture and config.")
            return
        a, b = runs[:2]
        rows = diff_runs(a, b, everything=self.diffAll.isChecked())
        table.setHorizontalHeaderLabels(["Setting", f"#{a.id} {a.name}", f"#{b.id} {b.name}"])
        table.setRowCount(len(rows))
        for r, (key, x, y) in enumerate(rows):
            for c, text in enumerate((key, format_value(x), format_value(y))):
                table.setItem(r, c, QTableWidgetItem(text))
        what = "settings" if self.diffAll.isChecked() else "differences"
        self.diffLabel.setText(f"#{a.id} vs #{b.id}: {len(rows)} {what}" +
                               (f" (the first two of {len(runs)})" if len(runs) > 2 else ""))

    def _share_with_comparison(self) -> None:
        """The comparison, just shown, takes the room its rows need, at most two fifths of the curves'."""
        table = self.diffTable
        rows = table.horizontalHeader().sizeHint().height() + table.rowCount() * table.verticalHeader().defaultSectionSize()
        needed = self.diffLabel.sizeHint().height() + rows + 2 * table.frameWidth() + 8
        top, curves, diff = self.splitter.sizes()
        share = min(needed, (curves + diff) * 2 // 5)
        self.splitter.setSizes([top, curves + diff - share, share])

    def diff_rows(self) -> list[tuple[str, str, str]]:
        t = self.diffTable
        return [tuple(t.item(r, c).text() for c in range(3)) for r in range(t.rowCount())]

    # ----- editing (the dialogs call these; tests too) -----
    def _edit(self, title: str, action) -> bool:
        try:
            action(self.store())
        except HwrError as exc:
            self.errorOccurred.emit(title, str(exc))
            return False
        self.refresh()
        return True

    def rename(self, run_id: int, name: str) -> bool:
        return self._edit("Cannot rename the run", lambda store: store.rename(run_id, name))

    def set_notes(self, run_id: int, notes: str) -> bool:
        return self._edit("Cannot save the notes", lambda store: store.set_notes(run_id, notes))

    def delete_runs(self, ids) -> bool:
        def delete(store):
            for run_id in ids:
                store.delete(run_id)
        return self._edit("Cannot delete the run", delete)

    def open_run(self, run_id: int) -> None:
        run = next((r for r in self.runs if r.id == run_id), None)
        if run is None or run.model is None:
            self.errorOccurred.emit("Cannot open the run's model", f"run {run_id} kept no model file")
            return
        self.openModelRequested.emit(str(run.model))

    def export_csv(self, path: str | Path) -> Path:
        return write_runs_csv(self.runs, path)

    # ----- dialogs -----
    def rename_dialog(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            name, ok = QInputDialog.getText(self, "Rename Run", "Name:", text=runs[0].name)
            if ok and name.strip():
                self.rename(runs[0].id, name)

    def notes_dialog(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            notes, ok = QInputDialog.getMultiLineText(self, "Run Notes", f"Notes on {runs[0].name}:", runs[0].notes)
            if ok:
                self.set_notes(runs[0].id, notes)

    def delete_dialog(self) -> None:
        runs = self.selected_runs()
        if not runs:
            return
        names = ", ".join(run.name for run in runs[:5]) + (" …" if len(runs) > 5 else "")
        answer = QMessageBox.question(self, "Delete Runs", f"Delete {len(runs)} run(s) and their model files?\n{names}")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_runs([run.id for run in runs])

    def open_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.open_run(runs[0].id)

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Runs", str(Path.home() / "runs.csv"), "CSV file (*.csv)")
        if not path:
            return
        try:
            self.export_csv(Path(path) if Path(path).suffix else Path(path).with_suffix(".csv"))
        except HwrError as exc:
            self.errorOccurred.emit("Cannot export", str(exc))
