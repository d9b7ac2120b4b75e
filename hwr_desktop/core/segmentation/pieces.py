"""A piece of ink: one connected mark (or a part of one) found by segmentation, and what is
measured on a line of them. marks.py finds pieces, cuts.py splits touching ones,
core/reading/digit_reader.py groups them into digits; this module is what all three share.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Piece:
    """A mark in working (possibly downscaled) coordinates: its box origin and pixel mask."""
    y0: int
    x0: int
    mask: np.ndarray  # bool (height, width)

    @property
    def y1(self) -> int:
        return self.y0 + self.mask.shape[0]

    @property
    def x1(self) -> int:
        return self.x0 + self.mask.shape[1]

    @property
    def height(self) -> int:
        return self.mask.shape[0]

    @property
    def width(self) -> int:
        return self.mask.shape[1]

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def union(a: Piece, b: Piece) -> Piece:
    """The two pieces as one (box around both, masks combined)."""
    y0, x0, y1, x1 = min(a.y0, b.y0), min(a.x0, b.x0), max(a.y1, b.y1), max(a.x1, b.x1)
    mask = np.zeros((y1 - y0, x1 - x0), bool)
    for p in (a, b):
        mask[p.y0 - y0:p.y1 - y0, p.x0 - x0:p.x1 - x0] |= p.mask
    return Piece(y0, x0, mask)


def substantial(pieces: list[Piece]) -> list[Piece]:
    """The marks with substantial ink: at least 0.15 of the largest mark's (not specks or fragments)."""
    if not pieces:
        return []
    largest = max(p.area for p in pieces)
    return [p for p in pieces if p.area >= 0.15 * largest]


def line_height(pieces: list[Piece]) -> float:
    """Typical digit height of the line: the median height of the marks with substantial ink."""
    if not pieces:
        return 0.0
    return float(np.median([p.height for p in substantial(pieces)]))
