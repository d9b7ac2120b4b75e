"""Separate form cells, one per digit (core/segmentation/boxes.py): too short for printed_lines.py's
lines, found whole. Digits are MNIST *train* digits, cells are drawn with PIL, so every figure here is
made up in the test."""
import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.core.segmentation.boxes import box_outlines
from hwr_desktop.core.segmentation.marks import find_marks

TRAIN = [1, 2, 5, 4]    # x_train indices: digits 0, 2, 6, 3
CELL, GAP, TOP, LEFT = 70, 30, 30, 30


def cells(mnist, radius=0, pen=0, lines=0, poke=None, empty=0):
    """A row of separate cells with a digit in each (grey values: 0 ink, 255 paper), then `empty`
    cells with nothing in them. pen / lines: the digits' (one grey, or one per digit) and the cells'
    grey; poke: the cell whose digit reaches over its top."""
    n = len(TRAIN) + empty
    width = 2 * LEFT + n * CELL + (n - 1) * GAP
    printed = Image.new("L", (width, 2 * TOP + CELL), 255)
    draw = ImageDraw.Draw(printed)
    for k in range(n):
        x = LEFT + k * (CELL + GAP)
        draw.rounded_rectangle((x, TOP, x + CELL, TOP + CELL), radius=radius, outline=lines, width=2)
    image = np.asarray(printed, np.float32)
    for k, i in enumerate(TRAIN):
        x, y = LEFT + k * (CELL + GAP) + 10, TOP + 10 - (25 if k == poke else 0)
        ink = np.asarray(Image.fromarray(mnist.x_train[i]).resize((50, 50), Image.Resampling.BILINEAR)) / 255
        grey = pen[k] if isinstance(pen, list) else pen
        image[y:y + 50, x:x + 50] = np.minimum(image[y:y + 50, x:x + 50], 255 - ink * (255 - grey))
    return image.astype(np.uint8)


def cell_of(piece) -> int:
    return int(((piece.x0 + piece.x1) / 2 - LEFT) // (CELL + GAP))


def test_train_digits_are_the_ones_named(mnist):
    assert [int(mnist.y_train[i]) for i in TRAIN] == [0, 2, 6, 3]


def test_square_and_rounded_cells_are_removed_one_digit_per_cell(mnist):
    for radius in (0, 12):
        marks = find_marks(cells(mnist, radius))
        assert marks.lines is not None, radius
        assert [cell_of(p) for p in marks.pieces] == [0, 1, 2, 3], radius
        # no cell left in the digits: each piece is a digit's size, not a cell's
        assert all(p.height < 0.85 * CELL for p in marks.pieces), radius


def test_a_digit_over_its_cells_edge_keeps_its_cell_found_and_its_ink(mnist):
    marks = find_marks(cells(mnist, poke=1))
    assert [cell_of(p) for p in marks.pieces] == [0, 1, 2, 3]
    two = marks.pieces[1]
    assert two.height >= 0.8 * 50 * marks.work_shape[0] / marks.gray.shape[0]   # the '2' stays whole across the edge


def test_faint_digits_in_dark_cells_are_kept(mnist):
    marks = find_marks(cells(mnist, pen=150, lines=0))
    assert [cell_of(p) for p in marks.pieces] == [0, 1, 2, 3]


def test_a_digit_written_lighter_than_the_others_in_a_form_is_kept(mnist):
    # pressure varies from digit to digit: the '6' at 45 % of the others' strength. Before: lost (a
    # mark had to reach half of the strongest ink that is not line)
    marks = find_marks(cells(mnist, pen=[0, 0, 140, 0], lines=0))
    assert [cell_of(p) for p in marks.pieces] == [0, 1, 2, 3]
    # a much lighter smudge still goes: 25 % of the strongest ink
    assert [cell_of(p) for p in find_marks(cells(mnist, pen=[0, 0, 192, 0], lines=0)).pieces] == [0, 1, 3]


def test_a_zero_or_a_cell_with_nothing_inside_is_not_a_cell():
    image = Image.new("L", (200, 120), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 10, 80, 110), outline=255, width=5)           # a round '0'
    draw.rectangle((110, 10, 180, 110), outline=255, width=3)       # an empty cell: a square '0' as far as we know
    horizontal, vertical = box_outlines(np.asarray(image) > 128)
    assert not horizontal.any() and not vertical.any()


