"""Above the Read Image view: the likeliest readings of the whole number, "2026 91% · 2028 5% · 2526 2%".

Each reading is a button (Tab reaches it, Space or Enter chooses it): choosing one puts its digits
in place of what was read, as corrections the user made, so the number shown is the one chosen.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class ReadingsRow(QWidget):
    readingChosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("readingsRow")
        self.buttons: list[QPushButton] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Likeliest numbers:"))
        layout.addStretch(1)
        self.show_readings(())

    def show_readings(self, readings, chosen: str | None = None) -> None:
        """`readings`: (text, probability) best first; `chosen`: the text now shown, marked as such."""
        layout = self.layout()
        for button in self.buttons:
            layout.removeWidget(button)
            button.hide()                  # at once: deleteLater waits for the event loop
            button.deleteLater()
        self.buttons = []
        for k, (text, probability) in enumerate(readings):
            button = QPushButton(f"{text}  {probability:.0%}", objectName=f"readingButton{k}")
            button.setCheckable(True)
            button.setChecked(text == chosen)
            button.setToolTip("Use this reading of the whole number")
            button.setAccessibleName(f"Reading {k + 1}: {' '.join(text)}, {probability:.0%} likely. Use this reading")
            button.clicked.connect(lambda _=False, t=text: self.readingChosen.emit(t))
            layout.insertWidget(layout.count() - 1, button)
            button.show()                  # at once too: a layout shows a new child from the event loop
            self.buttons.append(button)
        self.setVisible(len(self.buttons) > 1)    # one reading: nothing to choose between
