"""The Deskew layer (core/network/deskew.py): what it does to strokes, and that its models load in safe mode."""
import numpy as np
import pytest

from hwr_desktop.core.models.modelfile import load_model, make_metadata, save_model
from hwr_desktop.core.network.deskew import Deskew
from hwr_desktop.core.network.presets import build_model


def moments(image):
    """(mean_x, mean_y, skew) of a (28, 28) image, as the layer defines them, in plain numpy."""
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float64)
    total = image.sum()
    mx, my = (image * xs).sum() / total, (image * ys).sum() / total
    skew = (image * (xs - mx) * (ys - my)).sum() / (image * (ys - my) ** 2).sum()
    return mx, my, skew


def stroke(slope: float, x0: float = 10.0) -> np.ndarray:
    """A 2-px wide line from row 4 to row 23 whose column moves `slope` px per row."""
    image = np.zeros((28, 28), np.float32)
    for y in range(4, 24):
        x = int(round(x0 + slope * (y - 4)))
        image[y, x:x + 2] = 1.0
    return image


def deskewed(images: np.ndarray) -> np.ndarray:
    return np.asarray(Deskew()(images[..., None].astype(np.float32)))[..., 0]


def test_a_slanted_stroke_comes_out_upright_and_centred():
    image = stroke(0.4)
    assert moments(image)[2] == pytest.approx(0.4, abs=0.03)
    mx, my, skew = moments(deskewed(image[None])[0])
    assert abs(skew) < 0.03
    assert mx == pytest.approx(13.5, abs=0.3) and my == pytest.approx(13.5, abs=0.3)


def test_an_upright_centred_stroke_is_left_as_it_is():
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0                       # centre of mass (13.5, 13.5), no slant
    np.testing.assert_allclose(deskewed(image[None])[0], image, atol=1e-4)


def test_ink_is_kept_and_blank_images_stay_blank(mnist):
    images = mnist.x_test[:64].astype(np.float32) / 255.0
    out = deskewed(np.concatenate([images, np.zeros((1, 28, 28), np.float32)]))
    ink_ratio = out[:64].sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert ink_ratio.min() > 0.95 and ink_ratio.max() < 1.05, (ink_ratio.min(), ink_ratio.max())
    assert np.all(np.isfinite(out)) and not out[64].any()
    # MNIST digits are slanted both ways; afterwards none is slanted by more than a few percent.
    before = np.array([abs(moments(i)[2]) for i in images])
    after = np.array([abs(moments(o)[2]) for o in out[:64]])
    assert before.max() > 0.3 and after.max() < 0.05, (before.max(), after.max())


def test_a_deskew_model_saves_and_loads_in_safe_mode(tmp_path, mnist):
    model = build_model("deskew")
    assert isinstance(model.layers[0], Deskew)
    path = save_model(model, tmp_path / "deskew.keras", make_metadata("deskew"))
    loaded, meta = load_model(path)                # load_model uses safe_mode=True
    images = mnist.x_test[:8].astype(np.float32)[..., None] / 255.0
    np.testing.assert_allclose(np.asarray(loaded(images)), np.asarray(model(images)), atol=1e-5)
    assert meta["preset"] == "deskew" and meta["outputs"] == "logits"


def test_maps_of_the_deskewed_digit_go_back_onto_the_drawing():
    image = stroke(0.5, x0=8.0)
    batch = image[None, ..., None]
    back = np.asarray(Deskew().to_input_grid(Deskew()(batch), batch))[0, ..., 0]
    assert np.corrcoef(back.ravel(), image.ravel())[0, 1] > 0.9
    assert np.corrcoef(deskewed(image[None])[0].ravel(), image.ravel())[0, 1] < 0.5   # it did move


def test_grad_cam_of_a_deskew_network_lies_on_the_strokes():
    # Deskew -> identity convolution -> global average -> sum: the last conv block's maps are the
    # deskewed image and every gradient is positive, so Grad-CAM is that image, which the view
    # must show over the strokes as drawn.
    import keras

    from hwr_desktop.core.inside.why import Inspector
    conv = keras.layers.Conv2D(1, 3, padding="same", use_bias=False)
    model = keras.Sequential([keras.Input((28, 28, 1)), Deskew(), conv, keras.layers.ReLU(),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
    kernel = np.zeros((3, 3, 1, 1), np.float32)
    kernel[1, 1] = 1.0
    conv.set_weights([kernel])
    model.layers[-1].set_weights([np.ones((1, 10), np.float32), np.zeros(10, np.float32)])
    image = stroke(0.5, x0=8.0)
    cam = Inspector(model).grad_cam(image, target=3)
    assert np.corrcoef(cam.ravel(), image.ravel())[0, 1] > 0.9
