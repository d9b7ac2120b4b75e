"""Printed lines (ruled paper, grids, form boxes, comb ticks) are removed before segmentation
(core/segmentation/printed_lines.py, core/segmentation/marks.py). Digits are MNIST *train* digits or pen strokes, lines are drawn
with numpy, so every figure here is made up in the test."""
import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.core.segmentation.components import label
from hwr_desktop.core.segmentation.marks import find_marks
from hwr_desktop.core.segmentation.printed_lines import find_lines

TRAIN = [1, 2, 5, 4, 6, 11]    # x_train indices: digits 0, 2, 6, 3, 4, 5 (checked below)
SIDE = 60                      # digit box side, pixels (the ink is about 43 px tall)


def digit(mnist, index, side=SIDE):
    return np.asarray(Image.fromarray(mnist.x_train[index]).resize((side, side), Image.Resampling.BILINEAR)) / 255


def page(mnist, indices, cell=55, width=None, height=140, top=40, left=40):
    """Ink strength in [0, 1] (1 = ink): the digits side by side, one per `cell` pixels."""
    ink = np.zeros((height, width or 2 * left + cell * len(indices)), np.float32)
    for k, i in enumerate(indices):
        x = left + k * cell + (cell - SIDE) // 2
        np.maximum(ink[top:top + SIDE, x:x + SIDE], digit(mnist, i), out=ink[top:top + SIDE, x:x + SIDE])
    return ink


def rule(ink, y, x0=0, x1=None, thickness=2, tilt=0.0, strength=0.7):
    x1 = ink.shape[1] if x1 is None else x1
    for x in range(x0, x1):
        yy = int(round(y + tilt * (x - x0)))
        ink[yy:yy + thickness, x] = np.maximum(ink[yy:yy + thickness, x], strength)


def post(ink, x, y0=0, y1=None, thickness=2, strength=0.7):
    ink[y0:y1, x:x + thickness] = np.maximum(ink[y0:y1, x:x + thickness], strength)


def as_photo(ink):
    return (255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8)


def test_train_digits_are_the_ones_named(mnist):
    assert [int(mnist.y_train[i]) for i in TRAIN] == [0, 2, 6, 3, 4, 5]


def test_ruled_lines_above_and_below_a_number_are_removed_and_digits_stay_whole(mnist):
    digits = page(mnist, TRAIN[:4])
    strokes = digits > 0.3
    feet = np.flatnonzero(strokes.any(axis=1))[-1]
    ink = digits.copy()
    rule(ink, 36)                         # a line above the number, touching nothing
    rule(ink, feet - 3, tilt=0.015)       # the baseline, slightly tilted, through the digits' feet
    mask = ink > 0.3
    lines = find_lines(mask)
    assert label(mask)[1] < label(strokes)[1] + 2           # two lines, and the baseline joins digits
    assert (mask & ~strokes & ~lines).sum() <= 10           # (almost) nothing of the lines is left
    assert (strokes & lines).sum() <= 0.03 * strokes.sum()  # the digits lose (almost) nothing
    assert label(mask & ~lines)[1] == label(strokes)[1]


def test_a_square_grid_through_the_digits_is_removed(mnist):
    digits = page(mnist, TRAIN[:4])
    ink = digits.copy()
    for y in range(5, ink.shape[0], 25):
        rule(ink, y, strength=0.6)
    for x in range(5, ink.shape[1], 25):
        post(ink, x, strength=0.6)
    marks = find_marks(as_photo(ink))
    assert marks.lines is not None and marks.lines.sum() > 1500
    assert len(marks.pieces) == 4                                 # four digits, no grid pieces
    near_strokes = find_marks(as_photo(digits)).pieces
    for piece, alone in zip(marks.pieces, near_strokes):          # and no grid in them
        # No grid pixels added; strokes running along a grid line lose their edge pixels (<= 20 %).
        assert 0.8 * alone.area <= piece.area <= 1.02 * alone.area, (piece.area, alone.area)
    centres = [(p.x0 + p.x1) / 2 for p in marks.pieces]
    assert np.allclose(centres, [40 + 55 * k + 27.5 for k in range(4)], atol=8)


def boxes_and_combs(mnist, indices, cell=80):
    """The digits one per cell of a row of form boxes, and of a comb (baseline with ticks)."""
    digits = page(mnist, indices, cell=cell, height=170, top=50)
    right = 40 + cell * len(indices)
    boxed, comb = digits.copy(), digits.copy()
    rule(boxed, 40, 40, right + 2), rule(boxed, 40 + cell + 10, 40, right + 2)
    rule(comb, 115, 40, right + 2)
    for k in range(len(indices) + 1):
        post(boxed, 40 + k * cell, 40, 40 + cell + 12)
        post(comb, 40 + k * cell, 90, 117)       # ticks about half a digit high
    return digits, boxed, comb


