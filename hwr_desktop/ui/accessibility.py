"""Accessible names from the labels the user reads: a control with a label buddy (every QFormLayout
row with a text label has one) and no accessible name of its own is named after its label."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


def name_from_labels(root: QWidget) -> int:
    """Name each unnamed buddy of a QLabel under `root` after the label's text; returns how many."""
    named = 0
    for label in root.findChildren(QLabel):
        buddy = label.buddy()
        text = label.text().replace("&&", "\0").replace("&", "").replace("\0", "&").strip().rstrip(":")
        if buddy is not None and text and not buddy.accessibleName():
            buddy.setAccessibleName(text)
            named += 1
    return named
