"""core/data/preprocess.py piece by piece against values worked out by hand (issue 33; numpy only).

tests/test_preprocess.py checks the whole pipeline on drawings; these pin each step's arithmetic
and its edges (where a `<` and a `<=` differ), so that a one-character change is seen.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from hwr_desktop.core.data.preprocess import (
    MAX_SIDE,
    Paper,
    _robust_sigma,
    _scale_to_unit,
    _shift,
    as_batch,
    border_ring,
    centre_of_mass,
    estimate_paper,
    fit_to_mnist,
    ink_is_dark,
    ink_map,
    pixel_noise,
    to_gray,
)
from hwr_desktop.core.errors import ImageError


def test_pixel_types_are_scaled_to_0_1():
    np.testing.assert_array_equal(_scale_to_unit(np.array([True, False])), [1.0, 0.0])
    np.testing.assert_allclose(_scale_to_unit(np.array([0, 51, 255], np.int32)), [0.0, 0.2, 1.0])
    # beyond 0..255: the type's own range (int16: 32767), negatives clipped to 0
    np.testing.assert_allclose(_scale_to_unit(np.array([-5, 256, 32767], np.int16)), [0.0, 256 / 32767, 1.0])
    np.testing.assert_allclose(_scale_to_unit(np.array([0, 255, 256], np.uint16)), [0.0, 255 / 65535, 256 / 65535])
    assert _scale_to_unit(np.zeros((0, 3), np.int64)).shape == (0, 3)
    # floats: [0, 1] as they are; 0..255 divided; nan 0, inf 1, -inf 0
    np.testing.assert_allclose(_scale_to_unit(np.array([0.0, 0.5, 1.0])), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(_scale_to_unit(np.array([0.0, 1.02, 255.0])), [0.0, 0.004, 1.0])
    np.testing.assert_array_equal(_scale_to_unit(np.array([np.nan, np.inf, -np.inf, -0.5])), [0.0, 1.0, 0.0, 0.0])
    with pytest.raises(ImageError, match="unsupported pixel type"):
        _scale_to_unit(np.array(["a"]))


def test_gray_and_alpha_and_rgba_by_hand():
    np.testing.assert_allclose(to_gray(np.full((2, 2, 1), 51, np.uint8)), [[0.2, 0.2], [0.2, 0.2]])
    # gray + alpha, fully opaque: the gray as it is
    ga = np.dstack([np.array([[0, 255], [255, 255]], np.uint8), np.full((2, 2), 255, np.uint8)])
    np.testing.assert_allclose(to_gray(ga), [[0.0, 1.0], [1.0, 1.0]])
    # mostly opaque (3 of 4 pixels alpha > 0.5): the rest falls on the median of the opaque gray
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = [[[255] * 3, [255] * 3], [[0] * 3, [204] * 3]]      # grays 1, 1, 0, 0.8
    rgba[..., 3] = [[255, 255], [255, 0]]                                # the 0.8 pixel is transparent
    np.testing.assert_allclose(to_gray(rgba), [[1.0, 1.0], [0.0, 1.0]], atol=1e-6)   # median of 1, 1, 0
    # mostly transparent, ink light (alpha-weighted gray 1 >= 0.5): a black background
    light = np.zeros((2, 2, 2), np.uint8)
    light[0, 0] = [255, 255]
    light[0, 1] = [255, 128]                                          # alpha 0.502: opaque, but 2 of 4 is not most
    np.testing.assert_allclose(to_gray(light), [[1.0, 128 / 255], [0.0, 0.0]], atol=1e-6)
    # ... ink dark (weighted gray 0.2 < 0.5): a white background
    dark = np.zeros((2, 2, 2), np.uint8)
    dark[0, 0] = [51, 255]
    out = to_gray(dark)
    np.testing.assert_allclose(out, [[0.2, 1.0], [1.0, 1.0]], atol=1e-6)
    # ink at exactly half gray: not dark (< 0.5 is), so a black background
    half = np.zeros((1, 4, 2), np.float32)
    half[0, 0] = [0.5, 1.0]
    np.testing.assert_allclose(to_gray(half), [[0.5, 0.0, 0.0, 0.0]])
    # an alpha of exactly 0.5 is not opaque: with 2 of 4 opaque, the others get the contrasting colour
    edge = np.zeros((1, 4, 2), np.float32)
    edge[0, :, 0] = 0.0
    edge[0, :, 1] = [1.0, 1.0, 0.5, 0.0]
    np.testing.assert_allclose(to_gray(edge), [[0.0, 0.0, 0.5, 1.0]])


def test_image_size_and_shape_limits():
    assert to_gray(np.zeros((1, MAX_SIDE), np.uint8)).shape == (1, MAX_SIDE) and MAX_SIDE == 20000
    with pytest.raises(ImageError, match="too large"):
        to_gray(np.zeros((1, MAX_SIDE + 1), np.uint8))
    with pytest.raises(ImageError, match="too large"):
        to_gray(np.zeros((MAX_SIDE + 1, 1), np.uint8))
    for empty in (np.zeros((0, 5)), np.zeros((5, 0)), np.zeros((0, 5, 3))):
        with pytest.raises(ImageError, match="empty"):
            to_gray(empty)
    for shape in ((4,), (2, 2, 5), (2, 2, 2, 2)):
        with pytest.raises(ImageError, match="unsupported image shape"):
            to_gray(np.zeros(shape))


def test_the_border_ring_is_the_outer_twentieth():
    gray = np.arange(40 * 60, dtype=np.float32).reshape(40, 60)
    ring = border_ring(gray)                                    # min(40, 60) // 20 = 2 px
    mask = np.zeros((40, 60), bool)
    mask[:2], mask[-2:], mask[:, :2], mask[:, -2:] = True, True, True, True
    assert set(ring.tolist()) == set(gray[mask].tolist()) and len(ring) == 2 * 60 * 2 + 2 * 40 * 2
    assert len(border_ring(np.zeros((10, 30)))) == 30 * 2 + 10 * 2   # at least 1 px


def test_ink_map_inverts_light_paper_and_scales_to_peak_one():
    gray = np.full((20, 20), 0.9, np.float32)
    gray[8:12, 8:12] = 0.4                                      # ink 0.5 below the paper
    gray[10, 10] = 0.65                                         # half as much ink
    ink = ink_map(gray)
    assert ink[9, 9] == pytest.approx(1.0) and ink[10, 10] == pytest.approx(0.5) and ink[0, 0] == 0.0
    dark = np.full((20, 20), 0.5, np.float32)                   # paper at exactly 0.5: not inverted
    dark[5, 5] = 0.75
    assert ink_map(dark)[5, 5] == pytest.approx(1.0)
    faint = np.full((20, 20), 0.2, np.float32)
    faint[5, 5] = 0.3                                           # 0.1 above the paper: below 0.12, no ink
    assert ink_map(faint) is None
    faint[5, 5] = 0.33                                          # 0.13: ink
    assert ink_map(faint)[5, 5] == pytest.approx(1.0)


def test_shift_and_centre_of_mass_by_hand():
    image = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(_shift(image, 1, -2), [[0, 0, 0, 0], [3, 4, 0, 0], [7, 8, 0, 0]])
    np.testing.assert_array_equal(_shift(image, -2, 1), [[0, 9, 10, 11], [0, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(_shift(image, 0, 0), image)
    assert not _shift(image, 3, 0).any() and not _shift(image, 0, -4).any()
    mass = np.zeros((4, 5), np.float32)
    mass[1, 0], mass[3, 4] = 3.0, 1.0                            # rows (3 x 1 + 1 x 3) / 4, columns (0 + 4) / 4
    assert centre_of_mass(mass) == (pytest.approx(1.5), pytest.approx(1.0))


def test_fit_to_mnist_crops_scales_and_centres_by_hand():
    ink = np.zeros((50, 60), np.float32)
    ink[10:40, 20:35] = 1.0                                     # 30 tall x 15 wide: scaled 2/3 to 20 x 10
    ink[5, 5] = 0.25                                            # exactly INK_FRACTION: not in the box
    ink[45, 50] = 0.2
    image, box = fit_to_mnist(ink)
    assert box == (20, 10, 35, 40)
    rows = np.flatnonzero(image.max(axis=1) > 0.5)
    cols = np.flatnonzero(image.max(axis=0) > 0.5)
    assert (len(rows), len(cols)) == (20, 10) and image.max() == pytest.approx(1.0)
    # a symmetric block: its centre of mass lands on (14, 14) within rounding
    assert (rows[0] + rows[-1]) / 2 == pytest.approx(13.5, abs=0.5) and (cols[0] + cols[-1]) / 2 == pytest.approx(
        13.5, abs=0.5)
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14.0) <= 0.5 and abs(cx - 14.0) <= 0.5
    # a lone point: 1 px scaled to 20 x 20, centred
    point = np.zeros((9, 9), np.float32)
    point[2, 6] = 1.0
    image, box = fit_to_mnist(point)
    assert box == (6, 2, 7, 3) and image.shape == (28, 28)
    # a thin faint stroke keeps full brightness: the resized crop is divided by its own peak
    thin = np.zeros((40, 40), np.float32)
    thin[5:35, 20] = 0.3
    assert fit_to_mnist(thin)[0].max() == pytest.approx(1.0)
    assert fit_to_mnist(np.full((5, 5), 0.25, np.float32)) is None


def test_as_batch_shapes():
    assert as_batch(np.zeros((28, 28))).shape == (1, 28, 28, 1)
    assert as_batch(np.zeros((3, 28, 28))).shape == (3, 28, 28, 1)
    assert as_batch(np.zeros((2, 28, 28, 1))).shape == (2, 28, 28, 1)
    for bad in (np.zeros((2, 28, 28, 3)), np.zeros((2, 27, 28)), np.zeros(28)):
        with pytest.raises(ImageError, match="expected 28x28"):
            as_batch(bad)


def test_the_paper_surface_by_hand():
    # (u, v) = ((x + 0.5) / W, (y + 0.5) / H); 3 coefficients: a plane
    plane = Paper((0.5, 0.2, -0.4), True, 0.0)
    surface = plane.background((2, 4))
    u = (np.arange(4) + 0.5) / 4
    v = (np.arange(2) + 0.5) / 2
    np.testing.assert_allclose(surface, 0.5 + 0.2 * u[None, :] - 0.4 * v[:, None], rtol=1e-6)
    np.testing.assert_allclose(plane.background((2, 4), (1, 1, 3, 2)), surface[1:2, 1:3], rtol=1e-6)
    bent = Paper((0.1, 0.0, 0.0, 1.0, 2.0, 3.0), False, 0.0)
    expected = 0.1 + u[None, :] ** 2 + 2 * u[None, :] * v[:, None] + 3 * v[:, None] ** 2
    np.testing.assert_allclose(bent.background((2, 4)), expected, rtol=1e-6)
    # ink: dark ink is below the paper, light ink above it, clipped to 0..1
    gray = np.array([[0.1, 0.6]], np.float32)
    np.testing.assert_allclose(Paper((0.5,), True, 0.0).ink(gray), [[0.4, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(Paper((0.5,), False, 0.0).ink(gray), [[0.0, 0.1]], rtol=1e-5)
    # a region at an origin is measured against the paper there
    region = Paper((0.0, 1.0), False, 0.0).ink(np.ones((1, 1), np.float32), (1, 4), origin=(3, 0))
    assert region[0, 0] == pytest.approx(1.0 - 3.5 / 4)


def test_even_paper_is_one_value_everywhere_exactly_as_the_surface_of_one_term():
    even = Paper((0.8,), True, 0.0)
    flat = even.background((3, 5), (1, 0, 4, 2))
    assert flat.dtype == np.float32 and flat.shape == (2, 3) and (flat == np.float32(0.8)).all()
    # the same as the surface's sum with its other terms zero (the sum path, taken with 3 terms)
    assert (Paper((0.8, 0.0, 0.0), True, 0.0).background((3, 5), (1, 0, 4, 2)) == flat).all()
    from hwr_desktop.core.data.preprocess import blank_paper
    assert blank_paper() == Paper((1.0,), True, 0.0)     # a drawing: white, even, noiseless, dark ink


def test_noise_measures_by_hand():
    assert _robust_sigma(np.array([1.0, 2.0, 4.0, 10.0, 3.0])) == pytest.approx(1.4826 * 1.0)   # median 3, MAD 1
    stripes = np.tile(np.array([0.0, 0.1], np.float32), (4, 4))           # every neighbour differs by 0.1
    assert pixel_noise(stripes) == pytest.approx(1.4826 * 0.1 / math.sqrt(2), rel=1e-5)
    assert pixel_noise(np.zeros((3, 1), np.float32)) == 0.0               # no neighbours
    # 1,024 rows: every 2nd row is read (1024 // 512); the odd rows are flat and not seen
    tall = np.zeros((1024, 8), np.float32)
    tall[0::2] = np.tile([0.0, 0.1], 4)
    assert pixel_noise(tall) == pytest.approx(1.4826 * 0.1 / math.sqrt(2), rel=1e-5)


def test_polarity_judged_against_the_images_own_range():
    dim = np.full((20, 20), 0.4, np.float32)
    dim[8:12, 5:15] = 0.1                           # dark ink on dim paper (paper below 0.5)
    assert ink_is_dark(dim)
    light = np.full((20, 20), 0.1, np.float32)
    light[8:12, 5:15] = 0.6
    assert not ink_is_dark(light)
    tiny = np.full((7, 7), 0.6, np.float32)         # under 8 px: not blurred
    tiny[3, 3] = 0.0
    assert ink_is_dark(tiny) and not ink_is_dark(1.0 - tiny)


@pytest.mark.parametrize("dark", [True, False])
def test_estimate_paper_finds_flat_noisy_paper_under_ink(dark):
    rng = np.random.default_rng(0)
    sigma = 0.04
    gray = 0.6 + rng.normal(0.0, sigma, (128, 128)).astype(np.float32)
    gray[40:90, 60:66] = 0.1 if dark else 1.0       # a stroke
    paper = estimate_paper(gray)
    assert paper.dark_ink is dark and paper.noise == pytest.approx(sigma, rel=0.1)
    # the tiles' 75th (25th) percentile sits 0.67 sigma above (below) the paper: taken back off
    assert paper.coefficients[0] == pytest.approx(0.6, abs=0.5 * sigma) and len(paper.coefficients) == 6
    np.testing.assert_allclose(paper.background((128, 128)), 0.6, atol=0.5 * sigma)


def test_estimate_paper_follows_lighting_and_uses_fewer_terms_on_few_tiles():
    # lighting falling from 0.9 to 0.5 across the page, no noise: the plane is found
    h, w = 64, 64
    u = (np.arange(w) + 0.5) / w
    gray = np.tile(0.9 - 0.4 * u, (h, 1)).astype(np.float32)
    gray[20:40, 30:34] = 0.1
    paper = estimate_paper(gray)
    np.testing.assert_allclose(paper.background((h, w))[0, [0, 32, 63]], gray[0, [0, 32, 63]], atol=0.04)
    # 12 x 12 px: 3 x 3 tiles (9 values): constant then plane, 3 coefficients
    assert len(estimate_paper(np.full((12, 12), 0.7, np.float32)).coefficients) == 3
    # 8 x 8 px: 2 x 2 tiles: only the median, 1 coefficient
    small = estimate_paper(np.full((8, 8), 0.7, np.float32))
    assert small.coefficients == pytest.approx((0.7,)) and small.noise == 0.0


def test_float_pixels_above_one_are_read_as_0_255_and_capped():
    np.testing.assert_allclose(_scale_to_unit(np.array([0.0, 1.5])), [0.0, 1.5 / 255])
    np.testing.assert_allclose(_scale_to_unit(np.array([0.0, 300.0])), [0.0, 1.0])
    with pytest.raises(ImageError, match=r"too large \(20001x1 pixels\)"):
        to_gray(np.zeros((1, MAX_SIDE + 1), np.uint8))


def test_transparent_backgrounds_by_hand():
    # nothing opaque at all: no ink to contrast with, white paper
    np.testing.assert_array_equal(to_gray(np.zeros((1, 3, 2), np.float32)), [[1.0, 1.0, 1.0]])
    # two of four opaque (not most), both gray 0.3: the alpha-weighted ink 0.6 / 2 = 0.3 is dark, white paper
    half = np.zeros((1, 4, 2), np.float32)
    half[0, :2] = [0.3, 1.0]
    np.testing.assert_allclose(to_gray(half), [[0.3, 0.3, 1.0, 1.0]])


def test_a_one_pixel_line_stays_one_pixel_thin():
    for shape, index in (((40, 40), (slice(5, 35), 20)), ((40, 40), (20, slice(5, 35)))):
        ink = np.zeros(shape, np.float32)
        ink[index] = 1.0
        image, _ = fit_to_mnist(ink)
        rows, cols = np.flatnonzero(image.max(axis=1) > 0), np.flatnonzero(image.max(axis=0) > 0)
        assert sorted((len(rows), len(cols))) == [1, 20]


def test_paper_ink_measured_at_the_origin_by_default_and_capped_at_one():
    across = Paper((0.0, 1.0), False, 0.0)                 # background u = (x + 0.5) / 4
    np.testing.assert_allclose(across.ink(np.ones((1, 4), np.float32)), [[0.875, 0.625, 0.375, 0.125]])
    down = Paper((0.0, 0.0, 1.0), False, 0.0)              # background v = (y + 0.5) / 2
    np.testing.assert_allclose(down.ink(np.ones((2, 1), np.float32)), [[0.75], [0.25]])
    below = Paper((-0.5,), False, 0.0)                     # paper extrapolated below 0: ink still at most 1
    assert below.ink(np.ones((1, 1), np.float32))[0, 0] == 1.0


def test_noise_reads_every_row_of_a_small_image():
    rows = np.zeros((4, 8), np.float32)
    rows[0::2] = np.tile([0.0, 0.1], 4)                    # half the differences 0.1, half 0: median 0.05
    assert pixel_noise(rows) == pytest.approx(1.4826 * 0.05 / math.sqrt(2), rel=1e-5)


def test_shrink_to_height_averages_boxes_and_keeps_short_images():
    from hwr_desktop.core.data.images import shrink_to_height
    image = np.full((4, 8), 255, np.uint8)
    image[:2, :2] = 0                                     # one 2x2 block of ink: one black output pixel
    small = shrink_to_height(image, 2)
    assert small.shape == (2, 4) and small.tolist() == [[0, 255, 255, 255], [255, 255, 255, 255]]
    half_ink = image.copy()
    half_ink[:2, 2] = 0                                   # half of the next block: its mean
    assert shrink_to_height(half_ink, 2)[0, 1] == 128
    assert shrink_to_height(image, 4) is image and shrink_to_height(image, 9) is image
