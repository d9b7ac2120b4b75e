"""The Runs tab's table: one row per recorded run (core.store.runs.Run), sortable by any column.

RunsTableModel shows formatted text and gives the proxy raw values under SORT_ROLE (numbers as
numbers, a missing figure below every real one), so "Test" sorts 9.5 % below 95 %.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QEvent, QObject, QSortFilterProxyModel, Qt

from hwr_desktop.core.store.runs_report import TABLE_COLUMNS, row_values

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 2
NUMERIC = {"params", "epochs", "train_seconds", "val_accuracy", "test_accuracy"}


def local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(iso)


def display(key: str, value) -> str:
    if value is None:
        return "—"
    if key in ("val_accuracy", "test_accuracy"):
        return f"{value:.2%}"
    if key == "params":
        return f"{value:,}"
    if key == "train_seconds":
        return f"{value:,.1f}"
    if key == "started":
        return local_time(value)
    return str(value)


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs = []
        self._rows: list[dict] = []

    def set_runs(self, runs) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self._rows = [row_values(run) for run in self.runs]
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.runs)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(TABLE_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return TABLE_COLUMNS[section][0]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        key = TABLE_COLUMNS[index.column()][1]
        values = self._rows[index.row()]
        value = values.get(key)
        if role == Qt.ItemDataRole.DisplayRole:
            return display(key, value)
        if role == SORT_ROLE:
            if key in NUMERIC:
                return float(value) if value is not None else float("-inf")
            return str(value or "").lower()
        if role == RUN_ID_ROLE:
            return values["id"]
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            run = self.runs[index.row()]
            lines = [f"Run {run.id}: {run.name} ({run.status})"]
            if run.error:
                lines.append(run.error)
            if run.notes:
                lines.append(run.notes)
            return "\n".join(lines)
        return None


def sorting_proxy(model: RunsTableModel, parent=None) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy


class _HeaderKeys(QObject):
    """Sorting without a mouse: on the focused header, Left/Right sort by the previous/next column,
    Space or Enter reverses the order."""

    def eventFilter(self, header, event) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        key, section, order = event.key(), header.sortIndicatorSection(), header.sortIndicatorOrder()
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = 1 if key == Qt.Key.Key_Right else -1
            header.setSortIndicator((max(section, 0) + step) % header.count(), order)
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            header.setSortIndicator(section, Qt.SortOrder.DescendingOrder if order == Qt.SortOrder.AscendingOrder
                                    else Qt.SortOrder.AscendingOrder)
        else:
            return False
        return True


def keyboard_sortable(header, name: str) -> None:
    """The sortable table's header in the Tab chain, named, sorted with the keys of _HeaderKeys."""
    header.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    header.setAccessibleName(name)
    header.installEventFilter(_HeaderKeys(header))
