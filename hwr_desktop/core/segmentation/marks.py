"""Find the marks in a photo or scan of a line of digits and cut them into single-digit crops.

Pure numpy (and Pillow for resizing). The steps, each for a reason:
1. Grayscale and paper model from core/data/preprocess (`to_gray`, `estimate_paper`): uneven light,
   either polarity, noise level. A photo of a page with the desk around it has the desk painted
   the page's grey first (`paint_over_desk`): the paper model takes the border for paper. Shade
   the smooth surface cannot follow (a shadow band) is added as a coarse grid (`with_shading`). Large
   images are box-downscaled to at most WORK_SIDE pixels for this and for labelling (speed); crops
   are always cut from the full-resolution image.
2. Hysteresis threshold on the lightly smoothed ink: pixels above a low threshold form marks,
   but only marks that reach a high threshold somewhere count, so faint anti-aliased joins keep
   strokes connected while noise and paper texture do not start marks of their own.
3. Printed lines (ruled paper, grids, form boxes, comb ticks) are taken out of the ink mask
   (core/segmentation/printed_lines.py): they would join the digits into one mark or become marks themselves.
   Where a stroke crosses a line, the crossing stays ink.
4. 8-connected components (core/segmentation/components.py); strays of the scene along the image's
   edge (a sliver of desk, the page's shaded edge) are dropped when marks inside show the digits' size.
5. Broken strokes (a '5' whose bar was lifted, a '4' in two strokes) are merged: pieces that
   overlap strongly in x-range, or lie one above the other, and are vertically close form one mark.
6. Specks (small relative to the typical mark of the line) are dropped; other short fragments
   (a bar lifted off a '5' and placed beside it) join the nearest full-height mark.
7. Touching neighbours are cut apart by core/segmentation/cuts.py, here (`segment`) only when a mark is too
   wide for one digit; core/reading/digit_reader.py tries several cuts and lets the model decide.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from hwr_desktop.core.data.preprocess import MIN_CONTRAST, Paper, border_ring, estimate_paper, to_gray, with_shading
from hwr_desktop.core.segmentation.components import box_mean, label
from hwr_desktop.core.segmentation.cuts import cut_paths, cut_piece
from hwr_desktop.core.segmentation.pieces import Piece, line_height, substantial, union
from hwr_desktop.core.segmentation.printed_lines import find_lines

WORK_SIDE = 1200        # longest side used for finding marks; crops still come from full resolution
# A mark must reach this share of the image's strongest ink somewhere. A digit written much lighter
# than the others is lost (a 7 at 44 % of the peak, 2026-12-05); 0.35 and 0.25 were tried on 100
# validation numbers per condition: fewer lost light digits, more noise read in photos, no gain overall.
HIGH_SHARE = 0.5
# Where printed lines were found (forms, ruled paper), against the strongest ink that is not line:
# a form's digits vary in pressure and the noise that 0.5 keeps out of photos is mostly gone with
# the lines. 0.4 and 0.35 read 6 and 7 more of 600 validation numbers (boxes, ruled, photo; writer
# renderer), 0.4 losing none of the photos (2026-12-07).
HIGH_SHARE_LINES = 0.4
MIN_MARK_PX = 6         # marks whose longer side is below this many original pixels are dust
MERGE_OVERLAP = 0.5     # pieces sharing this much of the narrower one's x-range may be one digit
MERGE_GAP = 0.25        # ... if the vertical gap is below this share of the line's digit height
MERGE_REACH = 0.1       # ... and they come this close somewhere (a '1' under a 7's bar does not)
FRAGMENT_HEIGHT = 0.6   # marks shorter than this share of the line height are parts of a digit
FRAGMENT_REACH = 0.3    # ... and join the nearest mark at most this far away (line heights)
SPECK_SIZE = 0.3        # marks smaller than this share of the line's digit height are specks
SPECK_AREA = 0.04       # ... or with less ink than this share of a typical mark's area
SPLIT_WIDTH = 1.3       # `segment` cuts marks wider than this many line heights (no model at hand)
DESK_CONTRAST = 0.15   # a border this much darker (or lighter) than the image's middle may be a desk
DESK_BORDER = 0.5      # ... when it runs along at least this share of the border
DESK_PAGE = 0.5        # ... and the page inside it covers at least this share of the photo
DESK_BETWEEN = 0.05    # ... and at most this share of the image is half-way between desk and page
DESK_MARGIN = 0.02     # ... grown by this share of the image's side (the page's edge is shaded)
# A digit written lighter than its neighbours (a pale pen beside a blot, a pencil digit pressed less)
# falls below HIGH_SHARE of the strongest ink and was lost: `330` read for 37308, the 7 and 8 at 47 %
# and 49 % of a blot on the 0. It is kept when it reaches PEER_SHARE of the median peak of the
# digit-sized marks (PEER_SIZE of the tallest) that reached the bar, and lies in their row: its
# centre between their top and bottom, at most a row's height beyond the first or last. Stray
# texture elsewhere in a photo stays out: without the row, photos read 136 -> 135 of 200 (three
# more confidently wrong). With it, on validation numbers (writer renderer, 200 a condition,
# 2026-12-07): spaced 158 -> 162, touching 40 -> 40, boxes 136 -> 138, ruled 164 -> 169, photo
# 136 -> 138; all 634 -> 647 of 1,000, confidently wrong 45 -> 38. The training renderer's 1,000:
# 886 -> 886 (one '??' became a wrong '1').
PEER_SIZE = 0.5
PEER_SHARE = 0.4
MAX_MARKS = 400         # beyond this the "image" is noise or text: keep the largest marks only
# A mark touching the image's edge is a stray of the scene (a sliver of desk, the page's shaded edge)
# rather than a digit when marks inside the image show the digits' height and it is far longer than
# that (EDGE_LONG heights), or longer than a digit (EDGE_THIN_LONG) and thin (below EDGE_THIN), or
# it lies above or below the inside marks' rows by more than EDGE_AWAY heights.
EDGE_LONG = 2.5
EDGE_THIN_LONG = 1.5
EDGE_THIN = 0.4
EDGE_AWAY = 0.5


@dataclass(frozen=True)
class MarkCrop:
    """One mark (a Piece) cut out of the full-resolution image for recognition: light-on-black ink
    of this mark only, ready for preprocess()."""
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 (exclusive) in original image pixels
    crop: np.ndarray                 # float32 ink (0 = paper), padded with paper on every side
    origin: tuple[int, int]          # (x, y) of crop[0, 0] in the image (negative inside the padding)


def _pieces(labels: np.ndarray, count: int, strength: np.ndarray, high: float, min_side: float,
            floor: float = 0.0) -> list[Piece]:
    """Components reaching the high threshold and not dust, as Pieces; and lighter ones in the row of
    those (see PEER_SHARE), down to `floor`."""
    flat = labels.ravel()
    on = flat > 0
    ids = flat[on]
    peak = np.zeros(count + 1, np.float32)
    np.maximum.at(peak, ids, strength.ravel()[on])
    yy, xx = np.divmod(np.flatnonzero(on), labels.shape[1])
    big = np.iinfo(np.int64).max
    y0, x0 = np.full(count + 1, big), np.full(count + 1, big)
    y1, x1 = np.full(count + 1, -1), np.full(count + 1, -1)
    np.minimum.at(y0, ids, yy), np.minimum.at(x0, ids, xx)
    np.maximum.at(y1, ids, yy + 1), np.maximum.at(x1, ids, xx + 1)
    area = np.bincount(ids, minlength=count + 1)
    side = np.maximum(y1 - y0, x1 - x0)
    keep = [i for i in range(1, count + 1)
            if peak[i] >= high and side[i] >= min_side]
    if keep:
        strong = np.asarray(keep)
        strong = strong[side[strong] >= PEER_SIZE * side[strong].max()]
        light = max(PEER_SHARE * float(np.median(peak[strong])), floor)
        top, bottom = y0[strong].min(), y1[strong].max()
        reach = bottom - top
        left, right = x0[strong].min() - reach, x1[strong].max() + reach
        centre = (y0 + y1) / 2
        keep += [i for i in range(1, count + 1)
                 if light <= peak[i] < high and side[i] >= min_side and top <= centre[i] <= bottom
                 and x1[i] >= left and x0[i] <= right]
    keep = sorted(keep, key=lambda i: -area[i])[:MAX_MARKS]
    return [Piece(int(y0[i]), int(x0[i]), labels[y0[i]:y1[i], x0[i]:x1[i]] == i) for i in keep]


def _near(a: Piece, b: Piece, reach: int) -> bool:
    """Does some pixel of `a` come within `reach` pixels (chessboard distance) of `b`?"""
    both = union(Piece(a.y0, a.x0, np.zeros_like(a.mask)), b)   # b's pixels in a box around both
    grown = np.zeros(both.mask.shape, np.float32)
    grown[a.y0 - both.y0:a.y1 - both.y0, a.x0 - both.x0:a.x1 - both.x0] = a.mask
    return bool((box_mean(grown, reach) > 0)[both.mask].any())


def _should_merge(a: Piece, b: Piece, height: float) -> bool:
    """Parts of one digit: sharing much of their x-range, or one above the other (digits in a
    line sit side by side, never on top of each other), and close to each other."""
    height = max(height, a.height, b.height)   # a digit in pieces makes the line look lower
    x_overlap = min(a.x1, b.x1) - max(a.x0, b.x0)      # negative: a horizontal gap
    y_gap = max(a.y0, b.y0) - min(a.y1, b.y1)          # negative: their rows overlap
    if y_gap > MERGE_GAP * height or max(a.y1, b.y1) - min(a.y0, b.y0) > 2.5 * height:
        return False
    stacked = -y_gap <= 0.25 * min(a.height, b.height) and x_overlap >= -0.1 * height
    if not (stacked or x_overlap >= MERGE_OVERLAP * min(a.width, b.width)):
        return False
    return _near(a, b, max(1, int(round(MERGE_REACH * height))))


def merge_broken(pieces: list[Piece]) -> list[Piece]:
    """Join the parts of digits drawn in several strokes, largest parts first."""
    pieces = sorted(pieces, key=lambda p: -p.area)
    merged = True
    while merged:
        merged = False
        height = line_height(pieces)   # parts of one digit make it look smaller than it is
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces)):
                if _should_merge(pieces[i], pieces[j], height):
                    pieces[i] = union(pieces[i], pieces.pop(j))
                    merged = True
                    break
            if merged:
                break
    return pieces


def _distance(a: Piece, b: Piece) -> float:
    dx = max(0, max(a.x0, b.x0) - min(a.x1, b.x1))
    dy = max(0, max(a.y0, b.y0) - min(a.y1, b.y1))
    return float(np.hypot(dx, dy))


def merge_fragments(pieces: list[Piece]) -> list[Piece]:
    """Give each short fragment (a lifted bar of a '5', a broken stroke) to its nearest full mark.

    Fragments are marks less than FRAGMENT_HEIGHT line heights tall; they join the nearest mark
    within FRAGMENT_REACH line heights. If the join was wrong, the reader can still cut it off.
    """
    height = line_height(pieces)
    full = [p for p in pieces if p.height >= FRAGMENT_HEIGHT * height]
    fragments = sorted((p for p in pieces if p.height < FRAGMENT_HEIGHT * height), key=lambda p: -p.area)
    for fragment in fragments:
        near = [(d, i) for i, p in enumerate(full) if (d := _distance(fragment, p)) <= FRAGMENT_REACH * height
                and max(p.y1, fragment.y1) - min(p.y0, fragment.y0) <= 1.6 * max(height, p.height)]
        if near:
            i = min(near)[1]
            full[i] = union(full[i], fragment)
        else:
            full.append(fragment)
    return full


def drop_specks(pieces: list[Piece]) -> list[Piece]:
    """Marks much smaller than the line's digits: dust, paper texture, JPEG blocks."""
    height = line_height(pieces)
    if not pieces:
        return []
    typical_area = float(np.median([p.area for p in pieces if p.height >= 0.5 * height]))
    return [p for p in pieces if max(p.height, p.width) >= SPECK_SIZE * height and p.area >= SPECK_AREA * typical_area]


