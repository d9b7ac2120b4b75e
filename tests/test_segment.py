"""Segmentation of hand-made images: no model involved (core/segmentation/marks.py, core/segmentation/cuts.py)."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from hwr_desktop.core.data.preprocess import estimate_paper, preprocess
from hwr_desktop.core.segmentation.marks import WORK_SIDE, label, segment


def sheet(width, height, paper=255):
    image = Image.new("L", (width, height), paper)
    return image, ImageDraw.Draw(image)


def flood_fill_count(mask):
    """Reference 8-connected component count."""
    seen = np.zeros(mask.shape, bool)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    v, u = y + dy, x + dx
                    if 0 <= v < mask.shape[0] and 0 <= u < mask.shape[1] and mask[v, u] and not seen[v, u]:
                        seen[v, u] = True
                        stack.append((v, u))
    return count


@pytest.mark.parametrize("seed", range(40))
def test_label_matches_flood_fill(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((int(rng.integers(1, 40)), int(rng.integers(1, 40)))) < rng.uniform(0.1, 0.7)
    labels, count = label(mask)
    assert count == flood_fill_count(mask)
    assert np.array_equal(labels > 0, mask)
    pairs = {(a, b) for a, b in zip(labels[mask], np.cumsum(np.ones(mask.sum())))}  # every pixel labelled
    assert len({a for a, _ in pairs}) == count


def test_label_winding_spiral_is_one_component():
    n = 301
    mask = np.zeros((n, n), bool)
    top, left, bottom, right = 0, 0, n - 1, n - 1
    while top + 2 <= bottom and left + 2 <= right:   # a square spiral of 1-px lines
        mask[top, left:right + 1] = mask[top:bottom + 1, right] = mask[bottom, left:right + 1] = True
        mask[top + 2:bottom + 1, left] = True
        mask[top + 2, left:left + 3] = True
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
    assert label(mask)[1] == 1


def boxes(regions):
    return [r.box for r in regions]


def test_five_with_a_lifted_bar_is_one_digit():
    image, draw = sheet(200, 200)
    draw.line([(80, 60), (88, 92)], fill=0, width=9)                  # down stroke
    draw.arc([60, 85, 140, 165], start=-100, end=150, fill=0, width=9)  # belly
    draw.line([(88, 52), (135, 48)], fill=0, width=9)                 # bar, drawn apart
    regions = segment(np.asarray(image))
    assert len(regions) == 1
    x0, y0, x1, y1 = regions[0].box
    assert y0 <= 48 and y1 >= 160 and x1 >= 135


def test_four_drawn_in_two_strokes_is_one_digit():
    image, draw = sheet(200, 200)
    draw.line([(70, 40), (55, 115), (130, 115)], fill=0, width=8)
    draw.line([(115, 60), (112, 170)], fill=0, width=8)  # the downstroke, not touching the first
    assert len(segment(np.asarray(image))) == 1


def test_touching_neighbours_are_cut_apart():
    image, draw = sheet(320, 200)
    draw.ellipse([40, 40, 140, 170], outline=0, width=10)     # '0'
    draw.ellipse([160, 40, 260, 170], outline=0, width=10)    # another '0'...
    draw.line([(135, 120), (165, 110)], fill=0, width=6)      # ...joined by a pen stroke
    regions = segment(np.asarray(image))
    assert len(regions) == 2
    (a0, _, a1, _), (b0, _, b1, _) = boxes(regions)
    assert abs(a0 - 40) <= 3 and abs(b1 - 261) <= 3
    assert 138 <= a1 <= 162 and 138 <= b0 <= 162          # cut across the joining stroke


def test_specks_are_ignored():
    image, draw = sheet(300, 160)
    draw.line([(60, 30), (60, 130)], fill=0, width=8)                    # '1'
    draw.line([(150, 30), (220, 30), (170, 130)], fill=0, width=8)       # '7'
    for x, y in [(20, 20), (110, 140), (250, 90), (280, 10), (100, 60)]:
        draw.ellipse([x, y, x + 3, y + 3], fill=0)                       # dust
    regions = segment(np.asarray(image))
    assert len(regions) == 2 and regions[0].box[0] < regions[1].box[0]


def test_left_to_right_with_boxes_in_original_pixels_of_a_large_image():
    width, height = 3 * WORK_SIDE, 1500   # downscaled for segmentation, boxes mapped back
    image, draw = sheet(width, height)
    drawn = [(2600, 300, 2800, 1100), (300, 500, 420, 1300), (1500, 200, 1800, 1000)]
    for x0, y0, x1, y1 in drawn:
        draw.ellipse([x0, y0, x1 - 1, y1 - 1], outline=0, width=30)
    found = boxes(segment(np.asarray(image)))
    expected = sorted(drawn)
    assert len(found) == 3
    for got, want in zip(found, expected):
        assert all(abs(g - w) <= 6 for g, w in zip(got, want)), (got, want)


def digits_on(paper, ink, noise=0.0, gradient=0.0, seed=0):
    """Three strokes on paper with a lighting gradient and noise, as float gray in [0, 1]."""
    image, draw = sheet(400, 200, paper=0)
    draw.line([(80, 40), (80, 160)], fill=255, width=10)
    draw.ellipse([150, 40, 230, 160], outline=255, width=10)
    draw.line([(280, 40), (350, 40), (300, 160)], fill=255, width=10)
    alpha = np.asarray(image, np.float32) / 255
    light = 1.0 - gradient * np.linspace(0, 1, alpha.shape[1])[None, :]
    gray = (paper * (1 - alpha) + ink * alpha) * light
    return np.clip(gray + np.random.default_rng(seed).normal(0, noise, gray.shape), 0, 1).astype(np.float32)


@pytest.mark.parametrize("paper, ink", [(0.9, 0.1), (0.1, 0.8), (0.4, 0.1), (0.8, 0.45)])
def test_either_polarity_uneven_light_and_noise(paper, ink):
    gray = digits_on(paper, ink, noise=0.05, gradient=0.4)
    assert estimate_paper(gray).dark_ink == (ink < paper)
    found = boxes(segment(gray))
    assert len(found) == 3
    assert [abs(b[0] - x) <= 6 for b, x in zip(found, (75, 145, 275))] == [True] * 3


def test_transparent_png_strokes_are_found():
    alpha = np.asarray(Image.fromarray((digits_on(0.0, 1.0) * 255).astype(np.uint8)))
    rgba = np.zeros(alpha.shape + (4,), np.uint8)
    rgba[..., 2] = 200          # blue ink...
    rgba[..., 3] = alpha        # ...on a transparent layer
    assert len(segment(rgba)) == 3


@pytest.mark.parametrize("image", [
    np.full((120, 200), 255, np.uint8),
    np.full((120, 200), 90, np.uint8),
    np.clip(np.random.default_rng(1).normal(128, 12, (150, 250)), 0, 255).astype(np.uint8),
])
def test_blank_paper_and_noise_have_no_marks(image):
    assert segment(image) == []


def test_crops_hold_only_their_own_mark():
    """Two slanted strokes whose boxes overlap: each crop sees its own stroke only."""
    def draw_strokes(*lines):
        image, draw = sheet(220, 200)
        for line in lines:
            draw.line(line, fill=0, width=10)
        return np.asarray(image)

    left, right = [(100, 40), (60, 170)], [(140, 40), (100, 170)]
    both = segment(draw_strokes(left, right))
    assert len(both) == 2 and both[0].box[2] > both[1].box[0]        # the boxes overlap
    for region, alone in zip(both, (draw_strokes(left), draw_strokes(right))):
        (single,) = segment(alone)
        assert region.box == single.box
        assert np.abs(preprocess(region.crop).image - preprocess(single.crop).image).max() < 1e-6


def light_row(stray_at=None):
    """A '1', a '0' with a blot of ink on it, and a '7', on white: the 1 and the 7 written at 45 % of
    the blot's darkness (the 0's stroke at 70 %). Optionally the 7's stroke once more at `stray_at`."""
    image, draw = sheet(420, 260)
    draw.line([(80, 110), (80, 210)], fill=255 - 115, width=4)
    draw.ellipse([150, 110, 220, 210], outline=255 - 178, width=4)
    draw.ellipse([175, 104, 191, 120], fill=0)                        # the blot: the strongest ink
    draw.line([(270, 110), (330, 110), (290, 210)], fill=255 - 115, width=4)
    if stray_at is not None:
        x, y = stray_at
        draw.line([(x, y), (x + 60, y), (x + 20, y + 70)], fill=255 - 115, width=4)
    return np.asarray(image)


def test_a_digit_lighter_than_a_blot_in_its_row_is_kept_and_one_away_from_the_row_is_not():
    # before: only the 0 was a mark (a mark had to reach half of the blot's strength)
    from hwr_desktop.core.segmentation.marks import find_marks
    assert [(p.x0 < 100, 140 < p.x0 < 230, p.x0 > 260) for p in find_marks(light_row()).pieces] == \
        [(True, False, False), (False, True, False), (False, False, True)]
    # the same light stroke far above the row (texture, another line of writing): left out
    marks = find_marks(light_row(stray_at=(330, 5)))
    assert len(marks.pieces) == 3 and all(p.y0 > 90 for p in marks.pieces)
