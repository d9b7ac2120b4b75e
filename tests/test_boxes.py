"""Separate form cells, one per digit (core/segmentation/boxes.py): too short for printed_lines.py's
lines, found whole. Digits are MNIST *train* digits, cells are drawn with PIL, so every figure here is
made up in the test."""
import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.core.segmentation.boxes import box_outlines
from hwr_desktop.core.segmentation.marks import find_marks

TRAIN = [1, 2, 5, 4]    # x_train indices: digits 0, 2, 6, 3
CELL, GAP, TOP, LEFT = 70, 30, 30, 30


def cells(mnist, radius=0, pen=0, lines=0, poke=None):
    """A row of separate cells with a digit in each (grey values: 0 ink, 255 paper).
    pen / lines: the digits' and the cells' grey; poke: the cell whose digit reaches over its top."""
    width = 2 * LEFT + len(TRAIN) * CELL + (len(TRAIN) - 1) * GAP
    printed = Image.new("L", (width, 2 * TOP + CELL), 255)
    draw = ImageDraw.Draw(printed)
    for k in range(len(TRAIN)):
        x = LEFT + k * (CELL + GAP)
        draw.rounded_rectangle((x, TOP, x + CELL, TOP + CELL), radius=radius, outline=lines, width=2)
    image = np.asarray(printed, np.float32)
    for k, i in enumerate(TRAIN):
        x, y = LEFT + k * (CELL + GAP) + 10, TOP + 10 - (25 if k == poke else 0)
        ink = np.asarray(Image.fromarray(mnist.x_train[i]).resize((50, 50), Image.Resampling.BILINEAR)) / 255
        image[y:y + 50, x:x + 50] = np.minimum(image[y:y + 50, x:x + 50], 255 - ink * (255 - pen))
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


def test_a_zero_or_a_cell_with_nothing_inside_is_not_a_cell():
    image = Image.new("L", (200, 120), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 10, 80, 110), outline=255, width=5)           # a round '0'
    draw.rectangle((110, 10, 180, 110), outline=255, width=3)       # an empty cell: a square '0' as far as we know
    horizontal, vertical = box_outlines(np.asarray(image) > 128)
    assert not horizontal.any() and not vertical.any()


def test_a_grid_is_not_a_cell():
    mask = np.zeros((120, 200), bool)
    mask[10:110:25, 10:190] = True
    mask[10:110, 10:191:30] = True
    mask[40:60, 50:52] = True                                          # something written in it
    horizontal, vertical = box_outlines(mask)
    assert not horizontal.any() and not vertical.any()
