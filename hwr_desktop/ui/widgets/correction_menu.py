"""The menu that corrects a '?' mark: its likeliest digits first, then every digit 0-9.

Each action's data is the digit it chooses, or UNDO to go back to '?'. Only the 0-9 entries
have mnemonics ("&7"), so typing a digit picks that digit whatever the alternatives are.
"""
from __future__ import annotations

from PySide6.QtWidgets import QMenu

UNDO = -1


def correction_menu(parent, digit, corrected: int | None) -> QMenu:
    menu = QMenu(parent)
    menu.setObjectName("correctionMenu")
    menu.setAccessibleName("Choose the right digit")
    if digit.alternatives:
        menu.addSection("Likeliest")
        for k, p in digit.alternatives:
            menu.addAction(f"{k}    {p:.0%}").setData(k)
    menu.addSection("Any digit")
    for k in range(10):
        action = menu.addAction(f"&{k}")
        action.setData(k)
        action.setCheckable(True)
        action.setChecked(k == corrected)
    if corrected is not None:
        menu.addSeparator()
        menu.addAction("Back to ?").setData(UNDO)
    return menu
