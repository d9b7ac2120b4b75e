"""Photos whose paper the smooth surface cannot model (core/data/preprocess.py, `with_shading`), and
strays of the scene along the image's edge (core/segmentation/marks.py, `drop_edge_strays`). Before
either, such photos were read as nothing: a shadow band across the page became one mark as big as
the page, and a sliver of desk at the edge stretched the line of digits over the whole photo.
Hand-made images: a light page, thin pen strokes."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from hwr_desktop.core.data.preprocess import Paper, estimate_paper, with_shading
from hwr_desktop.core.segmentation.marks import drop_edge_strays, find_marks
from hwr_desktop.core.segmentation.pieces import Piece

H, W = 600, 800
STROKES = (300, 360, 420, 480)


def page(shadow=0.0, band=(250, 450), pen=0.35, strokes=STROKES, top=270, height=60):
    """A 600x800 photo of a page (0.9) with four thin strokes of a pen; `shadow` takes that share of
    the light off a soft diagonal band across the page, strokes and all."""
    picture = Image.new("L", (W, H), int(0.9 * 255))
    draw = ImageDraw.Draw(picture)
    for x in strokes:
        draw.line([(x, top), (x + 8, top + height)], fill=int(pen * 255), width=4)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    across = (xx + 0.6 * yy) - band[0] - 0.6 * 300
    inside = np.clip(np.minimum(across, band[1] - band[0] - across) / 40, 0, 1)   # 40 px soft edges
    rng = np.random.default_rng(0)
    lit = np.asarray(picture, np.float32) * (1 - shadow * inside)
    return np.clip(lit + rng.normal(0, 2, (H, W)), 0, 255).astype(np.uint8)


def _columns(marks):
    return sorted(int(round(marks.image_box(p)[0] / 10)) * 10 for p in marks.pieces)


def test_a_shadow_band_across_the_page_leaves_the_strokes_and_nothing_of_the_shadow():
    marks = find_marks(page(shadow=0.3))
    assert len(marks.pieces) == 4, [marks.image_box(p) for p in marks.pieces]
    assert all(abs(c - x) <= 10 for c, x in zip(_columns(marks), STROKES)), _columns(marks)
    assert all(marks.image_box(p)[3] - marks.image_box(p)[1] < 80 for p in marks.pieces)


def test_the_shading_follows_the_band_and_even_paper_has_none():
    gray = page(shadow=0.3).astype(np.float32) / 255
    paper = with_shading(gray, estimate_paper(gray))
    assert paper.shading is not None
    background = paper.background(gray.shape)
    # in the band's middle, away from the strokes, the background is the shadowed paper
    assert abs(float(background[500, 250]) - 0.63) < 0.04, background[500, 250]
    assert abs(float(background[50, 50]) - 0.9) < 0.04, background[50, 50]
    even = page().astype(np.float32) / 255
    plain = estimate_paper(even)
    assert with_shading(even, plain) is plain


def test_the_shading_grid_is_interpolated_between_tile_centres_at_any_resolution():
    grid = np.array([[0.0, 0.2], [0.4, 0.6]], np.float32)
    paper = Paper((0.5,), True, 0.0, shading=grid, shading_span=(1.0, 1.0))
    small = paper.background((2, 2))              # one pixel per tile: the grid itself
    np.testing.assert_allclose(small, 0.5 + grid, atol=1e-6)
    large = paper.background((10, 10))            # tile centres at pixels 2 and 7
    np.testing.assert_allclose([large[2, 2], large[7, 7], large[7, 2], large[2, 7]], 0.5 + grid.ravel()[[0, 3, 2, 1]], atol=1e-6)
    np.testing.assert_allclose(large[4, 2], 0.5 + 0.4 * 0.4, atol=1e-6)    # 0.4 of the way down
    np.testing.assert_allclose(large[0, 0], 0.5, atol=1e-6)               # clamped beyond the outer centres
    # the box of a region is the same background as the whole image's
    np.testing.assert_allclose(paper.background((10, 10), (1, 3, 8, 9)), large[3:9, 1:8], atol=1e-6)
    # the tiles covered part of the image: their centres sit in that part
    part = Paper((0.0,), True, 0.0, shading=grid, shading_span=(0.5, 0.5)).background((20, 20))
    np.testing.assert_allclose([part[2, 2], part[7, 7], part[15, 15]], [0.0, 0.6, 0.6], atol=1e-6)


def _piece(x0, y0, w, h):
    return Piece(y0, x0, np.ones((h, w), bool))


DIGITS = [_piece(300 + 60 * i, 270, 30, 50) for i in range(4)]    # rows 270-320, 50 high


def _kept(*pieces) -> list:
    return [p for p in drop_edge_strays(DIGITS + list(pieces), (H, W)) if not any(p is d for d in DIGITS)]


def test_slivers_along_the_edge_go_and_digits_stay():
    desk_edge = _piece(W - 10, 300, 10, 120)          # thin, longer than a digit, on the right edge only
    page_edge = _piece(100, H - 20, 300, 20)          # far longer than a digit, on the bottom edge only
    corner = _piece(600, 0, 19, 2)                    # on the top edge only, far above the digits
    first = _piece(0, 275, 28, 48)                    # a digit cut by the left edge: kept
    kept = drop_edge_strays(DIGITS + [desk_edge, page_edge, corner, first], (H, W))
    assert kept == DIGITS + [first]
    inside = _piece(1, 100, 300, 20)                  # the same long mark one pixel off the edge: not a stray
    assert _kept(inside) == [inside]


def test_how_long_how_thin_and_how_far_a_stray_is():
    right = W - 30
    # far longer than the digits (2.5 heights = 125 px), thick: only beyond that length
    assert _kept(_piece(right, 240, 30, 130)) == []
    assert len(_kept(_piece(right, 240, 30, 120))) == 1
    # longer than a digit (1.5 heights = 75 px) and thinner than 0.4 of one (20 px)
    assert _kept(_piece(W - 18, 250, 18, 80)) == []
    assert len(_kept(_piece(W - 22, 250, 22, 80))) == 1
    assert len(_kept(_piece(W - 18, 260, 18, 70))) == 1
    # above or below the digits' rows by more than half a digit (rows 245-345)
    assert _kept(_piece(right, 200, 30, 40)) == []         # ends at 240
    assert len(_kept(_piece(right, 210, 30, 40))) == 1     # ends at 250
    assert _kept(_piece(right, 350, 30, 40)) == []
    assert len(_kept(_piece(right, 340, 30, 40))) == 1
    # a speck inside does not widen the digits' rows
    speck = _piece(500, 100, 3, 3)
    assert drop_edge_strays(DIGITS + [speck, _piece(right, 200, 30, 40)], (H, W)) == DIGITS + [speck]
    # ... but a digit-sized mark inside does
    high = _piece(700, 150, 30, 50)
    assert len(drop_edge_strays(DIGITS + [high, _piece(right, 200, 30, 40)], (H, W))) == 6


def test_a_close_crop_keeps_its_digits_on_the_edge():
    tight = [_piece(0, 0, 40, 100), _piece(50, 0, 40, 100), _piece(100, 0, 60, 100)]
    assert drop_edge_strays(tight, (100, 160)) == tight


def test_a_sliver_of_desk_at_the_edge_no_longer_hides_the_strokes():
    image = page().copy()
    image[:, W - 12:] = 60                            # a dark desk showing along the right edge
    image[H - 15:, :] = 60                            # and along the bottom
    marks = find_marks(image)
    assert len(marks.pieces) == 4 and all(abs(c - x) <= 10 for c, x in zip(_columns(marks), STROKES)), _columns(marks)


def _step_page(dark_ink=True, noise=0.02, blob=False):
    """A 600x800 page whose right half is 0.1 darker (lighter, for light ink on dark paper), with
    pixel noise and a few thin strokes; `blob`: a solid square of ink three tiles wide as well."""
    rng = np.random.default_rng(1)
    paper = np.where(np.arange(W) < 400, 0.9, 0.8)[None, :].repeat(H, axis=0)
    ink = np.zeros((H, W), bool)
    for x in (150, 250, 550, 650):
        ink[250:330, x:x + 4] = True
    if blob:
        ink[100:160, 560:620] = True
    gray = np.where(ink, 0.3, paper) + rng.normal(0, noise, (H, W))
    gray = gray if dark_ink else 1 - gray
    return np.clip(gray, 0, 1).astype(np.float32)


@pytest.mark.parametrize("dark_ink", [True, False])
def test_the_shading_grid_finds_the_paper_to_half_a_percent(dark_ink):
    gray = _step_page(dark_ink)
    paper = with_shading(gray, estimate_paper(gray))
    assert paper.dark_ink == dark_ink and paper.shading is not None
    background = paper.background(gray.shape)
    expected = (0.9, 0.8) if dark_ink else (0.1, 0.2)
    # away from the step, under the strokes too: the paper, the noise's offset taken off
    for (y, x), want in (((100, 100), expected[0]), ((290, 150), expected[0]), ((500, 700), expected[1]),
                         ((290, 650), expected[1])):
        assert abs(float(background[y, x]) - want) < 0.005, (y, x, background[y, x], want)


def test_ink_filling_a_few_tiles_is_not_taken_for_shade():
    gray = _step_page(blob=True)
    background = with_shading(gray, estimate_paper(gray)).background(gray.shape)
    # the tiles all under the blob keep the smooth surface (between the halves' 0.9 and 0.8), not the ink's 0.3;
    # the blob's edge tiles have paper enough and find the right half's 0.8
    assert 0.78 < float(background[130, 590]) < 0.92, background[130, 590]
    assert abs(float(background[105, 565]) - 0.8) < 0.01, background[105, 565]