@dataclass
class Marks:
    """Everything found on one image: the full-resolution gray, the paper, and the marks."""
    gray: np.ndarray          # (H, W) float32, original resolution
    paper: Paper
    work_shape: tuple[int, int]
    pieces: list[Piece]       # left to right, in working coordinates
    height: float             # the line's digit height, working pixels
    lines: np.ndarray | None = None   # bool, working resolution: True = removed as a printed line;
                                      # None: no lines found

    def image_box(self, piece: Piece) -> tuple[int, int, int, int]:
        """x0, y0, x1, y1 (exclusive) of a piece's box in image pixels."""
        (h, w), (wh, ww) = self.gray.shape, self.work_shape
        fy, fx = h / wh, w / ww
        return (max(0, int(np.floor(piece.x0 * fx))), max(0, int(np.floor(piece.y0 * fy))),
                min(w, int(np.ceil(piece.x1 * fx))), min(h, int(np.ceil(piece.y1 * fy))))

    def cut_out(self, piece: Piece) -> MarkCrop:
        """Cut `piece` out of the full-resolution image, masked so that neighbours cannot leak in."""
        (h, w), (wh, ww) = self.gray.shape, self.work_shape
        fy, fx = h / wh, w / ww
        # One working pixel of slack around the mask keeps the anti-aliased edges of the strokes.
        mask = np.pad(piece.mask, 1)
        grown = box_mean(mask.astype(np.float32), 1) > 0
        gy0, gx0 = piece.y0 - 1, piece.x0 - 1
        if self.lines is not None:
            # A printed line through the box must not leak in, nor its faint edge in the slack.
            near_line = _near_lines(self.lines, gy0, gx0, grown.shape)
            grown &= mask | ~near_line
        y0, x0 = max(0, int(np.floor(gy0 * fy))), max(0, int(np.floor(gx0 * fx)))
        y1 = min(h, int(np.ceil((gy0 + grown.shape[0]) * fy)))
        x1 = min(w, int(np.ceil((gx0 + grown.shape[1]) * fx)))
        rows = np.clip(((np.arange(y0, y1) + 0.5) / fy).astype(int) - gy0, 0, grown.shape[0] - 1)
        cols = np.clip(((np.arange(x0, x1) + 0.5) / fx).astype(int) - gx0, 0, grown.shape[1] - 1)
        ink = self.paper.ink(self.gray[y0:y1, x0:x1], (h, w), (x0, y0)) * grown[np.ix_(rows, cols)]
        pad = max(2, (y1 - y0) // 8)
        crop = np.pad(ink, pad)
        box = (x0, y0, x1, y1)
        return MarkCrop(box, crop, (x0 - pad, y0 - pad))


def _near_lines(lines: np.ndarray, y0: int, x0: int, shape: tuple[int, int]) -> np.ndarray:
    """Line pixels grown by one working pixel, in the window at (y0, x0) of the given shape
    (which may stick out of the image by a pixel)."""
    window = np.zeros(shape, np.float32)
    ys, xs = slice(max(y0, 0), y0 + shape[0]), slice(max(x0, 0), x0 + shape[1])
    part = lines[ys, xs]
    window[ys.start - y0:ys.start - y0 + part.shape[0], xs.start - x0:xs.start - x0 + part.shape[1]] = part
    return box_mean(window, 1) > 0


def paint_over_desk(work: np.ndarray) -> tuple[np.ndarray, bool]:
    """A photo of a page with the desk around it, the desk painted the page's grey; any other image
    as it is. The paper model takes the image's border for paper: a dark desk there would make the
    page the "ink" and its digits vanish. The desk is what is nearer the border's grey than the
    page's (the middle's median), joined to the border, and grown by DESK_MARGIN over the page's
    shaded edge; only where border and page differ by DESK_CONTRAST, it covers most of the border and
    the page most of the photo.
    Also whether there was a desk."""
    h, w = work.shape
    if min(h, w) < 16:
        return work, False
    desk_grey = float(np.median(border_ring(work)))
    page_grey = float(np.median(work[h // 4:h - h // 4, w // 4:w - w // 4]))
    if abs(page_grey - desk_grey) < DESK_CONTRAST:
        return work, False
    smooth = box_mean(work, 2)
    # A desk meets the page at an edge: few pixels lie half-way between the two greys. Uneven light
    # (a lens darkening the corners) falls off gently and has many.
    if (np.abs(smooth - (desk_grey + page_grey) / 2) < abs(page_grey - desk_grey) / 4).mean() > DESK_BETWEEN:
        return work, False
    labels, _ = label(np.abs(smooth - desk_grey) < np.abs(smooth - page_grey))
    ring = border_ring(labels)
    touching = np.unique(ring[ring > 0])
    desk = np.isin(labels, touching)
    if border_ring(desk).mean() < DESK_BORDER or desk.mean() > 1 - DESK_PAGE:
        return work, False        # no desk along the border, or no page inside it (a big dark blob)
    desk = box_mean(desk.astype(np.float32), max(1, int(round(DESK_MARGIN * max(h, w))))) > 0
    return np.where(desk, np.float32(page_grey), work).astype(work.dtype), True


def _on_border(ink: np.ndarray) -> np.ndarray:
    """The ink marks that touch the image's edge."""
    labels, _ = label(ink)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return np.isin(labels, np.unique(edge[edge > 0]))


def drop_edge_strays(pieces: list[Piece], shape: tuple[int, int]) -> list[Piece]:
    """The marks without the scene's strays along the image's edge (see EDGE_LONG). A close crop,
    whose digits all touch the edge, keeps them all: there is no mark inside to compare with."""
    h, w = shape

    def on_edge(p: Piece) -> bool:
        return p.y0 == 0 or p.x0 == 0 or p.y1 >= h or p.x1 >= w
    inside = [p for p in pieces if not on_edge(p)]
    height = line_height(inside)
    if height <= 0:
        return pieces
    rows = substantial(inside)                 # the digits' rows, not a speck's
    top = min(p.y0 for p in rows) - EDGE_AWAY * height
    bottom = max(p.y1 for p in rows) + EDGE_AWAY * height

    def stray(p: Piece) -> bool:
        long, short = max(p.height, p.width), min(p.height, p.width)
        return (long > EDGE_LONG * height or (long > EDGE_THIN_LONG * height and short < EDGE_THIN * height)
                or p.y1 < top or p.y0 > bottom)
    return [p for p in pieces if not (on_edge(p) and stray(p))]


def find_marks(image: np.ndarray, paper: Paper | None = None) -> Marks:
    """Paper model, thresholds and the merged, speck-free marks of an image, left to right.
    `paper`: the paper when the caller knows it (a drawing's, `blank_paper()`); None: estimated,
    with a desk painted over and shading, as a photo or scan needs."""
    gray = to_gray(image)
    h, w = gray.shape
    scale = min(1.0, WORK_SIDE / max(h, w))
    work = gray
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        work = np.asarray(Image.fromarray(gray, mode="F").resize(size, Image.Resampling.BOX))
    desk = False
    if paper is None:
        work, desk = paint_over_desk(work)
        paper = with_shading(work, estimate_paper(work))
    difference = work - paper.background(work.shape)
    smooth = box_mean(-difference if paper.dark_ink else difference, 1)
    noise = paper.noise / 3.0   # what is left of white noise after the 3x3 mean
    peak = float(smooth.max())
    empty = Marks(gray, paper, work.shape, [], 0.0)
    if peak < MIN_CONTRAST or peak < 6 * noise:
        return empty
    high, low = max(HIGH_SHARE * peak, 5 * noise), max(0.25 * peak, 3 * noise)
    ink = smooth > low
    if desk:
        ink &= ~_on_border(ink)      # slivers of desk the paint missed: the page's digits lie inside it
    # Labelled once for the search for lines (cells, the digits' height) and, where none is found
    # (a drawing, blank paper), for the marks too: it was labelled three times (~1 ms of a read).
    labelled = label(ink)
    lines = find_lines(ink, labelled=labelled)
    rest = ink & ~lines
    if rest.any() and lines.any():
        # Printed lines are often darker than the pen: a mark's strong core is judged against the
        # strongest ink that is not line, or faint digits in dark form boxes would all vanish.
        high = max(HIGH_SHARE_LINES * float(smooth[rest].max()), 5 * noise)
    labels, count = label(rest) if lines.any() else labelled
    pieces = _pieces(labels, count, smooth, high, max(2.0, MIN_MARK_PX * work.shape[0] / h), 5 * noise)
    pieces = merge_fragments(drop_specks(merge_broken(drop_edge_strays(pieces, work.shape))))
    pieces.sort(key=lambda p: (p.x0 + p.x1) / 2)
    return Marks(gray, paper, work.shape, pieces, line_height(pieces), lines if lines.any() else None)


def segment(image: np.ndarray) -> list[MarkCrop]:
    """The digits of an image cut out, left to right, without a model.

    Marks wider than SPLIT_WIDTH line heights are cut along their cheapest paths (core/segmentation/cuts.py);
    core/reading/digit_reader.py instead tries several cuts and joins and lets the model decide.
    """
    marks = find_marks(image)
    crops = []
    for piece in marks.pieces:
        parts = [piece]
        if piece.width > SPLIT_WIDTH * marks.height:
            wanted = max(1, int(round(piece.width / (0.8 * marks.height))) - 1)
            parts = cut_piece(piece, [path for path, _ in cut_paths(piece, marks.height, wanted)])
        crops += [marks.cut_out(p) for p in parts]
    return crops
