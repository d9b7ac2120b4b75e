"""Deskewing as a Keras layer: a second way of looking at a digit, for ensembles.

Each image is sheared so that its principal axis is upright (the slant people write with is taken
out) and moved so that its centre of mass sits at the image centre: the classic MNIST deskew by
image moments. A network that reads deskewed digits makes partly different mistakes from one that
reads them as written, which is what an ensemble needs (figures in the README). It lives inside the
model, so a model file stays self-describing: the app's preprocessing is unchanged and the layer
runs wherever the model runs.

The layer has no weights and no Python code in the file: it is a registered class, so models that
use it load with Keras safe mode on (core/models/modelfile imports this module before loading).
"""
from __future__ import annotations

import keras
import tensorflow as tf

from hwr_desktop.core.network.augment import warp

MAX_SKEW = 1.0   # a shear of 45 degrees; beyond that the "axis" of a blob is not a slant
_C = 13.5        # the centre of a 28-pixel row


@keras.saving.register_keras_serializable(package="hwr_desktop")
class Deskew(keras.layers.Layer):
    """(N, 28, 28, 1) images -> the same images deskewed and centred by their moments."""

    def __init__(self, max_skew: float = MAX_SKEW, **kwargs):
        # Moments need float32 even when the network around it computes in bfloat16.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.max_skew = max_skew

    def call(self, images):
        images = tf.cast(images, tf.float32)
        mean_x, mean_y, skew = self._moments(images)
        # Each output pixel (x, y) samples the input at x' = x + skew * (y - c) + mean_x - c, y' = y + mean_y - c.
        one, zero = tf.ones_like(skew), tf.zeros_like(skew)
        transforms = tf.stack([one, skew, mean_x - skew * _C - _C, zero, one, mean_y - _C, zero, zero], axis=1)
        return warp(images, transforms)

    def to_input_grid(self, maps, images):
        """(N, 28, 28, C) maps laid out like the deskewed images -> laid out like `images` (the inverse warp).

        For views that draw a map over the drawing (Grad-CAM): the network's own maps are of the
        deskewed digit, so without this they would sit beside the strokes they belong to.
        """
        mean_x, mean_y, skew = self._moments(tf.cast(images, tf.float32))
        one, zero = tf.ones_like(skew), tf.zeros_like(skew)
        transforms = tf.stack([one, -skew, skew * mean_y - mean_x + _C, zero, one, _C - mean_y, zero, zero], axis=1)
        return warp(tf.cast(maps, tf.float32), transforms)

    def _moments(self, images):
        """Per image: centre of mass (x, y) and skew (how far x moves per row along the principal axis)."""
        ink = images[..., 0]
        pos = tf.range(28, dtype=tf.float32)
        total = tf.reduce_sum(ink, [1, 2]) + 1e-6          # blank images: skew 0, nothing moves
        mean_y = tf.reduce_sum(ink * pos[None, :, None], [1, 2]) / total
        mean_x = tf.reduce_sum(ink * pos[None, None, :], [1, 2]) / total
        dy = pos[None, :, None] - mean_y[:, None, None]
        dx = pos[None, None, :] - mean_x[:, None, None]
        var_y = tf.reduce_sum(ink * dy * dy, [1, 2]) / total + 1e-6
        cov_xy = tf.reduce_sum(ink * dx * dy, [1, 2]) / total
        return mean_x, mean_y, tf.clip_by_value(cov_xy / var_y, -self.max_skew, self.max_skew)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_skew": self.max_skew}


def deskew_layer(model) -> Deskew | None:
    """The model's own Deskew layer, if it reads deskewed digits (top-level layers only)."""
    return next((layer for layer in getattr(model, "layers", []) if isinstance(layer, Deskew)), None)
