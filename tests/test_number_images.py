"""The five reading conditions (core/data/number_images.py) draw what they say they draw."""
import numpy as np
import pytest

from hwr_desktop.core.data.number_images import CONDITIONS, make_numbers
from hwr_desktop.core.segmentation.components import label


def _dark(sample) -> np.ndarray:
    gray = sample.array().astype(np.float32)
    gray = gray.mean(axis=2) if gray.ndim == 3 else gray
    return gray


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_draws_the_number_it_names(mnist, condition):
    samples = make_numbers(mnist.x_val, mnist.y_val, condition, 4, seed=3)
    again = make_numbers(mnist.x_val, mnist.y_val, condition, 4, seed=3)
    for sample, same in zip(samples, again):
        assert sample.data == same.data                     # a seed fixes the image
        assert 3 <= len(sample.text) <= 8 and sample.text.isdigit()
        assert len(sample.boxes) == len(sample.text) and sample.conditions["condition"] == condition
        h, w = sample.array().shape[:2]
        assert all(0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h for x0, y0, x1, y1 in sample.boxes)
    assert len({s.text for s in samples}) > 1


def test_touching_digits_share_ink(mnist):
    """Every neighbouring pair touches: some blob of one digit's own solid ink (outside the
    overlap) reaches into its neighbour's own part too (a digit may itself be two strokes)."""
    from hwr_desktop.core.data.number_images import _alphas, _row
    for i in range(20):
        rng = np.random.default_rng([9, i])
        picks = rng.choice(len(mnist.x_val), 5, replace=False)
        height = 40.0
        canvas, boxes = _row(_alphas(mnist.x_val[picks], height, rng), height, rng, (-0.12, 0.0), touching=True)
        ink = canvas > 0.5
        for axis in (0, 1):
            ink = ink | np.roll(ink, 1, axis)      # "touching" allows a 1 px gap (the generator's rule)
        labels, _ = label(ink)
        for a, b in zip(boxes, boxes[1:]):
            assert b[0] <= a[2]                                      # ink boxes meet or overlap
            own_a = labels[a[1]:a[3], a[0]:min(a[2], b[0])]         # a's columns left of b
            own_b = labels[b[1]:b[3], max(a[2], b[0]):b[2]]         # b's columns right of a
            shared = np.intersect1d(own_a[own_a > 0], own_b[own_b > 0])
            assert shared.size or own_a.size == 0 or own_b.size == 0, (i, mnist.y_val[picks])


def test_boxes_and_ruled_paper_have_printed_lines(mnist):
    for condition in ("boxes", "ruled"):
        for sample in make_numbers(mnist.x_val, mnist.y_val, condition, 3, seed=1):
            gray = _dark(sample)
            paper = np.median(gray)
            rows = (np.abs(gray - paper) > 25).mean(axis=1)
            columns = (np.abs(gray - paper) > 25).mean(axis=0)
            # a printed line crosses most of the drawing; digits never cover 60 % of a row
            assert rows.max() > 0.6 or columns.max() > 0.6, (condition, sample.conditions)


def test_photos_are_about_a_megapixel(mnist):
    for sample in make_numbers(mnist.x_val, mnist.y_val, "photo", 2, seed=2):
        h, w = sample.array().shape[:2]
        assert 0.6e6 <= h * w <= 1.6e6 and sample.conditions["format"] == "jpeg"


def test_touching_digits_never_slide_past_the_left_edge():
    """A narrow first digit and a deep overlap put the next one left of the canvas: it stops at the
    edge (this crashed the reader's training after 9,100 steps)."""
    from hwr_desktop.core.data.number_images import _row
    thin, wide = np.zeros((20, 2), np.float32), np.zeros((20, 13), np.float32)
    thin[:, 0], wide[5:15, 6:] = 1.0, 1.0
    canvas, boxes = _row([thin, wide], 20.0, np.random.default_rng(0), (-2.0, -2.0), touching=True)
    assert boxes[1][0] == 0 and canvas.shape[1] >= 13
