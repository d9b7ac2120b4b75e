"""Find printed lines (ruled paper, squared grids, form boxes, comb ticks) in an ink mask.

Pure numpy. `find_lines(ink)` takes the working-resolution ink mask of core/segmentation/marks.py and
returns the pixels that belong to printed lines, so that segmentation can drop them before it
labels marks: a ruled line or a box border would otherwise join all digits into one mark.

Why this works, step by step:
1. The digit height is estimated first (`typical_height`), with the obvious lines (runs over a
   quarter of the image) left out, because every other length is relative to it.
2. A horizontal line is ink that stays within a band of a few rows for LINE_LENGTH digit
   heights; no stroke of a digit does. The mask is dilated by BAND rows before the runs are
   measured, so that lines tilted by up to ~2 degrees and lines broken into steps still count.
   Vertical lines are the same on the transposed mask.
3. Box sides and comb ticks are short, like a '1'. They count only if they are straight,
   touch a horizontal line at one end, and come in a regular row (or touch lines at both ends,
   like the sides of a box); a handwritten '1' is none of these. A row may skip a tick that a
   digit hides (the next is a whole number of spacings on), and a tick that a digit touches,
   judged alone, joins the row when it stands in step with it and is as long as its ticks.
4. Which pixels of a candidate line are line: per column, the rows around the line's centre,
   which is measured where the line is alone (no ink touches it from above or below) and
   interpolated where digits touch it. So a digit resting on a line keeps its foot.
5. Where a digit stroke crosses a line (ink directly above and below the line), the line
   pixels are given back to the digit, so it does not fall in two.
"""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.segmentation.boxes import box_outlines
from hwr_desktop.core.segmentation.components import bounding_boxes, label

LINE_LENGTH = 2.5       # horizontal runs at least this many digit heights long are lines
OBVIOUS_SHARE = 0.9     # for estimating the digit height: runs across this share of the image are lines
MIN_HEIGHT = 8          # working pixels: smaller digits' strokes cannot be told from lines
BAND = 0.045            # tolerance for tilt, in digit heights (2 degrees over LINE_LENGTH)
MAX_THICKNESS = 6       # working pixels: printed lines are thin, a marker dash is not
MIN_ALONE = 0.3         # share of a line's columns where it must be seen alone (not a thick blob)
TICK_LENGTH = 0.25      # short vertical lines (box sides, comb ticks) at least this long ...
TICK_STRAIGHT = 1.5     # ... whose centre wanders at most this many pixels from a straight line
TICK_SLOPE = 0.06       # ... leaning at most ~3.5 degrees
SPACING_TOLERANCE = 0.08  # ticks in a row are evenly spaced within this share of the spacing
TICK_ALIKE = 0.2        # a tick touching a digit is within this share of its row's length
FULL_SIDE = 0.8         # a box side with digits beside it counts if this many digit heights tall
CROSSING_REACH = 2      # digit ink within this many pixels on both sides of a line crosses it


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """OR over rows y - radius .. y + radius (a vertical band of tolerance)."""
    out = mask.copy()
    for k in range(1, radius + 1):
        out[k:] |= mask[:-k]
        out[:-k] |= mask[k:]
    return out


def _spread_labels(labels: np.ndarray, radius: int) -> np.ndarray:
    """Labels dilated vertically by `radius` rows (where two meet, the larger wins)."""
    out = labels.copy()
    for k in range(1, radius + 1):
        np.maximum(out[k:], labels[:-k], out=out[k:])
        np.maximum(out[:-k], labels[k:], out=out[:-k])
    return out


