"""The reading bench's second renderer (devtools/number_writer.py) draws what it says it draws."""
import json

import numpy as np
import pytest

from hwr_desktop.devtools import number_writer
from hwr_desktop.devtools.number_writer import CONDITIONS, make_numbers


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_decodes_with_its_digits_inside(mnist, condition):
    samples = make_numbers(mnist.x_test, mnist.y_test, condition, 3, seed=5)
    for sample in samples:
        image = sample.array()
        assert image.dtype == np.uint8 and image.ndim in (2, 3)
        h, w = image.shape[:2]
        assert max(h, w) <= number_writer.MAX_SIDE
        assert 3 <= len(sample.text) <= 8 and sample.text.isdigit()
        assert len(sample.boxes) == len(sample.text)
        assert all(0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h for x0, y0, x1, y1 in sample.boxes)
        assert sample.conditions["condition"] == condition and sample.conditions["length"] == len(sample.text)
        json.dumps(sample.conditions)                   # the bench writes them into its report
        if condition == "photo":
            assert 1100 <= w <= 1300 and 0.7e6 < w * h < 1.6e6
            assert sample.data[:2] == b"\xff\xd8"          # JPEG
        else:
            heights = [y1 - y0 for _, y0, _, y1 in sample.boxes]
            assert 15 <= min(heights) and max(heights) <= 180, heights


def test_a_seed_fixes_the_images(mnist):
    for condition in CONDITIONS:
        a = make_numbers(mnist.x_test, mnist.y_test, condition, 2, seed=3)
        b = make_numbers(mnist.x_test, mnist.y_test, condition, 2, seed=3)
        c = make_numbers(mnist.x_test, mnist.y_test, condition, 2, seed=4)
        assert [s.data for s in a] == [s.data for s in b] and [s.boxes for s in a] == [s.boxes for s in b]
        assert [s.data for s in a] != [s.data for s in c]
    # image i depends on (seed, condition, i) only, not on how many are made
    assert make_numbers(mnist.x_test, mnist.y_test, "spaced", 3, seed=3)[2].data == \
        make_numbers(mnist.x_test, mnist.y_test, "spaced", 4, seed=3)[2].data
    # nor on where the list starts: `first` makes image 2 alone
    assert make_numbers(mnist.x_test, mnist.y_test, "spaced", 1, seed=3, first=2)[0].data == \
        make_numbers(mnist.x_test, mnist.y_test, "spaced", 3, seed=3)[2].data


def test_lengths_follow_the_range_asked_for(mnist):
    texts = [s.text for s in make_numbers(mnist.x_test, mnist.y_test, "spaced", 12, seed=1, lengths=(2, 4))]
    assert all(2 <= len(t) <= 4 for t in texts) and len({len(t) for t in texts}) > 1


def test_touching_digits_really_share_ink(mnist):
    """Every neighbouring pair's binarised inks overlap, in the row itself and in the images made."""
    rng = np.random.default_rng(11)
    for _ in range(12):
        picks = rng.choice(len(mnist.x_test), 5, replace=False)
        height = float(rng.uniform(24, 100))
        pen = number_writer._pen(height, rng)
        glyphs = number_writer._glyphs(mnist.x_test[picks], height, pen, rng)
        row = number_writer._row(glyphs, height, rng, touching=True)
        for (ax, ay), (bx, by), a, b in zip(row.positions, row.positions[1:], glyphs, glyphs[1:]):
            assert number_writer._overlap(a.ink, ax, ay, b.ink, bx, by) > 0, mnist.y_test[picks]
        assert all(v > 0 for v in row.overlaps)
    for sample in make_numbers(mnist.x_test, mnist.y_test, "touching", 4, seed=2):
        assert all(b[0] < a[2] for a, b in zip(sample.boxes, sample.boxes[1:]))      # ink boxes overlap
        assert len(sample.conditions["overlaps"]) == len(sample.text) - 1
        assert all(v > 0 for v in sample.conditions["overlaps"])


def test_spaced_digits_keep_apart(mnist):
    for sample in make_numbers(mnist.x_test, mnist.y_test, "spaced", 4, seed=2):
        assert all(b[0] > a[2] for a, b in zip(sample.boxes, sample.boxes[1:]))


def test_thinning_never_cuts_a_stroke(mnist):
    from PIL import Image
    for x28 in mnist.x_test[:20]:
        big = np.asarray(Image.fromarray(x28).resize((84, 84), Image.Resampling.BILINEAR)) >= 100
        pieces = number_writer._pieces(big)
        thin = number_writer._thin(big, 8)
        assert thin.sum() < big.sum() and number_writer._pieces(thin) <= pieces


def test_an_oversized_drawing_is_shrunk_with_its_boxes():
    alpha = np.zeros((300, 3000), np.float32)
    alpha[100:200, 2800:2900] = 1.0
    line = np.ones_like(alpha)
    small, boxes, layers = number_writer._limit(alpha, [(2800, 100, 2900, 200)], [(line, np.float32([0, 0, 1]))])
    assert small.shape == (240, 2400) and layers[0][0].shape == small.shape
    x0, y0, x1, y1 = boxes[0]
    assert (x0, y0) == (2240, 80) and 2318 <= x1 <= 2322 and 158 <= y1 <= 162
    assert small[y0:y1, x0:x1].mean() > 0.9
