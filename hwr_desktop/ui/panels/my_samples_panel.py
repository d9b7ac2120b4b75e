"""My Samples: the user's own labelled digits, to check, correct and share before fine-tuning.

Per-digit buttons (All, then 0-4 over 5-9) show the counts and filter the grid; tiles are the 28x28 images
fine-tuning trains on. Select tiles, then Delete (button or key) or relabel them (the Relabel
menu or simply a digit key). Export writes a zip of PNGs + labels.csv, Import adds such a zip
(core.store.samples_zip does both; exact duplicates are skipped). Every change goes through
ui.personal_samples, so this view also follows samples added from the canvas.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.core.errors import HwrError
from hwr_desktop.ui.panels.drawing_panel import digit_of
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile

MAX_TILES = 600          # newest first; enough to review a session's work without a slow grid
ZIP_FILTER = "Zip archives (*.zip);;All files (*)"
ALL = 10               # the "All" filter button's id (QButtonGroup treats -1 as "assign one")
DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


def tile_tooltip(sample) -> str:
    added = sample.created[:16].replace("T", " ")     # ISO 8601 UTC, to the minute
    return f"sample #{sample.id}: labelled {sample.label}, added {added} UTC" + (
        " (drawing kept)" if sample.has_original else "")


class MySamplesPanel(QWidget):
    errorOccurred = Signal(str, str)      # title, message

    def __init__(self, samples, parent=None):
        super().__init__(parent)
        self.setObjectName("mySamplesPanel")
        self.samples = samples            # ui.personal_samples.PersonalSamples
        self.stale = True

        self.filterGroup = QButtonGroup(self, exclusive=True)
        # Two rows of five digits beside All, not one row of eleven: the row of eleven ("7 · 123" each)
        # was the widest thing in any view, and the views' minimum is what the number strip cannot have.
        filters = QGridLayout()
        filters.setSpacing(2)
        self.digitButtons: dict[int, QToolButton] = {}
        for key in (ALL, *range(10)):
            button = QToolButton(objectName="sampleDigitAll" if key == ALL else f"sampleDigit{key}", checkable=True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setToolTip("All samples" if key == ALL else f"Only your {key}s")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            self.filterGroup.addButton(button, key)
            self.digitButtons[key] = button
            if key == ALL:
                filters.addWidget(button, 0, 0, 2, 1)
            else:
                filters.addWidget(button, key // 5, 1 + key % 5)
        self.digitButtons[ALL].setChecked(True)
        self.filterGroup.idClicked.connect(lambda _id: self.refresh())

        self.summaryLabel = QLabel("", objectName="mySamplesSummary", wordWrap=True)
        self.grid = ImageGrid(side=56, caption_lines=1, widest_caption="0 · #00000")
        self.grid.setObjectName("mySamplesGrid")
        self.grid.setAccessibleName("My samples")
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.itemSelectionChanged.connect(self._update_buttons)
        self.grid.installEventFilter(self)

        self.deleteButton = QPushButton("Delete", objectName="deleteSampleButton")
        self.deleteButton.setToolTip("Delete the selected samples (Delete key)")
        self.deleteButton.clicked.connect(self.delete_selected)
        self.relabelButton = QPushButton("Relabel as", objectName="relabelButton")
        self.relabelButton.setToolTip("Give the selected samples another label (or type the digit)")
        menu = QMenu(self.relabelButton, objectName="relabelMenu")
        for d in range(10):
            menu.addAction(str(d), lambda d=d: self.relabel_selected(d))
        self.relabelButton.setMenu(menu)
        self.exportButton = QPushButton("Export…", objectName="exportSamplesButton")
        self.exportButton.setToolTip("Save all your samples as a zip of PNG images and labels.csv")
        self.exportButton.clicked.connect(self.export_dialog)
        self.importButton = QPushButton("Import…", objectName="importSamplesButton")
        self.importButton.setToolTip("Add the samples of an exported zip (exact duplicates are skipped)")
        self.importButton.clicked.connect(self.import_dialog)
        self.statusLabel = QLabel("", objectName="mySamplesStatus", wordWrap=True)

        actions = QHBoxLayout()
        actions.addWidget(self.deleteButton)
        actions.addWidget(self.relabelButton)
        actions.addStretch(1)
        actions.addWidget(self.exportButton)
        actions.addWidget(self.importButton)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.summaryLabel)
        layout.addWidget(self.grid, 1)
        layout.addLayout(actions)
        layout.addWidget(self.statusLabel)
        samples.changed.connect(self._on_changed)
        self.refresh()

    # ----- showing -----
    def digit(self) -> int | None:
        key = self.filterGroup.checkedId()
        return None if key == ALL else key

    def _on_changed(self) -> None:
        self.stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.stale:
            self.refresh()

    def refresh(self) -> None:
        """Re-read counts and the filtered samples from the store; keeps the selection where it can."""
        self.stale = False
        selected = set(self.selected_ids())
        try:
            counts = self.samples.counts()
            shown = self.samples.samples(self.digit())[::-1][:MAX_TILES]    # newest first
        except HwrError as exc:
            counts, shown = {d: 0 for d in range(10)}, []
            self.summaryLabel.setText(str(exc))
        total = sum(counts.values())
        self.digitButtons[ALL].setText(f"All · {total}")
        for d in range(10):
            self.digitButtons[d].setText(f"{d} · {counts[d]}")
        self.grid.set_tiles([Tile(s.image28, f"{s.label} · #{s.id}", key=s.id, tooltip=tile_tooltip(s)) for s in shown])
        for i in range(self.grid.count()):
            if self.grid.item(i).data(Qt.ItemDataRole.UserRole) in selected:
                self.grid.item(i).setSelected(True)
        if not self.samples.available:
            self.summaryLabel.setText(self.samples.error or "Your samples are not available.")
        elif total == 0:
            self.summaryLabel.setText("No samples yet. Draw a digit, check its label under the canvas and press "
                                      "“Add to my samples” (Ctrl+Enter). Ten or more let you fine-tune the model "
                                      "on your handwriting (below).")
        else:
            n = counts[self.digit()] if self.digit() is not None else total
            what = f"sample{'s' if n != 1 else ''}" + ("" if self.digit() is None else f" of {self.digit()}")
            more = f" (the newest {len(shown)} are shown)" if n > len(shown) else ""
            self.summaryLabel.setText(f"{n:,} {what}{more}. Select some to delete them, or type a digit to "
                                      "relabel them.")
        self.exportButton.setEnabled(total > 0)
        self.importButton.setEnabled(self.samples.available)
        self._update_buttons()

    def shown_ids(self) -> list[int]:
        return self.grid.keys()

    def selected_ids(self) -> list[int]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.grid.selectedItems()]

    def select_ids(self, ids) -> None:
        wanted = set(ids)
        for i in range(self.grid.count()):
            self.grid.item(i).setSelected(self.grid.item(i).data(Qt.ItemDataRole.UserRole) in wanted)

    def _update_buttons(self) -> None:
        has_selection = bool(self.grid.selectedItems())
        self.deleteButton.setEnabled(has_selection)
        self.relabelButton.setEnabled(has_selection)

    # ----- editing -----
    def delete_selected(self) -> int:
        ids = self.selected_ids()
        if not ids:
            return 0
        try:
            self.samples.remove(ids)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot delete samples", str(exc))
            return 0
        self.statusLabel.setText(f"Deleted {len(ids)} sample{'s' if len(ids) != 1 else ''}.")
        return len(ids)

    def relabel_selected(self, label: int) -> int:
        ids = self.selected_ids()
        if not ids:
            return 0
        try:
            self.samples.relabel(ids, label)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot relabel samples", str(exc))
            return 0
        self.statusLabel.setText(f"{len(ids)} sample{'s are' if len(ids) != 1 else ' is'} now labelled {label}.")
        return len(ids)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.grid and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
            digit = digit_of(event)
            if digit is not None or (plain and event.key() in DELETE_KEYS):
                if event.type() == QEvent.Type.ShortcutOverride:
                    event.accept()     # these keys are ours here, not the window's (Delete clears the canvas)
                elif digit is not None:
                    self.relabel_selected(digit)
                else:
                    self.delete_selected()
                return True
        return super().eventFilter(watched, event)

    # ----- zip files (dialogs separate from the actions, which tests call with paths) -----
    def export_dialog(self) -> None:
        start = str(Path.home() / "my-handwriting-samples.zip")
        path, _ = QFileDialog.getSaveFileName(self, "Export My Samples", start, ZIP_FILTER)
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path) -> int | None:
        path = Path(path)
        if path.suffix.lower() != ".zip":
            path = path.with_name(path.name + ".zip")
        try:
            count = self.samples.export_zip(path)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot export samples", str(exc))
            return None
        self.statusLabel.setText(f"Exported {count} sample{'s' if count != 1 else ''} to {path}.")
        return count

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Samples", str(Path.home()), ZIP_FILTER)
        if path:
            self.import_from(path)

    def import_from(self, path: str | Path) -> int | None:
        try:
            count = self.samples.import_zip(path)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot import samples", str(exc))
            return None
        self.statusLabel.setText(f"Imported {count} new sample{'s' if count != 1 else ''} from {Path(path).name}"
                                 + ("" if count else " (all were already here)") + ".")
        return count
