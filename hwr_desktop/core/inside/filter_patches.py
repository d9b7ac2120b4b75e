"""What a filter looks for: the image patches that excite one channel most, and the first layer's kernels.

`top_patches(model, layer_index, channel, images)` runs the network up to layer `layer_index` over
many images (the 10,000 MNIST test images take a few seconds), keeps the k highest values of one
channel over every position of every image, and cuts each winner's receptive field out of its
28x28 image (of the deskewed digit, for networks that deskew: that is what the layer saw). Any
layer with maps works: a convolution, or the batch norm / ReLU / pooling after it.
`first_layer_kernels(model)` gives the first convolution's kernels as small images for drawing.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.layer_activations import as_image_batch, chain, run_chain
from hwr_desktop.core.inside.receptive_field import CONVOLUTIONS, Box, crop, receptive_field

BATCH = 256


@dataclass(frozen=True)
class TopPatch:
    image_index: int          # into the images searched
    y: int                    # position in the layer's maps
    x: int
    value: float              # the channel's activation there
    box: Box                  # its receptive field on the 28x28 image (may reach outside)
    patch: np.ndarray         # float32 (box.height, box.width) in [0, 1], zeros outside the image


@dataclass(frozen=True)
class PatchSearch:
    layer_index: int
    channel: int
    patches: list[TopPatch]   # highest value first
    searched: int             # images searched (fewer than total if stopped)
    total: int
    stopped: bool
    on_deskewed: bool         # patches are cut from the deskewed digit


def _channel_function(model, layer_index: int):
    """A traced (x, channel) -> (N, H, W) values of one channel of layer `layer_index` (and the deskewed
    images, for cutting patches from what the network saw)."""
    import tensorflow as tf
    layers = chain(model)
    if len(layers[layer_index].output.shape) != 4:
        raise HwrError(f"{layers[layer_index].name} has no maps: choose a convolution or pooling layer")
    deskews = type(layers[0]).__name__ == "Deskew"

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32), tf.TensorSpec([], tf.int32)])
    def channel_of(x, channel):
        outputs = run_chain(layers, x, layer_index)
        seen = tf.cast(outputs[0], tf.float32) if deskews else x
        return tf.cast(outputs[-1][..., channel], tf.float32), seen[..., 0]
    return channel_of, deskews


def top_patches(model, layer_index: int, channel: int, images: np.ndarray, k: int = 9, batch: int = BATCH,
                stop: threading.Event | None = None,
                progress: Callable[[int, int], None] | None = None) -> PatchSearch:
    """The k highest activations of `channel` in layer `layer_index` over all positions of `images`
    (uint8 (N, 28, 28) as MNIST stores them, or floats in [0, 1]). `stop` ends the search between
    batches: the best found so far is returned, with stopped=True."""
    fn, deskews = _channel_function(model, layer_index)
    channels = int(chain(model)[layer_index].output.shape[-1])
    if not 0 <= channel < channels:
        raise HwrError(f"layer {layer_index} has no channel {channel} (it has {channels})")
    values = np.zeros(0, np.float32)                  # the best so far, with their (image, flat position)
    where = np.zeros((0, 2), np.int64)
    seen: dict[int, np.ndarray] = {}
    n, searched, stopped = len(images), 0, False
    for start in range(0, n, batch):
        if stop is not None and stop.is_set():
            stopped = True
            break
        maps, inputs = fn(as_image_batch(images[start:start + batch]), np.int32(channel))
        maps = maps.numpy()
        flat = maps.reshape(-1)
        take = min(k, flat.size)
        best = np.argpartition(-flat, take - 1)[:take]
        positions = maps.shape[1] * maps.shape[2]
        values = np.concatenate([values, flat[best]])
        where = np.concatenate([where, np.stack([start + best // positions, best % positions], axis=1)])
        keep = np.lexsort((where[:, 1], where[:, 0], -values))[:k]
        values, where = values[keep], where[keep]
        inputs = inputs.numpy()
        seen.update({int(i): inputs[i - start] for i in where[:, 0] if start <= i < start + len(inputs)})
        searched = min(n, start + batch)
        if progress is not None:
            progress(searched, n)
    width = int(chain(model)[layer_index].output.shape[2])
    patches = []
    for value, (image_index, position) in zip(values, where):
        y, x = divmod(int(position), width)
        box = receptive_field(model, layer_index, y, x)
        patches.append(TopPatch(int(image_index), y, x, float(value), box, crop(seen[int(image_index)], box)))
    return PatchSearch(layer_index, channel, patches, searched, n, stopped, deskews)


def first_convolution(model) -> int:
    """The index of the first convolution, the one that sees the image (after Deskew, if present)."""
    for i, layer in enumerate(chain(model)):
        kind = type(layer).__name__
        if kind in CONVOLUTIONS:
            return i
        if kind != "Deskew":
            break
    raise HwrError("this network does not start with a convolution: it has no first-layer kernels to draw")


def first_layer_kernels(model) -> np.ndarray:
    """The first convolution's kernels as (n, kh, kw) float32 images in [0, 1] for drawing: 0.5 is a
    zero weight, 1 the kernel's largest positive weight, 0 its most negative (each kernel scaled on its
    own, so weak filters stay visible). Separable kernels are shown as their equivalent kernels."""
    layer = chain(model)[first_convolution(model)]
    weights = [np.asarray(w, np.float32) for w in layer.get_weights()]
    kind = type(layer).__name__
    if kind == "Conv2D":
        kernels = weights[0][:, :, 0, :]                             # (kh, kw, filters): one input channel
    elif kind == "DepthwiseConv2D":
        kernels = weights[0][:, :, 0, :]                             # (kh, kw, depth multiplier)
    else:                                                            # separable: depthwise x pointwise
        kernels = np.einsum("hwm,mf->hwf", weights[0][:, :, 0, :], weights[1][0, 0])
    kernels = np.moveaxis(kernels, -1, 0)
    scale = np.abs(kernels).max(axis=(1, 2), keepdims=True)
    return (0.5 + 0.5 * kernels / np.where(scale > 0, scale, 1.0)).astype(np.float32)
