"""core.inside.why (saliency, Grad-CAM, feature maps) and core.models.epoch_history (CSV export)."""
import csv
import subprocess
import sys

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.why import Inspector, heat_colours, heat_overlay, normalize_maps
from hwr_desktop.core.models.epoch_history import history_column, write_history_csv

QUADRANT = np.zeros((28, 28), np.float32)
QUADRANT[:14, :14] = 1.0       # the only pixels class 3 of the linear model below looks at


def linear_model(softmax: bool = False):
    """Identity 1x1 convolution, then class 3's logit = 0.1 x the top-left quadrant's sum; others 0.

    Small weights keep a softmax output away from saturation (p = 1.0 in float32), where every
    gradient vanishes: the reason our own models output logits.
    """
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((28, 28, 1)),
                              layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones"),
                              layers.Flatten(),
                              layers.Dense(10, activation="softmax" if softmax else None)])
    kernel = np.zeros((784, 10), np.float32)
    kernel[:, 3] = 0.1 * QUADRANT.ravel()
    model.layers[-1].set_weights([kernel, np.zeros(10, np.float32)])
    return model


@pytest.fixture(scope="module")
def good_model(request):
    """The bundled model if present, else the session's tiny trained model (trained only if needed)."""
    from hwr_desktop.core.models.modelfile import load_model
    from hwr_desktop.resources import default_model_path
    path = default_model_path() if default_model_path().exists() else request.getfixturevalue("tiny_model_file")
    return load_model(path)[0]


@pytest.fixture(scope="module")
def digit(mnist):
    return mnist.x_test[0] / 255.0     # a 7


@pytest.mark.parametrize("preset, shape", [("keras-example", (32, 26, 26)), ("quick", (32, 14, 14)),
                                           ("default", (32, 28, 28))])
def test_feature_maps_of_every_preset(preset, shape, digit):
    from hwr_desktop.core.network.presets import build_model
    inspector = Inspector(build_model(preset))
    maps = inspector.feature_maps(digit)
    assert maps.shape == shape and inspector.feature_count == shape[0]
    assert maps.min() >= 0          # the block's output: after the ReLU (Conv2D's own or the block's)
    heat = inspector.saliency(digit)
    cam = inspector.grad_cam(digit)
    for m in (heat, cam):
        assert m.shape == (28, 28) and m.dtype == np.float32 and m.min() >= 0 and m.max() <= 1


def test_feature_maps_are_the_first_convolution(digit):
    import tensorflow as tf

    from hwr_desktop.core.network.presets import build_model
    model = build_model("keras-example")
    kernel, bias = model.layers[0].get_weights()
    expected = tf.nn.relu(tf.nn.conv2d(digit[None, ..., None].astype(np.float32), kernel, 1, "VALID") + bias)
    np.testing.assert_allclose(Inspector(model).feature_maps(digit), np.moveaxis(expected.numpy()[0], -1, 0),
                               atol=1e-5)


@pytest.mark.parametrize("softmax", [False, True])
def test_saliency_and_grad_cam_on_a_model_with_a_known_answer(softmax, digit):
    # d logit_3 / d pixel is 0.1 in the quadrant and 0 elsewhere, whatever the noise; through a softmax
    # (scored as a log-probability) the gradient is (1 - p_3) times that: the same map once normalized.
    inspector = Inspector(linear_model(softmax), outputs_are_probabilities=softmax)
    image = np.zeros((28, 28), np.float32)
    image[4:12, 6:9] = 1.0
    image[20:24, 20:24] = 0.5      # ink outside the quadrant: class 3 ignores it
    assert inspector.predicted_class(image) == 3
    # Saliency (gradient x input, unblurred): the ink inside the quadrant, all equally; nothing else.
    np.testing.assert_allclose(inspector.saliency(image, smooth=0), QUADRANT * (image > 0), atol=1e-5)
    assert inspector.saliency(image)[16:, 16:].max() == 0
    # Grad-CAM: one channel (the image itself) with a positive mean gradient, so the map is the image.
    np.testing.assert_allclose(inspector.grad_cam(image, target=3), image / image.max(), atol=1e-5)


def _logit_after_erasing(model, image, pixels, target):
    erased = image.copy().ravel()
    erased[pixels] = 0
    return float(model(erased.reshape(1, 28, 28, 1), training=False).numpy()[0, target])