def test_a_forms_empty_cells_beside_filled_ones_go_too(mnist):
    # before: the two empty cells were marks of their own, read as '?' or '0'
    marks = find_marks(cells(mnist, empty=2))
    assert [cell_of(p) for p in marks.pieces] == [0, 1, 2, 3]
    assert all(p.height < 0.85 * CELL for p in marks.pieces)


def test_an_empty_square_of_another_size_or_in_another_row_stays():
    filled = cell_mask(bar=0.5, size=(100, 100))[0]
    empty = cell_mask(bar=0, size=(100, 100))[0]
    small = cell_mask(side=44, bar=0, size=(100, 100))[0]
    row = np.concatenate([filled, empty, small], axis=1)          # the same size beside it: a cell; smaller: not
    horizontal, vertical = box_outlines(row)
    assert horizontal[:, :200].any() and horizontal[:, 100:200].any() and not horizontal[:, 200:].any()
    assert not vertical[:, 200:].any()
    below = np.concatenate([np.concatenate([filled, np.zeros_like(filled)], axis=1),
                            np.concatenate([np.zeros_like(filled), empty], axis=1)], axis=0)   # another row
    horizontal, _ = box_outlines(below)
    assert horizontal[:100, :100].any() and not horizontal[100:, 100:].any()
    sizes = [41, 50, 58, 60, 62, 70, 79]                           # within 15 % of 60 px: 51-69
    found = [box_outlines(np.concatenate([filled, cell_mask(side=s, bar=0, size=(100, 100))[0]], axis=1))[0][:, 100:].any()
             for s in sizes]
    assert found == [False, False, True, True, True, False, False], found
    narrow = np.zeros((100, 100), bool)                               # as tall as the cell, half as wide
    narrow[20:80, 35:65] = True
    narrow[23:77, 38:62] = False
    assert not box_outlines(np.concatenate([filled, narrow], axis=1))[0][:, 100:].any()
    # the same row: sharing at least half the filled cell's height (60 px)
    for shift, same_row in ((25, True), (35, False)):
        lower = np.zeros((160, 100), bool)
        lower[shift:shift + 100] = empty
        pair = np.concatenate([np.pad(filled, ((0, 60), (0, 0))), lower], axis=1)
        assert box_outlines(pair)[0][:, 100:].any() == same_row, shift


def test_a_grid_is_not_a_cell():
    mask = np.zeros((120, 200), bool)
    mask[10:110:25, 10:190] = True
    mask[10:110, 10:191:30] = True
    mask[40:60, 50:52] = True                                          # something written in it
    horizontal, vertical = box_outlines(mask)
    assert not horizontal.any() and not vertical.any()


# --- hand-made masks: each rule of a cell, one at a time -------------------------------------------

