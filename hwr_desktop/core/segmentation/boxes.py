"""Find form cells drawn one per digit (separate boxes, square or rounded corners) in an ink mask.

Pure numpy. printed_lines.py finds lines by their length (LINE_LENGTH digit heights), so a row of
separate cells escapes it: each cell's edges are only one or two digit heights long. A cell is
found here as a whole instead, as one connected component that is a hollow rectangle:
1. seen from outside, each of its four sides is straight: the outer profile of the side's middle
   lies within STRAIGHT pixels of one line for at least STRAIGHT_SHARE of it, leaning at most
   MAX_SLOPE (a digit poking over the side may hide the rest);
2. its sides are thin (MAX_THICKNESS working pixels, and a small share of the cell);
3. no line of its own crosses its inside (that is a grid or a row of joined cells: lines); the
   inside lies within the fitted sides, so a digit poking out over a side does not move it;
4. something tall is written inside it (a round '0' is hollow too, but holds nothing), or it is
   empty and a cell that holds something, of its size, stands in its row (a form's unused cells
   were read as '?' or '0').
A cell open on one side (a comb field, or a cell whose side broke off at a corner) passes too: seen
from the open side, the far side's inner edge stands in for the missing one, and its three sides go.
Its outline is the band of the side's thickness inward from the outer profile: where the profile
follows the side (and around rounded corners), from the profile; where a digit pokes out over the
side, from the fitted line; never beyond the fitted sides (what pokes out there is the digit's).
find_lines passes it on like its other lines, so ink crossing a side is given back to the digit
(restore_crossings) and a digit resting on a side keeps its foot.
"""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.segmentation.components import bounding_boxes, label

MIN_SIDE = 10          # working pixels: smaller components are not cells
STRAIGHT = 1.5         # working pixels the outer profile may stray from its line (anti-aliasing, tilt)
STRAIGHT_SHARE = 0.4   # share of the middle of each side that must be straight
MIDDLE = 0.6           # the middle share of a side, where its line is fitted (corners may be rounded)
MAX_SLOPE = 0.05       # about 3 degrees: a form sits a little askew, no more
MAX_THICKNESS = 6      # working pixels (as printed_lines.MAX_THICKNESS)
MAX_THICKNESS_SHARE = 0.15   # a side thicker than this share of the cell is a blob, not a box
ACROSS = 0.9           # a run of the cell's own ink over this share of its inside is a line across it
MIN_CONTENT = 0.25     # something written in a cell stands at least this share of its inside tall
SAME_SIZE = 0.15       # an empty cell is a cell beside a filled one whose width and height are within this share


def _profile(own: np.ndarray) -> np.ndarray:
    """Per column, the first row with ink from the top (the height where none)."""
    return np.where(own.any(axis=0), own.argmax(axis=0), own.shape[0])


def _may_be_straight(own: np.ndarray) -> bool:
    """A quick necessary condition of _side: a line leaning at most MAX_SLOPE stays within a band
    MAX_SLOPE x (middle's width) + 2 STRAIGHT high over the middle, so STRAIGHT_SHARE of the middle
    profile must fit in one such band. Most digits fail it on some side, before any line is fitted
    (it took 12 ms of a 50 ms read of 8 canvas digits, 2026-12-06)."""
    w = own.shape[1]
    a, b = int(w * (1 - MIDDLE) / 2), int(np.ceil(w * (1 + MIDDLE) / 2))
    y = np.sort(_profile(own[:, a:b]))
    if len(y) < 4:
        return False
    within = np.searchsorted(y, y + MAX_SLOPE * len(y) + 2 * STRAIGHT + 1e-9, side="right") - np.arange(len(y))
    return int(within.max()) >= STRAIGHT_SHARE * len(y)


