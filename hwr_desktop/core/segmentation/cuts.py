"""Cutting touching digits apart along the path that crosses the least ink.

Where two handwritten digits touch, a top-to-bottom path between them crosses only the few
pixels where they meet, while any path through a single digit crosses at least one whole stroke,
usually two. Neighbours often overlap in x (slant, tight spacing), so the path may bend: it is
found by dynamic programming over rows, moving at most one column per row, with a small cost per
sideways step so that it stays straight where nothing is in the way.

`cut_paths` returns candidate paths; `cut_piece` cuts a mark along some of them. The reader
(core/reading/digit_reader.py) over-segments with several candidates and lets the model choose which parts
belong together; core/segmentation/marks.segment (no model) cuts only clearly too-wide marks.
"""
from __future__ import annotations

import math

import numpy as np

from hwr_desktop.core.segmentation.pieces import Piece

SIDE_STEP_COST = 0.3     # ink pixels a sideways step is worth: keeps paths straight in empty paper
MIN_PART = 0.15          # no part narrower than this share of the line height (a '1' is ~0.15-0.3)
MIN_PART_AREA = 0.1      # ... or with less than this share of the mark's ink
MIN_SPACING = 0.25       # candidate cuts at least this many line heights apart
MAX_COST = 3.0           # ... and crossing at most this many stroke widths of ink
MAX_INK = 0.5            # ... and at most this many line heights of ink (never through a blob)
DP_ROWS = 160            # taller marks are searched at reduced resolution (speed)


def stroke_width(mask: np.ndarray) -> float:
    """Median length of the horizontal ink runs: about the pen width for handwriting."""
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    change = np.diff(padded, axis=1)
    lengths = np.nonzero(change.ravel() == -1)[0] - np.nonzero(change.ravel() == 1)[0]
    return float(np.median(lengths)) if lengths.size else 1.0


def _end_costs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest top-to-bottom path cost ending at each column, and each cell's step (-1, 0, +1)."""
    h, w = ink.shape
    cost = ink[0].astype(np.float64)
    steps = np.zeros((h, w), np.int8)
    columns = np.arange(w)
    for y in range(1, h):
        from_left = np.concatenate([[np.inf], cost[:-1]]) + SIDE_STEP_COST
        from_right = np.concatenate([cost[1:], [np.inf]]) + SIDE_STEP_COST
        options = np.stack([from_left, cost, from_right])
        choice = options.argmin(axis=0)
        steps[y] = choice - 1   # -1: came from the column to the left
        cost = options[choice, columns] + ink[y]
    return cost, steps


def _trace(steps: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(len(ends), h) column of each path in each row, from the bottom row back to the top."""
    h = steps.shape[0]
    paths = np.zeros((len(ends), h), np.int64)
    x = np.asarray(ends, np.int64)
    for y in range(h - 1, -1, -1):
        paths[:, y] = x
        x = x + steps[y, x]
    return paths


def cut_paths(piece: Piece, line_height: float, max_cuts: int = 4) -> list[tuple[np.ndarray, float]]:
    """Up to `max_cuts` cheap cut paths, left to right: (column for each row of the piece, ink crossed).

    The ink crossed is in stroke widths: about 1 where two digits touch, 2 or more through a
    digit. Paths are taken cheapest first, and only if they do not cross a path already taken and
    every part keeps at least MIN_PART_AREA of the ink and MIN_PART line heights of width.
    """
    h, w = piece.mask.shape
    margin = max(1, int(MIN_PART * line_height))
    if w <= 2 * margin or max_cuts < 1:
        return []
    factor = max(1, math.ceil(h / DP_ROWS))
    small = piece.mask[::factor, ::factor]
    pixels, steps = _end_costs(small.astype(np.float32))
    pixels = pixels * factor
    costs = pixels / max(stroke_width(piece.mask), 1.0)
    lo, hi = math.ceil(margin / factor), (w - margin) // factor
    candidates = [int(x) for x in np.argsort(costs, kind="stable")
                  if lo <= x < hi and costs[x] <= MAX_COST and pixels[x] <= MAX_INK * line_height]
    if not candidates:
        return []
    traced = _trace(steps, np.array(candidates)) * factor
    rows = np.minimum(np.arange(h) // factor, traced.shape[1] - 1)
    area = piece.mask.sum()
    chosen: list[tuple[np.ndarray, float]] = []
    for x, path in zip(candidates, traced):
        path = np.clip(path[rows], 0, w - 1)
        if any(abs(float(np.mean(path - p))) < MIN_SPACING * line_height or not (np.all(path <= p) or np.all(path >= p))
               for p, _ in chosen):
            continue   # too close to, or crossing, a cut already taken
        trial = sorted(chosen + [(path, float(costs[x]))], key=lambda c: float(c[0].mean()))
        parts = cut_piece(piece, [p for p, _ in trial])
        if len(parts) == len(trial) + 1 and all(
                p.area >= MIN_PART_AREA * area and p.width >= margin for p in parts):
            chosen = trial
        if len(chosen) == max_cuts:
            break
    return chosen


def cut_piece(piece: Piece, paths: list[np.ndarray]) -> list[Piece]:
    """The parts of a piece between the paths (pixels on a path go right), left to right."""
    if not paths:
        return [piece]
    h, w = piece.mask.shape
    cuts = np.sort(np.stack(paths), axis=0)          # per row, so that crossing paths still partition
    part = (np.arange(w)[None, None, :] >= cuts[:, :, None]).sum(axis=0)
    out = []
    for k in range(len(paths) + 1):
        mask = piece.mask & (part == k)
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if rows.size == 0:
            continue
        out.append(Piece(piece.y0 + int(rows[0]), piece.x0 + int(cols[0]),
                         mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]))
    return out
