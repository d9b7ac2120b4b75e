import numpy as np
import pytest

from hwr_desktop.core.data.preprocess import centre_of_mass, normalize_mnist, preprocess, to_gray
from hwr_desktop.core.errors import ImageError
from tests.conftest import draw_digit_like


def blank(h=60, w=40, value=255):
    return np.full((h, w), value, np.uint8)


def test_normalize_mnist_shape_and_range():
    images = np.zeros((3, 28, 28), np.uint8)
    images[1, 5, 5], images[2, 0, 0] = 255, 51
    out = normalize_mnist(images)
    assert out.shape == (3, 28, 28, 1) and out.dtype == np.float32
    assert out[1, 5, 5, 0] == 1.0 and out[2, 0, 0, 0] == pytest.approx(0.2) and out[0].max() == 0.0


def test_blank_images_yield_no_digit():
    assert preprocess(blank(value=255)) is None
    assert preprocess(blank(value=0)) is None
    assert preprocess(blank(value=128)) is None
    faint = blank(value=255)
    faint[20:30, 10:20] = 250  # 2 % contrast: paper texture, not ink
    assert preprocess(faint) is None


def test_polarity_dark_on_light_equals_light_on_dark():
    img = blank(value=255)
    img[10:50, 18:22] = 0  # a vertical bar, dark ink on white paper
    a = preprocess(img)
    b = preprocess(255 - img)
    assert a is not None and b is not None
    np.testing.assert_allclose(a.image, b.image, atol=1e-6)
    assert a.image[:, 14].max() == pytest.approx(1.0)  # ink is light in the output, as in MNIST
    assert a.image[0, 0] == 0.0


def test_crop_and_aspect_ratio_are_kept():
    img = blank(200, 200)
    img[20:180, 60:100] = 0  # 160 tall x 40 wide: 4:1
    out = preprocess(img)
    assert out.box == (60, 20, 100, 180)
    rows = np.flatnonzero(out.image.max(axis=1) > 0.5)
    cols = np.flatnonzero(out.image.max(axis=0) > 0.5)
    assert rows[-1] - rows[0] + 1 == 20                       # longer side scaled to 20 px
    assert 4 <= cols[-1] - cols[0] + 1 <= 6                   # 40/160*20 = 5, aspect kept


def test_centre_of_mass_is_moved_to_the_centre():
    img = blank(100, 300)
    img[5:40, 250:290] = 0      # ink in the top-right corner
    img[30:40, 200:260] = 0     # with a tail to the left: off-centre mass
    out = preprocess(img)
    cy, cx = centre_of_mass(out.image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_mnist_digits_pass_through_nearly_unchanged(mnist):
    diffs = [np.abs(preprocess(x).image - x / 255.0).mean() for x in mnist.x_test[:100]]
    assert np.mean(diffs) < 0.01


def test_upscaled_inverted_colour_digit_matches_original(mnist):
    x = mnist.x_test[3]
    big = draw_digit_like(x, scale=10)
    rgb = np.stack([big, big // 2, big], axis=-1)   # purple-ish ink, white paper
    out = preprocess(rgb)
    assert np.abs(out.image - x / 255.0).mean() < 0.03


def test_transparent_png_strokes_are_flattened():
    rgba = np.zeros((50, 50, 4), np.uint8)              # transparent black everywhere
    rgba[10:40, 24:27] = (0, 0, 0, 255)                 # opaque black stroke
    dark = preprocess(rgba)
    rgba[10:40, 24:27] = (255, 255, 255, 255)           # opaque white stroke
    light = preprocess(rgba)
    assert dark is not None and light is not None
    np.testing.assert_allclose(dark.image, light.image, atol=1e-5)


@pytest.mark.parametrize(("bad", "message"), [
    (np.zeros((0, 5)), r"the image is empty \(0 pixels\)"), (np.zeros((4, 4, 7)), r"unsupported image shape \(4, 4, 7\)"),
    (np.zeros((2, 2, 2, 2)), r"unsupported image shape \(2, 2, 2, 2\)"), (np.array(["a"]), r"unsupported image shape \(1,\)")])
def test_bad_arrays_get_clear_errors(bad, message):
    with pytest.raises(ImageError, match=message):
        preprocess(bad)


def test_dtypes_are_scaled():
    assert to_gray(np.array([[0, 65535]], np.uint16)).tolist() == [[0.0, 1.0]]
    assert to_gray(np.array([[False, True]])).tolist() == [[0.0, 1.0]]
    assert to_gray(np.array([[np.nan, 2.0]])).max() <= 1.0