def cell_mask(side=60, thick=2, bar=0.5, missing=None, tilt=0.0, size=(100, 120)):
    """A square cell's outline (`thick` px sides, `side` px outside) with a vertical bar `bar` of its
    inside tall in the middle (0: nothing inside), optionally without one side, or turned by `tilt`
    (rise over run). Returns (mask, outline pixels, bar pixels)."""
    h, w = size
    y0, x0 = (h - side) // 2, (w - side) // 2
    outline = np.zeros(size, bool)
    if tilt:
        image = Image.new("1", (w, h), 0)
        c, s = np.array([x0 + side / 2, y0 + side / 2]), np.arctan(tilt)
        rot = np.array([[np.cos(s), -np.sin(s)], [np.sin(s), np.cos(s)]])
        for inset, fill in ((0, 1), (thick, 0)):
            corners = np.array([[x0 + inset, y0 + inset], [x0 + side - 1 - inset, y0 + inset],
                                [x0 + side - 1 - inset, y0 + side - 1 - inset], [x0 + inset, y0 + side - 1 - inset]])
            ImageDraw.Draw(image).polygon([tuple(p) for p in (corners - c) @ rot.T + c], fill=fill)
        outline = np.asarray(image, bool).copy()
    else:
        outline[y0:y0 + side, x0:x0 + side] = True
        outline[y0 + thick:y0 + side - thick, x0 + thick:x0 + side - thick] = False
        if missing == "bottom":
            outline[y0 + side - thick:y0 + side, x0 + thick:x0 + side - thick] = False
        if missing == "right":
            outline[y0 + thick:y0 + side - thick, x0 + side - thick:x0 + side] = False
    bar_mask = np.zeros(size, bool)
    inside = side - 2 * thick
    tall = int(round(bar * inside))
    if tall:
        top = y0 + thick + (inside - tall) // 2
        bar_mask[top:top + tall, w // 2 - 1:w // 2 + 2] = True
    return outline | bar_mask, outline, bar_mask


def test_a_cells_outline_is_removed_to_the_pixel_and_what_is_written_inside_is_not():
    mask, outline, bar = cell_mask()
    horizontal, vertical = box_outlines(mask)
    assert ((horizontal | vertical) == outline).all()
    assert not ((horizontal | vertical) & bar).any()
    side = np.flatnonzero(outline.any(axis=1))
    assert horizontal[side[0]].sum() == horizontal[side[-1]].sum() == 60      # top and bottom, whole
    assert not vertical[side[0] + 5:side[-1] - 5].any(axis=0)[:np.flatnonzero(outline.any(axis=0))[0]].any()
    cols = np.flatnonzero(outline.any(axis=0))
    assert vertical[:, cols[0]].sum() >= 56 and vertical[:, cols[-1]].sum() >= 56   # left and right
    assert not horizontal[side[0] + 4:side[-1] - 3].any()                     # no side in the middle rows


def test_a_cell_open_on_one_side_loses_its_three_sides_and_keeps_what_is_inside():
    # a comb field open at the top, or a cell whose fourth side broke off (the bench's cells do, at
    # a corner): seen from the open side, the far side's inner edge stands in for the missing one
    for missing in ("bottom", "right"):
        mask, outline, bar = cell_mask(missing=missing)
        horizontal, vertical = box_outlines(mask)
        assert ((horizontal | vertical) == outline).all(), missing
        assert not ((horizontal | vertical) & bar).any(), missing


def test_a_digit_poking_out_below_its_cell_keeps_the_cell_and_its_ink_outside():
    # the inside is taken within the fitted sides: before, the component's box was, so the crossed
    # bottom side looked like a line across the inside and the cell with its digit became one mark
    mask, outline, bar = cell_mask(size=(130, 120))
    bar[60:110, 59:62] = True                                        # the digit's stroke, 15 px past the bottom side
    horizontal, vertical = box_outlines(outline | bar)
    found = horizontal | vertical
    assert (found & outline).sum() >= 0.9 * outline.sum()
    # what sticks out below is the digit's, not the left or right side seen from outside (the side
    # ends at row 94; a pixel of slack for anti-aliasing and tilt)
    assert not found[96:].any()


def test_sides_thicker_than_a_printed_line_are_not_a_cell():
    for thick, found in ((6, True), (7, False)):
        horizontal, _ = box_outlines(cell_mask(side=80, thick=thick, size=(110, 130))[0])
        assert horizontal.any() == found, thick


def test_a_form_askew_by_a_degree_or_two_is_a_cell_but_not_a_leaning_shape():
    assert box_outlines(cell_mask(tilt=0.03)[0])[0].any()
    assert not box_outlines(cell_mask(tilt=0.09)[0])[0].any()


def test_a_cell_holds_something_tall_not_a_speck():
    assert box_outlines(cell_mask(bar=0.35)[0])[0].any()
    assert not box_outlines(cell_mask(bar=0.15)[0])[0].any()


def test_the_quick_test_never_rejects_a_side_that_is_straight():
    # _may_be_straight must be a necessary condition of _side: random near-straight tops (leaning,
    # noisy, partly covered by a poking digit), each judged by both
    from hwr_desktop.core.segmentation.boxes import _may_be_straight, _side
    rng = np.random.default_rng(3)
    both = 0
    for _ in range(400):
        w = int(rng.integers(12, 80))
        slope, noise = rng.uniform(-0.08, 0.08), rng.uniform(0, 2.5)
        top = 8 + slope * np.arange(w) + rng.normal(0, noise, w)
        if rng.random() < 0.5:                                   # a digit poking over part of it
            a = int(rng.integers(0, w))
            top[a:a + int(rng.integers(1, w // 2 + 2))] -= rng.uniform(2, 7)
        top = np.clip(np.round(top), 0, 19).astype(int)
        own = np.arange(30)[:, None] >= top[None, :]
        if _side(own) is not None:
            both += 1
            assert _may_be_straight(own)
    assert both >= 50
