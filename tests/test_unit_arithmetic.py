"""core.inside.unit_arithmetic: one unit worked out in float64 numpy equals what Keras computes, to 1e-4."""
from __future__ import annotations

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.layer_activations import layer_outputs
from hwr_desktop.core.inside.receptive_field import Box
from hwr_desktop.core.inside.unit_arithmetic import activate, conv_unit, dense_unit
from hwr_desktop.resources import default_model_path
from tests.inside_nets import DESKEWING, VARIED, digit, randomized

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def varied():
    return randomized(VARIED, seed=3)


@pytest.fixture(scope="module")
def bundled():
    from hwr_desktop.core.models.modelfile import load_model
    return load_model(default_model_path())[0]


def _corners_and_middle(h, w):
    return [(0, 0), (h - 1, w - 1), (0, w - 1), (h // 2, w // 3)]


def _assert_agrees(unit):
    assert unit.error <= TOLERANCE, (unit.layer_name, unit.value, unit.framework)
    for step in unit.then:
        assert abs(step.value - step.framework) <= TOLERANCE, (step.name, step.value, step.framework)


# Layer 0: Conv2D 3x3, stride 2, 'same', bias, relu. 1: 3x5 'valid', no bias, then BN and ReLU.
# 4: SeparableConv2D 'same' tanh. 5: DepthwiseConv2D 2x2 stride 2 'valid' gelu.
@pytest.mark.parametrize("index", [0, 1, 4, 5])
def test_conv_units_of_every_kind_match_keras(varied, mnist, index):
    image = digit(mnist, 7)
    outputs = layer_outputs(varied, image)
    h, w, channels = outputs[index].shape
    for n, (y, x) in enumerate(_corners_and_middle(h, w)):
        unit = conv_unit(varied, index, image, y, x, (3 * n + 1) % channels, outputs=outputs)
        _assert_agrees(unit)
        assert unit.kernel.shape == unit.patch.shape
        assert unit.products_sum == pytest.approx(float((unit.kernel * unit.patch).sum()))
        assert unit.pre_activation == pytest.approx(unit.products_sum + (unit.bias or 0.0))
        assert unit.value == pytest.approx(float(activate(unit.activation, np.array([unit.pre_activation]))[0]))
    assert unit.activation == ["relu", "linear", None, None, "tanh", "gelu"][index]
    if index == 1:
        assert unit.bias is None and [s.type for s in unit.then] == ["BatchNormalization", "ReLU"]
        assert "no bias and no activation" in unit.note
    if index == 4:
        assert "separable" in unit.note and unit.kernel.shape == (3, 3, 5)
    if index == 5:
        assert len(unit.input_channels) == 1 and unit.kernel.shape == (2, 2, 1)


def test_same_padding_reads_zeros_outside_and_the_box_is_tensorflows(varied, mnist):
    image = digit(mnist, 7)
    unit = conv_unit(varied, 0, image, 13, 0, 2)
    # 28 -> 14 with a 3x3 window and stride 2: one row/column of padding in all, after (bottom/right).
    assert unit.input_box == Box(26, 0, 29, 3) and unit.receptive_field == Box(26, 0, 29, 3)
    assert np.all(unit.patch[2] == 0.0)
    np.testing.assert_array_equal(unit.patch[:2, :, 0], image[26:28, 0:3])
    _assert_agrees(unit)


def test_receptive_field_is_exactly_the_pixels_that_matter(varied, mnist):
    """Pixels outside the box cannot change the unit; the box is the smallest such one."""
    image = digit(mnist, 7)
    index, y, x, channel = 5, 1, 2, 3
    box = conv_unit(varied, index, image, y, x, channel).receptive_field
    inside = box.clipped()
    assert (inside.height, inside.width) == (box.height, box.width)  # away from the edges here
    changed = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    outside = changed.copy()
    outside[inside.top:inside.bottom, inside.left:inside.right] = image[inside.top:inside.bottom,
                                                                        inside.left:inside.right]
    before = layer_outputs(varied, image)[index][y, x, channel]
    assert layer_outputs(varied, outside)[index][y, x, channel] == before
    # Changing the box's corner rows and columns does change it: no smaller box would do.
    for r, c in [(inside.top, inside.left), (inside.bottom - 1, inside.right - 1)]:
        poked = image.copy()
        poked[r, :] = 1.0 - poked[r, :]
        poked[:, c] = 1.0 - poked[:, c]
        assert layer_outputs(varied, poked)[index][y, x, channel] != before


@pytest.mark.parametrize("index", [8, 10])
def test_dense_units_match_keras_with_contributions_sorted(varied, mnist, index):
    image = digit(mnist, 11)
    outputs = layer_outputs(varied, image)
    for unit_index in (0, 9):
        unit = dense_unit(varied, index, image, unit_index, top=6, outputs=outputs)
        _assert_agrees(unit)
        assert unit.products_sum == pytest.approx(float((unit.inputs * unit.weights).sum()))
        sizes = [abs(c.product) for c in unit.strongest]
        assert len(sizes) == 6 and sizes == sorted(sizes, reverse=True)
        assert sizes[0] == pytest.approx(np.abs(unit.inputs * unit.weights).max())
        if index == 8:   # its inputs are the flattened maps of layer 6: positions point back into them
            for c in unit.strongest:
                assert outputs[6][c.position] == pytest.approx(c.value)
    assert unit.activation == ("elu" if index == 8 else "linear")


def test_default_preset_conv_without_bias_is_shown_with_its_batch_norm_and_relu(bundled, mnist):
    image = digit(mnist, 0)
    outputs = layer_outputs(bundled, image)
    for index, (y, x, channel) in [(0, (0, 0, 5)), (0, (14, 9, 30)), (7, (6, 6, 37)), (14, (3, 3, 111))]:
        unit = conv_unit(bundled, index, image, y, x, channel, outputs=outputs)
        _assert_agrees(unit)
        assert unit.bias is None and unit.activation == "linear" and "no bias" in unit.note
        assert [s.type for s in unit.then] == ["BatchNormalization", "ReLU"]
    # Five 3x3 convolutions and two 2x2 poolings: a 24x24 field, reaching 10 px outside from a corner.
    assert unit.receptive_field == Box(2, 2, 26, 26)
    assert conv_unit(bundled, 14, image, 0, 0, 0, outputs=outputs).receptive_field == Box(-10, -10, 14, 14)
    logit = dense_unit(bundled, 20, image, int(mnist.y_test[0]), outputs=outputs)
    _assert_agrees(logit)
    assert logit.value == pytest.approx(float(outputs[20].max()), abs=TOLERANCE)
    with pytest.raises(HwrError, match="not a convolution"):
        conv_unit(bundled, 1, image, 0, 0, 0)
    with pytest.raises(HwrError, match="outside"):
        conv_unit(bundled, 0, image, 28, 0, 0)


def test_keras_example_conv_with_relu_and_bias(mnist):
    from hwr_desktop.core.network.presets import KERAS_EXAMPLE
    model = randomized(KERAS_EXAMPLE, seed=5)
    image = digit(mnist, 2)
    outputs = layer_outputs(model, image)
    for index, where in [(0, (0, 25, 31)), (0, (12, 13, 0)), (2, (10, 0, 63)), (2, (4, 7, 12))]:
        unit = conv_unit(model, index, image, *where, outputs=outputs)
        _assert_agrees(unit)
        assert unit.bias is not None and unit.activation == "relu" and unit.then == ()
    assert conv_unit(model, 2, image, 0, 0, 0).receptive_field == Box(0, 0, 8, 8)
    _assert_agrees(dense_unit(model, 6, image, 4, outputs=outputs))


def test_deskewing_network_reads_the_deskewed_digit(mnist):
    model = randomized(DESKEWING, seed=4)
    image = digit(mnist, 9)
    outputs = layer_outputs(model, image)
    unit = conv_unit(model, 1, image, 10, 12, 2, outputs=outputs)
    _assert_agrees(unit)
    assert unit.on_deskewed
    np.testing.assert_allclose(unit.patch[..., 0], outputs[0][10:15, 12:17, 0])
    _assert_agrees(conv_unit(model, 3, image, 5, 5, 7, outputs=outputs))