def _distance_to_ink(image: np.ndarray) -> np.ndarray:
    ink = np.argwhere(image >= 0.01)
    pixels = np.indices(image.shape).reshape(2, -1).T
    return np.sqrt(((pixels[:, None, :] - ink[None]) ** 2).sum(-1)).min(axis=1).reshape(image.shape)


def test_saliency_marks_the_ink_the_answer_depends_on(good_model, mnist):
    # Faithfulness, the "deletion" check: erasing the third of the ink that the map rates highest
    # must hurt the answer's score more than erasing the third it rates lowest.
    inspector = Inspector(good_model)
    hurts_more = []
    for i in range(10):
        image = (mnist.x_test[i] / 255.0).astype(np.float32)
        target = inspector.predicted_class(image)
        heat = inspector.saliency(image, target)
        np.testing.assert_array_equal(heat, inspector.saliency(image, target))   # seeded noise
        # The evidence is on the drawing, not beside it. The 0.7-px blur lends the pixels touching a
        # stroke part of its value (up to ~0.5), so "beside" means 2 px or more away from any ink.
        assert heat[_distance_to_ink(image) >= 2].max() < 0.05
        ink = np.flatnonzero(image.ravel() > 0.2)
        ranked = ink[np.argsort(-heat.ravel()[ink], kind="stable")]
        k = len(ink) // 3
        hurts_more.append(_logit_after_erasing(good_model, image, ranked[:k], target)
                          < _logit_after_erasing(good_model, image, ranked[-k:], target))
    assert sum(hurts_more) >= 8, hurts_more


def test_grad_cam_of_a_trained_model_points_at_the_digit(good_model, mnist):
    inspector = Inspector(good_model)
    inside = []
    for i in range(10):
        image = mnist.x_test[i] / 255.0
        cam = inspector.grad_cam(image)
        if cam.max() == 0:       # no positive evidence at that layer: an honest, empty map
            inside.append(False)
            continue
        assert cam.max() == pytest.approx(1.0)
        ys, xs = np.nonzero(image > 0.3)
        peak = np.unravel_index(cam.argmax(), cam.shape)
        inside.append(ys.min() - 3 <= peak[0] <= ys.max() + 3 and xs.min() - 3 <= peak[1] <= xs.max() + 3)
    assert sum(inside) >= 7, inside


def test_models_without_a_convolution_are_refused_clearly():
    import keras
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(HwrError, match="no convolution layer"):
        Inspector(model)


def test_normalize_maps_and_overlay_colours():
    maps = np.stack([np.full((5, 5), 3.0), np.arange(25, dtype=np.float32).reshape(5, 5)])
    norm = normalize_maps(maps)
    assert np.all(norm[0] == 0) and norm[1].min() == 0 and norm[1].max() == 1   # flat map: blank, not NaN
    np.testing.assert_array_equal(heat_colours(np.array([[0.0, 1.0]]))[0], [[0, 0, 0], [255, 255, 120]])
    image = np.zeros((28, 28), np.float32)
    image[10, 10] = 1.0
    heat = np.zeros((28, 28), np.float32)
    out = heat_overlay(image, heat)
    assert out.shape == (28, 28, 3) and out.dtype == np.uint8
    assert tuple(out[10, 10]) == (178, 178, 178) and out[0, 0].sum() == 0   # no heat: the grey input
    heat[0, 0] = 1.0
    assert heat_overlay(image, heat)[0, 0, 0] > 150                          # hot pixel turns yellow


def test_history_csv_round_trip(tmp_path):
    history = [{"val_accuracy": 0.95, "epoch": 1, "loss": 0.5, "accuracy": 0.9, "val_loss": 0.2, "seconds": 3.5,
                "epochs": 2},
               {"epoch": 2, "loss": 0.25, "accuracy": 0.95, "val_loss": 0.1, "val_accuracy": 0.97, "seconds": 3.0,
                "epochs": 2}]
    path = write_history_csv(history, tmp_path / "h.csv")
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "epochs"]
    assert rows[1] == ["1", "0.5", "0.9", "0.2", "0.95", "3.5", "2"] and len(rows) == 3
    assert history_column(history, "val_loss") == ([1.0, 2.0], [0.2, 0.1])
    with pytest.raises(HwrError, match="no training history"):
        write_history_csv([], tmp_path / "empty.csv")
    with pytest.raises(HwrError, match="cannot write"):
        write_history_csv(history, tmp_path / "missing-folder" / "h.csv")


def test_why_and_epoch_history_import_without_qt():
    code = ("import sys\nimport hwr_desktop.core.inside.why, hwr_desktop.core.models.epoch_history\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
