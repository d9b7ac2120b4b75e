"""Under the Read Image view: one entry per mark with its likeliest digits, "?  7 41% · 1 30% · 4 12%".

Marks that can be corrected ('?' and the user's own corrections) are buttons, so Tab reaches
them and Space or Enter opens the same menu as clicking the mark in the view; the others are
labels, so Tab does not stop at digits there is nothing to do about.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QWidget

from hwr_desktop.ui.widgets.reading_overlays import alternatives_text, mark_color, mark_label


class AlternativesStrip(QScrollArea):
    """A horizontally scrolling row of entries: a long number must not widen the window."""

    digitClicked = Signal(int, QPoint)   # index of a correctable mark, global position for a menu

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("alternativesStrip")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.entries: list[QWidget] = []
        self.show_digits([], {})

    def show_digits(self, digits, corrections: dict[int, int]) -> None:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)   # wide enough that one mark's figures do not run into the next's
        layout.addWidget(QLabel("Likeliest digits:"))
        self.entries = [self._entry(index, d, corrections.get(index)) for index, d in enumerate(digits)]
        for entry in self.entries:
            layout.addWidget(entry)
        layout.addStretch(1)
        self.setWidget(row)   # replaces (and deletes) the previous row
        self.setVisible(bool(digits))
        self.setFixedHeight(row.sizeHint().height() + self.horizontalScrollBar().sizeHint().height())

    def _entry(self, index: int, digit, corrected: int | None) -> QWidget:
        if digit.digit is not None and corrected is None:   # the first alternative is the digit read
            entry = QLabel(alternatives_text(digit, shown_only=True))
            entry.setToolTip(f"Likeliest: {alternatives_text(digit)}")
        else:
            shown = "?" if corrected is None else f"{corrected} you"
            entry = QPushButton(f"{shown}  ({alternatives_text(digit, shown_only=True)})")
            why = f"Not read: {digit.why}. " if digit.digit is None and digit.why and corrected is None else ""
            entry.setToolTip(f"{why}Choose the right digit")
            entry.setAccessibleName(f"Mark {index + 1}: {mark_label(digit, corrected)}, likeliest "
                                    f"{alternatives_text(digit)}. Choose the right digit")
            entry.clicked.connect(lambda _=False, i=index, b=entry:
                                  self.digitClicked.emit(i, b.mapToGlobal(b.rect().bottomLeft())))
        entry.setObjectName(f"markEntry{index}")
        palette = entry.palette()
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
            palette.setColor(role, mark_color(digit, corrected))
        entry.setPalette(palette)
        return entry
