"""core.inside.filter_patches: the patches that excite a channel most really are the highest activations."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.filter_patches import first_layer_kernels, top_patches
from hwr_desktop.core.inside.layer_activations import as_image_batch, batch_function, layer_outputs
from hwr_desktop.core.inside.receptive_field import crop
from hwr_desktop.resources import default_model_path
from tests.inside_nets import DESKEWING, VARIED, randomized

COUNT = 300


@pytest.fixture(scope="module")
def bundled():
    from hwr_desktop.core.models.modelfile import load_model
    return load_model(default_model_path())[0]


def _check_top(model, layer_index, channel, images, search, k=9):
    every = batch_function(model, layer_index)(as_image_batch(images)).numpy()[..., channel]   # (N, H, W)
    assert len(search.patches) == k and search.searched == len(images) and not search.stopped
    values = [p.value for p in search.patches]
    assert values == sorted(values, reverse=True)
    # Nothing anywhere beats the k-th: the k best are exactly the k largest values of all positions.
    np.testing.assert_allclose(values, np.sort(every.ravel())[::-1][:k], rtol=1e-6)
    assert len({(p.image_index, p.y, p.x) for p in search.patches}) == k
    for p in search.patches:
        # Recomputed on its image alone, each patch gives the value reported.
        alone = layer_outputs(model, images[p.image_index].astype(np.float32) / 255.0)
        assert alone[layer_index][p.y, p.x, channel] == pytest.approx(p.value, abs=1e-5)
        seen = alone[0][..., 0] if search.on_deskewed else images[p.image_index] / 255.0
        np.testing.assert_allclose(p.patch, crop(seen, p.box), atol=1e-6)


@pytest.mark.parametrize("layer_index, channel", [(1, 2), (6, 4)])
def test_varied_network_top_patches_are_the_highest(mnist, layer_index, channel):
    model = randomized(VARIED, seed=6)
    images = mnist.x_test[:COUNT]
    search = top_patches(model, layer_index, channel, images, batch=64)
    _check_top(model, layer_index, channel, images, search)
    in_one_batch = top_patches(model, layer_index, channel, images, batch=COUNT)
    np.testing.assert_allclose([p.value for p in in_one_batch.patches], [p.value for p in search.patches], rtol=1e-6)


def test_bundled_model_deep_layer_top_patches(bundled, mnist):
    images = mnist.x_test[:COUNT]
    search = top_patches(bundled, 14, 111, images, batch=128)
    _check_top(bundled, 14, 111, images, search)
    assert all((p.box.height, p.box.width) == (24, 24) == p.patch.shape for p in search.patches)


def test_deskewing_network_patches_come_from_the_deskewed_digit(mnist):
    model = randomized(DESKEWING, seed=2)
    images = mnist.x_test[:COUNT]
    search = top_patches(model, 2, 1, images, k=5)
    assert search.on_deskewed
    _check_top(model, 2, 1, images, search, k=5)


def test_stop_and_progress(mnist):
    model = randomized(VARIED, seed=6)
    calls = []
    stop = threading.Event()

    def progress(done, total):
        calls.append((done, total))
        stop.set()
    search = top_patches(model, 0, 0, mnist.x_test[:COUNT], batch=100, stop=stop, progress=progress)
    assert search.stopped and search.searched == 100 and calls == [(100, COUNT)] and len(search.patches) == 9
    with pytest.raises(HwrError, match="no maps"):
        top_patches(model, 7, 0, mnist.x_test[:10])
    with pytest.raises(HwrError, match="no channel"):
        top_patches(model, 0, 6, mnist.x_test[:10])


def test_first_layer_kernels_for_drawing(bundled):
    kernels = first_layer_kernels(bundled)
    weights = bundled.layers[0].get_weights()[0][:, :, 0, :]
    assert kernels.shape == (32, 3, 3) and kernels.min() >= 0.0 and kernels.max() <= 1.0
    for i in range(32):   # 0.5 is a zero weight; each kernel's largest |weight| reaches 0 or 1
        w = weights[..., i]
        np.testing.assert_allclose(kernels[i], 0.5 + 0.5 * w / np.abs(w).max(), atol=1e-6)
        assert np.isclose(np.abs(kernels[i] - 0.5).max(), 0.5)
    deskewing = randomized(DESKEWING)
    assert first_layer_kernels(deskewing).shape == (4, 5, 5)   # the conv after Deskew
    pooled = randomized({"name": "p", "layers": [{"type": "MaxPooling2D"}, {"type": "Flatten"},
                                                 {"type": "Dense", "units": 10}]})
    with pytest.raises(HwrError, match="does not start with a convolution"):
        first_layer_kernels(pooled)
