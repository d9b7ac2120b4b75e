"""core.inside.feature_projection: the classifier's features of many images on a 2-D map (PCA), deterministic."""
from __future__ import annotations

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.feature_projection import (
    FeatureExtractor,
    classifier_input_index,
    digit_map,
    fit_pca,
    mnist_test_map,
)
from hwr_desktop.core.inside.layer_activations import LayerProbe
from hwr_desktop.resources import default_model_path
from tests.inside_nets import DESKEWING, VARIED, digit, randomized

COUNT = 300


def test_pca_finds_the_main_directions_with_a_fixed_sign_and_is_deterministic():
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    data = rng.standard_normal((500, 40)) * np.r_[10.0, 5.0, np.full(38, 0.5)] @ basis.T + 3.0
    first, again = fit_pca(data, seed=7), fit_pca(data, seed=7)
    np.testing.assert_array_equal(first.components, again.components)
    np.testing.assert_array_equal(first.project(data), again.project(data))
    # The exact principal components (SVD), up to a sign that the rule fixes (largest loading positive),
    # and close to the two strong directions the data was made with.
    exact_vt = np.linalg.svd(data - data.mean(axis=0), full_matrices=False)[2][:2]
    np.testing.assert_allclose(np.abs(first.components @ exact_vt.T), np.eye(2), atol=1e-6)
    np.testing.assert_allclose(np.abs(first.components @ basis[:, :2]), np.eye(2), atol=0.06)
    assert all(c[np.abs(c).argmax()] > 0 for c in first.components)
    assert first.explained[0] > first.explained[1] > 0.15 and first.explained.sum() < 1
    # Another seed: the same components (the randomized finder converges), still not mirrored.
    np.testing.assert_allclose(fit_pca(data, seed=8).components, first.components, atol=1e-6)
    exact = fit_pca(data[:, :8])   # small enough for the exact SVD
    assert exact.components.shape == (2, 8)
    with pytest.raises(HwrError, match="needs at least three images"):
        fit_pca(data[:2])


def test_digit_map_of_a_designed_network_is_deterministic_and_places_a_drawing(mnist):
    model = randomized(VARIED, seed=2)
    images, labels = mnist.x_test[:COUNT], mnist.y_test[:COUNT]
    assert classifier_input_index(model) == 9           # the Dropout before the last Dense
    first = digit_map(model, images, labels, seed=3)
    second = digit_map(model, images, labels, seed=3)
    np.testing.assert_array_equal(first.points, second.points)
    assert first.points.shape == (COUNT, 2) and first.points.dtype == np.float32
    outputs = model(images[..., None].astype(np.float32) / 255.0, training=False).numpy()
    np.testing.assert_array_equal(first.predictions, outputs.argmax(axis=1))
    np.testing.assert_array_equal(first.mistakes, outputs.argmax(axis=1) != labels)
    np.testing.assert_array_equal(first.image_indices, np.arange(COUNT))
    # The drawing's marker: the probe's activation at the map's layer lands where that image's point is.
    activations = LayerProbe(model).probe(digit(mnist, 17))
    marker = first.place(activations[first.layer_index].values)
    np.testing.assert_allclose(marker, first.points[17], atol=1e-4)
    assert first.nearest(*marker) == 17
    # Global average pooling feeds the last Dense of this one: its 8 features are mapped.
    deskewing = digit_map(randomized(DESKEWING), images, labels, image_indices=np.arange(COUNT) + 1000)
    assert deskewing.layer_name.startswith("global_average_pooling2d") and deskewing.image_indices[0] == 1000


def test_bundled_model_map_separates_the_digits(mnist):
    from hwr_desktop.core.models.modelfile import load_model
    model, _ = load_model(default_model_path())
    calls = []
    found = mnist_test_map(model, count=COUNT, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (COUNT, COUNT) and found.layer_name.startswith("dropout")
    assert found.mistakes.sum() <= 3                 # 99.7 % accurate: at most a few of 300
    # Two dimensions of 1,152 still keep digits apart: a point's nearest class centre is mostly its own.
    centres = np.stack([found.points[found.labels == d].mean(axis=0) for d in range(10)])
    nearest = ((found.points[:, None] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert np.mean(nearest == found.labels) > 0.5
    features, _ = FeatureExtractor(model)(mnist.x_test[:5])
    assert features.shape == (5, 1152)