def _side(own: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The top side of a component's mask (other sides: pass it flipped or transposed): its outer
    profile, the line fitted through its middle, and its thickness; None when it is not straight."""
    h, w = own.shape
    profile = _profile(own).astype(np.float64)
    a, b = int(w * (1 - MIDDLE) / 2), int(np.ceil(w * (1 + MIDDLE) / 2))
    x, y = np.arange(a, b), profile[a:b]
    if len(x) < 4:
        return None
    # The side is the level most of the middle profile shares (a digit poking over the side may
    # cover nearly half of it), refined by a line fitted through the profile near that level.
    ordered = np.sort(y)
    levels = np.unique(ordered)
    # how many of the profile's rows lie within STRAIGHT of each level (rows are whole numbers)
    support = np.searchsorted(ordered, levels + STRAIGHT, side="right") - np.searchsorted(ordered, levels - STRAIGHT, side="left")
    near = np.abs(y - levels[int(np.argmax(support))]) <= 2 * STRAIGHT
    slope, offset = np.polyfit(x[near], y[near], 1) if near.sum() >= 2 else (0.0, float(np.median(y)))
    near = np.abs(y - (slope * x + offset)) <= STRAIGHT
    if near.sum() >= 2:
        slope, offset = np.polyfit(x[near], y[near], 1)
    fit = slope * np.arange(w) + offset
    straight = np.abs(y - fit[a:b]) <= STRAIGHT
    if abs(slope) > MAX_SLOPE or straight.mean() < STRAIGHT_SHARE:
        return None
    # Thickness: the run of ink inward from the profile, in the straight middle columns: the first
    # row at or below the profile without ink (h where the ink reaches the bottom).
    columns = x[straight]
    starts = profile[columns].astype(int)
    below = (np.arange(h)[:, None] >= starts[None, :]) & ~own[:, columns]
    first_gap = np.where(below.any(axis=0), below.argmax(axis=0), h)
    return profile, fit, float(np.median(first_gap - starts))


def _band(profile: np.ndarray, fit: np.ndarray, thickness: float, shape: tuple[int, int]) -> np.ndarray:
    """The outline's pixels along the top: `thickness` (+2) rows in from the outer profile, or from
    the fitted line where something pokes out over it."""
    start = np.clip(np.where(profile >= fit - STRAIGHT, profile, np.round(fit)), 0, shape[0])
    rows = np.arange(shape[0])[:, None]
    return (rows >= start[None, :] - 0.5) & (rows < start[None, :] + thickness + 2)


def _holds_something(content: np.ndarray) -> bool:
    """Ink standing at least MIN_CONTENT of the inside tall (what is left of a round '0' once its
    outline is taken away is slivers at its diagonals)."""
    labels, count = label(content)
    for n in range(1, count + 1):
        rows = np.flatnonzero((labels == n).any(axis=1))
        if rows[-1] - rows[0] + 1 >= MIN_CONTENT * content.shape[0]:
            return True
    return False


def _cell_outline(own: np.ndarray, ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """A component's outline as (top and bottom sides, left and right sides, whether it holds
    something) when it is a cell or an empty one."""
    views = (own, own[::-1], own.T, own.T[::-1])    # top, bottom, left, right: each seen as a top
    if not all(_may_be_straight(v) for v in views):
        return None
    # Side by side, stopping at the first that is not straight or too thick: a pen digit on the
    # canvas passes the quick test but has sides far thicker than a printed line.
    sides, thickest = [], min(MAX_THICKNESS, MAX_THICKNESS_SHARE * min(own.shape))
    for v in views:
        side = _side(v)
        if side is None or side[2] > thickest:
            return None
        sides.append(side)
    thickness = max(s[2] for s in sides)
    # The inside lies within the fitted sides, not the component's box: a digit poking out over a
    # side widens the box, and the side would then look like a line across the inside. (A side
    # fitted in the far half is an open cell's far side: the box's edge is the limit there.)
    (h, w), inset = own.shape, int(np.ceil(thickness)) + 2
    fits = [s[1] if s[1].max() < 0.5 * extent else np.zeros_like(s[1]) for s, extent in zip(sides, (h, h, w, w))]
    top, bottom, left, right = (int(np.ceil(f.max())) + inset for f in fits)
    inside = (slice(top, h - bottom), slice(left, w - right))
    own_inside = own[inside]
    if own_inside.size == 0:
        return None
    if (own_inside.sum(axis=1) >= ACROSS * own_inside.shape[1]).any() or \
            (own_inside.sum(axis=0) >= ACROSS * own_inside.shape[0]).any():
        return None
    bands = [_band(p, f, t, v.shape) & v for v, (p, f, t) in zip(views, sides)]
    # Only within the fitted sides: beyond a side's end, what a view sees first is a digit poking
    # out over the next side, not this side.
    rows, cols, (top_fit, bottom_fit, left_fit, right_fit) = np.arange(h)[:, None], np.arange(w)[None, :], fits
    within = ((rows >= top_fit[None, :] - STRAIGHT) & (rows <= h - 1 - bottom_fit[None, :] + STRAIGHT)
              & (cols >= left_fit[:, None] - STRAIGHT) & (cols <= w - 1 - right_fit[:, None] + STRAIGHT))
    top_bottom, left_right = (bands[0] | bands[1][::-1]) & within, (bands[2].T | bands[3][::-1].T) & within
    return top_bottom, left_right, _holds_something((ink & ~top_bottom & ~left_right)[inside])


def _beside(box, filled: list) -> bool:
    """Whether a filled cell of the same size stands in the row of this (y0, x0, y1, x1) box."""
    y0, x0, y1, x1 = box
    for fy0, fx0, fy1, fx1 in filled:
        same = abs((y1 - y0) - (fy1 - fy0)) <= SAME_SIZE * (fy1 - fy0) and abs((x1 - x0) - (fx1 - fx0)) <= SAME_SIZE * (fx1 - fx0)
        if same and min(y1, fy1) - max(y0, fy0) >= 0.5 * (fy1 - fy0):
            return True
    return False


def box_outlines(ink: np.ndarray, labelled: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The outlines of separate form cells: (horizontal sides, vertical sides), bool masks.
    `labelled`: label(ink), where the caller has it."""
    ink = np.asarray(ink, bool)
    horizontal, vertical = np.zeros(ink.shape, bool), np.zeros(ink.shape, bool)
    labels, count = label(ink) if labelled is None else labelled
    if count == 0:
        return horizontal, vertical
    y0, x0, y1, x1, _ = bounding_boxes(labels, count)
    found, filled = [], []
    for n in np.flatnonzero((y1 - y0 >= MIN_SIDE) & (x1 - x0 >= MIN_SIDE)):
        window = (slice(y0[n], y1[n]), slice(x0[n], x1[n]))
        outline = _cell_outline(labels[window] == n, ink[window])
        if outline is not None:
            box = (y0[n], x0[n], y1[n], x1[n])
            found.append((window, box, outline))
            if outline[2]:
                filled.append(box)
    for window, box, (top_bottom, left_right, holds) in found:
        if holds or _beside(box, filled):
            horizontal[window] |= top_bottom
            vertical[window] |= left_right
    return horizontal, vertical