def _runs(mask: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True along each row (only `rows`, when given): (row, start, end exclusive)."""
    if rows is None:
        rows = np.flatnonzero(mask.any(axis=1))   # most rows of a page are empty: skip them
    padded = np.zeros((len(rows), mask.shape[1] + 2), bool)
    padded[:, 1:-1] = mask[rows]
    # flatnonzero of a bool array is several times faster than np.nonzero of a 2-D one.
    change = np.flatnonzero(padded[:, 1:] != padded[:, :-1])
    where, at = np.divmod(change, mask.shape[1] + 1)
    # Starts and ends alternate along a row, and every row has as many of each.
    return rows[where[0::2]], at[0::2], at[1::2]


def _fill(shape: tuple[int, int], rows: np.ndarray, starts: np.ndarray, ends: np.ndarray,
          along_columns: bool = False) -> np.ndarray:
    """The mask of the given runs: along rows (row, start, end), or along columns (column, top,
    bottom) when `along_columns`. Only the painted pixels are touched: runs are few and short."""
    out = np.zeros(shape, bool)
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return out
    offset = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    at = np.repeat(starts, lengths) + offset
    line = np.repeat(rows, lengths)
    out.ravel()[at * shape[1] + line if along_columns else line * shape[1] + at] = True
    return out


def long_runs(mask: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row runs at least `length` long (only rows with that much ink can hold one)."""
    rows, starts, ends = _runs(mask, np.flatnonzero(np.count_nonzero(mask, axis=1) >= length))
    keep = ends - starts >= length
    return rows[keep], starts[keep], ends[keep]


def _obvious(ink: np.ndarray) -> np.ndarray:
    """Ink near row runs across OBVIOUS_SHARE of the image (surely lines)."""
    rows, starts, ends = long_runs(_dilate(ink, 1), OBVIOUS_SHARE * ink.shape[1])
    if not len(rows):
        return np.zeros(ink.shape, bool)
    return ink & _dilate(_fill(ink.shape, rows, starts, ends), 1)


def typical_height(ink: np.ndarray, ink_t: np.ndarray | None = None,
                   labelled: tuple[np.ndarray, int] | None = None) -> float:
    """The digits' height: the median height of the components with substantial ink, once the
    runs across the whole image (surely lines, which join digits) are left out. Not less: that
    would cut digits apart (a '7' in a tight crop) and make them look small.
    `ink_t` is a C-contiguous copy of ink.T, and `labelled` label(ink), when the caller has them."""
    ink_t = np.ascontiguousarray(ink.T) if ink_t is None else ink_t
    across, down = _obvious(ink), _obvious(ink_t)
    if across.any() or down.any():
        ink = ink & ~restore_crossings(ink, across, down.T)   # digits stay whole
        labelled = None                                        # other ink: labelled again
    labels, count = label(ink) if labelled is None else labelled
    if count == 0:
        return 0.0
    y0, _, y1, _, area = bounding_boxes(labels, count)
    big = area[1:] >= 0.15 * area[1:].max()
    return float(np.median((y1 - y0)[1:][big]))


def _centred_lines(ink: np.ndarray, bands: np.ndarray, count: int, radius: int) -> np.ndarray:
    """The pixels of horizontal lines, given candidate bands (labelled 1..count).

    Per column, a line's rows are those within half its thickness (+1 for anti-aliasing and
    tilt) of its centre; centre and thickness are measured in the columns where the line is
    seen alone (no ink touches it from above or below) and interpolated in between.
    """
    h, w = ink.shape
    rows = np.flatnonzero(bands.any(axis=1))
    y0, y1 = max(rows[0] - radius, 0), min(rows[-1] + radius + 1, h)   # all work inside these rows
    ids = _spread_labels(bands[y0:y1], radius) * ink[y0:y1]
    # Vertical runs of candidate pixels: work on the transpose, whose rows are our columns.
    cols, tops, bottoms = _runs(np.ascontiguousarray((ids > 0).T))
    if not len(cols):
        return np.zeros_like(ink)
    which = ids[tops, cols]
    tops, bottoms = tops + y0, bottoms + y0
    touched_above = (tops > 0) & ink[np.maximum(tops - 1, 0), cols]
    touched_below = (bottoms < h) & ink[np.minimum(bottoms, h - 1), cols]
    thickness = bottoms - tops
    alone = ~touched_above & ~touched_below & (thickness <= MAX_THICKNESS)
    # Group the runs by line, then by column, then top to bottom: each line is one slice.
    order = np.lexsort((tops, cols, which))
    cols, tops, bottoms, which, alone = cols[order], tops[order], bottoms[order], which[order], alone[order]
    thickness = thickness[order]
    bounds = np.searchsorted(which, np.arange(1, count + 2))
    keep_top, keep_bottom = np.zeros_like(tops), np.zeros_like(bottoms)
    for line in range(1, count + 1):
        part = slice(bounds[line - 1], bounds[line])
        c, seen = cols[part], alone[part]
        if not seen.any():
            continue
        spanned = np.count_nonzero(np.diff(c)) + 1
        x, first = np.unique(c[seen], return_index=True)   # one centre per column: the topmost
        if x.size < MIN_ALONE * spanned:
            continue   # too thick, or never seen alone: a blob or a marker stroke, not a line
        t, b = tops[part][seen][first], bottoms[part][seen][first]
        half = np.median(thickness[part][seen]) / 2 + 0.5
        at = np.interp(c, x, (t + b - 1) / 2)
        # The rows within `half` of the centre, clipped to each run of this line.
        keep_top[part] = np.maximum(tops[part], np.ceil(at - half))
        keep_bottom[part] = np.minimum(bottoms[part], np.floor(at + half) + 1)
    keep_bottom = np.maximum(keep_bottom, keep_top)
    return _fill((h, w), cols, keep_top, keep_bottom, along_columns=True)


def horizontal_lines(ink: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Horizontal line pixels, and the candidate bands (labelled) they came from."""
    radius = max(1, int(np.ceil(BAND * height)))
    rows, starts, ends = long_runs(_dilate(ink, radius), max(LINE_LENGTH * height, 12))
    if not len(rows):   # the common case of plain paper: no labelling, no centring
        return np.zeros(ink.shape, bool), np.zeros(ink.shape, np.int32), 0
    bands, count = label(_fill(ink.shape, rows, starts, ends))
    return _centred_lines(ink, bands, count, radius), bands, count


def _spacing(xs: np.ndarray) -> float:
    """The spacing most pairs of these x positions share (0: fewer than two)."""
    if len(xs) < 2:
        return 0.0
    candidates = np.sort(np.abs(xs[:, None] - xs[None, :])[np.triu_indices(len(xs), 1)].astype(float))
    support = (np.searchsorted(candidates, candidates * (1 + SPACING_TOLERANCE), side="right")
               - np.searchsorted(candidates, candidates * (1 - SPACING_TOLERANCE), side="left"))
    return float(candidates[int(np.argmax(support))])


def _in_step(xs: np.ndarray, others: np.ndarray, spacing: float) -> np.ndarray:
    """Which xs stand a whole number of spacings (one or more) from one of `others`."""
    if spacing <= 0 or not len(others):
        return np.zeros(len(xs), bool)
    gaps = np.abs(xs[:, None] - others[None, :]).astype(float)
    steps = np.maximum(np.round(gaps / spacing), 1)
    return ((np.abs(gaps - steps * spacing) <= SPACING_TOLERANCE * spacing) & (gaps > 0)).any(axis=1)


def _regular(xs: np.ndarray) -> np.ndarray:
    """Which of these x positions belong to an evenly spaced row: a neighbour a whole number of
    spacings away (a tick hidden by a digit leaves a gap of two), the spacing being the one most
    pairs share."""
    return _in_step(xs, xs, _spacing(xs))


def _ticks(ink_t: np.ndarray, horizontal: np.ndarray, vertical_t: np.ndarray, height: float) -> np.ndarray:
    """Box sides and comb ticks: short, straight vertical lines standing on a horizontal line,
    evenly spaced along it or touching lines at both ends. Labelled bands, transposed (as are
    `ink_t` and `vertical_t`: the image's columns are their rows)."""
    radius = max(1, int(np.ceil(BAND * height)))
    rest_t = ink_t & ~np.ascontiguousarray(horizontal.T) & ~vertical_t
    rows, starts, ends = long_runs(_dilate(rest_t, radius), max(TICK_LENGTH * height, 4))
    if not len(rows):
        return np.zeros(ink_t.shape, np.int32)
    bands, count = label(_fill(ink_t.shape, rows, starts, ends))
    keep = np.zeros(count + 1, bool)
    y0, x0, y1, x1, _ = bounding_boxes(bands, count)   # transposed: y is the image's x
    reach = 2 + radius
    ends, strips = [], np.zeros((count + 1, 2), int)
    for n in range(1, count + 1):
        own = (rest_t[y0[n]:y1[n], x0[n]:x1[n]] & (bands[y0[n]:y1[n], x0[n]:x1[n]] == n)).T
        a, b = 0, own.shape[1]
        attached, cx = _tick_ends(own, horizontal, x0[n], y0[n], height, reach)
        if not attached:
            # A digit stroke beside a box side joins its band: judge the side alone, the strip
            # of columns around the one inked in the most rows. Only full sides (both ends on a
            # line, about as tall as the digits) count on their own: a stroke between grid lines
            # is shorter. Others (a comb's tick touching a digit) may follow a row of sure ticks.
            a, b = _strip(own.sum(axis=0))
            attached, cx = _tick_ends(own[:, a:b], horizontal, x0[n], y0[n] + a, height, reach)
            if attached < 2 or np.count_nonzero(own[:, a:b].any(axis=1)) < FULL_SIDE * height:
                attached = -attached
        strips[n] = y0[n] + a - radius, y0[n] + b + radius
        ends.append((attached, cx, np.count_nonzero(own[:, a:b].any(axis=1))))
    attached, xs, length = (np.array(e, float) for e in zip(*ends))
    candidates = np.flatnonzero(attached > 0)
    regular = _regular(xs[candidates])
    for k, n in enumerate(candidates):
        keep[n + 1] = regular[k] or attached[n] == 2
    # A comb's tick that a digit touches, judged alone, is one end on a line: it is kept where it
    # continues the row of sure ticks, as long as they are (a digit's straight stroke is not).
    sure, followers = candidates[regular], np.flatnonzero(attached < 0)
    if len(sure) >= 2 and len(followers):
        typical = np.median(length[sure])
        alike = np.abs(length[followers] - typical) <= TICK_ALIKE * typical
        fits = _in_step(xs[followers], xs[sure], _spacing(xs[sure])) & alike
        keep[followers[fits] + 1] = True
    if not keep.any():
        return np.zeros(ink_t.shape, np.int32)
    renumber = np.cumsum(keep) * keep   # the kept bands, numbered 1.. in order; the rest 0
    ticks = renumber[bands]
    for n in np.flatnonzero(keep):   # only the side's strip of each band, not the digits beside it
        ticks[y0[n]:strips[n, 0]][ticks[y0[n]:strips[n, 0]] == renumber[n]] = 0
        ticks[strips[n, 1]:y1[n]][ticks[strips[n, 1]:y1[n]] == renumber[n]] = 0
    return ticks


def _tick_ends(own: np.ndarray, horizontal: np.ndarray, top0: int, left0: int, height: float,
               reach: int) -> tuple[int, int]:
    """How many ends (0-2) of this candidate tick (its pixels `own`, image orientation, placed
    at row top0, column left0) touch a horizontal line, and its column; 0 unless it is long
    and straight."""
    rows = np.flatnonzero(own.any(axis=1))
    if rows.size < TICK_LENGTH * height:
        return 0, 0
    counts = own[rows].sum(axis=1)
    centre = (own[rows] * np.arange(own.shape[1])).sum(axis=1) / counts
    slope, offset = np.polyfit(rows, centre, 1)
    # How far it wanders is judged away from the ends: where a box's side meets its top and bottom
    # lines, the corner's own ink (rounded, or the line's anti-aliased end) bends its last rows.
    middle = (rows >= rows[0] + reach) & (rows <= rows[-1] - reach)
    wander = np.abs(centre - (slope * rows + offset))[middle if middle.sum() >= 4 else slice(None)].max()
    if wander > TICK_STRAIGHT or abs(slope) > TICK_SLOPE:
        return 0, 0
    top, bottom, cx = top0 + rows[0], top0 + rows[-1], left0 + int(round(np.median(centre)))
    span = slice(max(cx - 1, 0), cx + 2)
    on_top = horizontal[max(top - reach, 0):top + 1, span].any()
    on_bottom = horizontal[bottom:bottom + reach + 1, span].any()
    return int(on_top) + int(on_bottom), cx


def _strip(counts: np.ndarray) -> tuple[int, int]:
    """The columns around the fullest one that hold at least half as many pixels."""
    a = b = int(np.argmax(counts))
    while a > 0 and counts[a - 1] >= 0.5 * counts[b]:
        a -= 1
    end = b + 1
    while end < len(counts) and counts[end] >= 0.5 * counts[b]:
        end += 1
    return a, end


def find_lines(ink: np.ndarray, height: float | None = None,
               labelled: tuple[np.ndarray, int] | None = None) -> np.ndarray:
    """Bool mask of the printed-line pixels of a working-resolution ink mask (True = line).

    `height` is the digits' height in pixels when known; else it is estimated. `labelled`:
    label(ink), where the caller has it (find_marks: it labels the same ink when no line is found).
    """
    ink = np.ascontiguousarray(ink, bool)
    if not ink.any():
        return np.zeros(ink.shape, bool)
    # Vertical lines are horizontal lines of the transpose; a contiguous copy keeps that fast.
    ink_t = np.ascontiguousarray(ink.T)
    # Separate cells, one per digit: too short for lines, found whole (boxes.py). Their outlines
    # would make the digits look as tall as the cells.
    box_h, box_v = box_outlines(ink, labelled)
    if height is None:
        outlines = box_h | box_v
        height = typical_height(ink & ~outlines, np.ascontiguousarray((ink & ~outlines).T)) if outlines.any() \
            else typical_height(ink, ink_t, labelled)
    if height < MIN_HEIGHT:
        return restore_crossings(ink, box_h, box_v)
    horizontal, _, _ = horizontal_lines(ink, height)
    vertical_t, _, _ = horizontal_lines(ink_t, height)
    horizontal |= box_h
    vertical_t |= np.ascontiguousarray(box_v.T)
    if horizontal.any():
        ticks = _ticks(ink_t, horizontal, vertical_t, height)
        if ticks.any():
            radius = max(1, int(np.ceil(BAND * height)))
            vertical_t |= _centred_lines(ink_t, ticks, int(ticks.max()), radius)
    return restore_crossings(ink, horizontal, vertical_t.T)


def restore_crossings(ink: np.ndarray, horizontal: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """The line mask without the pixels where a digit stroke crosses a line: a line's pixels in
    a column (row, for vertical lines) go back to the ink when other ink lies within
    CROSSING_REACH pixels on both sides of them."""
    lines = horizontal | vertical
    if not lines.any():
        return lines
    other = ink & ~lines
    out = lines.copy()
    for mask, free in ((horizontal, other), (vertical.T, other.T)):
        # Runs along the image's columns (rows, for vertical lines): rows of a contiguous transpose.
        cols, tops, bottoms = _runs(np.ascontiguousarray(mask.T))
        n = free.shape[0]
        above = np.zeros(len(cols), bool)
        below = np.zeros(len(cols), bool)
        # Rows past the image's edge are clipped to the edge row: that row was either looked at for a
        # smaller k already or is the line's own (never free), so clipping needs no bounds test.
        for k in range(1, CROSSING_REACH + 1):
            above |= free[np.maximum(tops - k, 0), cols]
            below |= free[np.minimum(bottoms + k - 1, n - 1), cols]
        both = above & below
        if mask is horizontal:
            out &= ~_fill(out.shape, cols[both], tops[both], bottoms[both], along_columns=True)
        else:
            out &= ~_fill(out.shape, cols[both], tops[both], bottoms[both])
    return out
