"""What the Read Image view paints over the image: removed lines, pieces, and each mark's box and tag.

Also the wording of a mark's alternatives, shared by the view's tooltip, the strip under it and
the correction menu, so the three always agree.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

ACCEPTED = "#2a9d4b"
REJECTED = "#d1495b"
CORRECTED = "#2f6fd0"                    # a digit the user chose for a '?'
LINES = QColor(255, 140, 0, 110)         # light, translucent orange: the ink under it stays visible
PIECES = QColor(128, 128, 128)
TAG_HEIGHT = 19


def alternatives_text(digit, shown_only: bool = False) -> str:
    """"7 41% · 1 30% · 4 12%"; shown_only drops the ones that would read "0%" (but never the first)."""
    alternatives = digit.alternatives
    if shown_only:
        alternatives = alternatives[:1] + [(k, p) for k, p in alternatives[1:] if p >= 0.005]
    return " · ".join(f"{k} {p:.0%}" for k, p in alternatives) or "not digit-shaped"


def mark_label(digit, corrected: int | None) -> str:
    """The tag over a box: the digit and its confidence, the best guess of a '?' with a question mark
    ("7? 41%": "? 41%" read as "41 % sure it is a question mark"), or the user's digit."""
    if corrected is not None:
        return f"{corrected} you"
    if digit.digit is None:
        guess = digit.alternatives[0][0] if digit.alternatives else ""
        return f"{guess}? {digit.confidence:.0%}"
    return f"{digit.digit} {digit.confidence:.0%}"


def mark_color(digit, corrected: int | None) -> QColor:
    return QColor(CORRECTED if corrected is not None else ACCEPTED if digit.digit is not None else REJECTED)


def lines_overlay(mask: np.ndarray) -> QImage:
    """A bool mask -> an 8-bit indexed image, transparent where False and LINES where True.

    Indexed: one byte per pixel whatever the photo's size; the painter scales it onto the image."""
    data = np.ascontiguousarray(mask, dtype=np.uint8)
    h, w = data.shape
    image = QImage(data.data, w, h, w, QImage.Format.Format_Indexed8).copy()
    image.setColorTable([QColor(0, 0, 0, 0).rgba(), LINES.rgba()])
    return image


def paint_pieces(painter: QPainter, pieces, to_view: Callable[[tuple], QRectF]) -> None:
    pen = QPen(PIECES, 1, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for box in pieces:   # inset: two pieces either side of a cut show as two dashed lines, not one solid
        painter.drawRect(to_view(box).adjusted(1, 1, -1, -1))


def paint_marks(painter: QPainter, digits, corrections: dict[int, int],
                to_view: Callable[[tuple], QRectF]) -> list[QRectF]:
    """Each mark's box and tag; returns the tags' rectangles (clicking a tag is clicking its mark)."""
    font = QFont()
    font.setBold(True)
    font.setPointSize(11)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    tags = []
    last_above = -1e9  # right edge of the previous tag above a box: tags must not overlap
    for index, d in enumerate(digits):
        rect, corrected = to_view(d.box), corrections.get(index)
        color, label = mark_color(d, corrected), mark_label(d, corrected)
        painter.setPen(QPen(color, 2))
        painter.drawRect(rect)
        width = metrics.horizontalAdvance(label) + 8
        if rect.x() >= last_above:
            tag = QRectF(rect.x(), rect.y() - TAG_HEIGHT - 1, width, TAG_HEIGHT)
            last_above = tag.right() + 2
        else:  # too close to the previous tag: put this one under its box
            tag = QRectF(rect.x(), rect.bottom() + 1, width, TAG_HEIGHT)
        painter.fillRect(tag, color)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
        tags.append(tag)
    return tags