def test_form_boxes_and_comb_ticks_are_removed_one_digit_per_cell(mnist):
    digits, boxed, comb = boxes_and_combs(mnist, TRAIN[:4])
    for name, ink in (("boxes", boxed), ("comb", comb)):
        marks = find_marks(as_photo(ink))
        assert marks.lines is not None, name
        assert ((ink > 0.3) & ~(digits > 0.3) & ~marks.lines).sum() <= 5, name
        cells = [int((p.x0 + p.x1) / 2 - 40) // 80 for p in marks.pieces]
        assert cells == [0, 1, 2, 3], (name, [marks.image_box(p) for p in marks.pieces])


def test_a_digit_crossing_a_line_stays_in_one_piece():
    image = Image.new("L", (400, 160), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(0, 80), (399, 80)], fill=120, width=2)                    # the printed line
    draw.line([(150, 30), (210, 30), (170, 130)], fill=0, width=7)        # a '7' through it
    draw.ellipse([240, 30, 300, 130], outline=0, width=7)                 # a '0' through it
    marks = find_marks(np.asarray(image))
    assert marks.lines is not None and marks.lines[80, :100].all()
    assert len(marks.pieces) == 2
    seven, zero = marks.pieces
    assert seven.y0 <= 30 and seven.y1 >= 128 and zero.y0 <= 32 and zero.y1 >= 128


def test_an_image_without_lines_loses_no_ink():
    image = Image.new("L", (300, 160), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(60, 30), (60, 130)], fill=0, width=8)                    # a perfectly straight '1'
    draw.line([(150, 30), (220, 30), (170, 130)], fill=0, width=8)       # a '7'
    draw.line([(230, 130), (290, 130)], fill=0, width=8)                 # a short dash
    assert not find_lines(np.asarray(image) < 128).any()
    assert find_marks(np.asarray(image)).lines is None


def test_mnist_numbers_without_lines_lose_no_ink(mnist):
    mask = page(mnist, TRAIN) > 0.3
    assert not find_lines(mask).any()


def test_a_number_in_form_boxes_is_read_exactly(mnist, good_model_file):
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.reading.digit_reader import read_image
    predictor = Predictor.from_file(good_model_file)
    indices = [4, 11, 1, 6]                           # train digits 3, 5, 0, 4 (checked below)
    truth = "".join(str(int(mnist.y_train[i])) for i in indices)
    assert truth == "3504"
    _, boxed, comb = boxes_and_combs(mnist, indices)
    for ink in (boxed, comb):
        result = read_image(predictor, as_photo(ink))
        assert result.text == truth
        assert result.lines_mask is not None and len(result.pieces) >= 4
        assert all(len(box) == 4 and box[2] > box[0] and box[3] > box[1] for box in result.pieces)


# --- ticks: box sides and comb ticks that digits touch or hide ------------------------------------

def test_ticks_a_whole_number_of_spacings_apart_are_one_row():
    from hwr_desktop.core.segmentation.printed_lines import _regular
    # a tick hidden by a digit leaves a gap of two spacings: 160 is still in the row (before: not)
    assert _regular(np.array([24.0, 58.0, 160.0])).tolist() == [True, True, True]
    assert _regular(np.array([24.0, 58.0, 92.0, 111.0])).tolist() == [True, True, True, False]
    assert _regular(np.array([24.0])).tolist() == [False]


def test_a_box_side_bent_at_its_corners_is_straight():
    from hwr_desktop.core.segmentation.printed_lines import _tick_ends
    # a joined box's outer side, 3 px wide and 44 rows tall, whose first and last rows carry the
    # corner's ink (the top and bottom lines' anti-aliased ends): it wanders 1.7 px over all rows
    own = np.zeros((44, 8), bool)
    own[:, 1:4] = True
    own[:2, 4:8] = own[-2:, 4:8] = True
    horizontal = np.zeros((60, 30), bool)
    horizontal[5:8] = horizontal[53:56] = True                     # its top and bottom lines
    attached, x = _tick_ends(own, horizontal, 9, 10, height=32, reach=4)
    assert (attached, x) == (2, 12)
    own[20:24, 4:8] = True                                         # a bend in the middle is not straight
    assert _tick_ends(own, horizontal, 9, 10, height=32, reach=4) == (0, 0)


def test_comb_ticks_that_digits_touch_go(mnist):
    # the bench renderer's comb (devtools/number_writer.py, validation digits, seed 7, boxes #99):
    # '4446' in a comb whose ticks the digits touch. Before: two ticks stayed, read as 1s ('444161')
    from hwr_desktop.devtools.number_writer import make_numbers
    sample = make_numbers(mnist.x_val, mnist.y_val, "boxes", 1, seed=7, first=99)[0]
    assert (sample.text, sample.conditions["style"]) == ("4446", "comb")
    marks = find_marks(sample.array())
    bars = [p for p in marks.pieces if p.width < 0.3 * p.height]
    assert not bars, [marks.image_box(p) for p in bars]
    assert 3 <= len(marks.pieces) <= 4           # '44' touch: one mark or two

