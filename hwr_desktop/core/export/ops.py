"""The Deskew layer's warp in ops every exporter knows, swapped in while a model is converted.

Deskew (core/network/deskew.py) warps images with TensorFlow's ImageProjectiveTransformV3, which tf2onnx
cannot convert and LiteRT has no built-in kernel for. `portable_warp` computes the same bilinear
sampling with zero fill from floor, gather and arithmetic, and `portable_deskew()` puts it in the
layer's place for the duration of a conversion (the Keras model itself, and the reference the
export is checked against, keep the original op: the check compares the two on the test set).
"""
from __future__ import annotations

import contextlib

SIZE = 28


def portable_warp(images, transforms):
    """Same contract as core/network/augment.warp for affine transforms: output pixel (x, y) samples the
    input bilinearly at (a0 x + a1 y + a2, b0 x + b1 y + b2), zeros outside."""
    import tensorflow as tf
    images = tf.convert_to_tensor(images, tf.float32)
    n, channels = tf.shape(images)[0], tf.shape(images)[3]
    a0, a1, a2, b0, b1, b2 = (transforms[:, i, None, None] for i in range(6))
    grid = tf.range(SIZE, dtype=tf.float32)
    ys, xs = grid[:, None], grid[None, :]
    x = a0 * xs + a1 * ys + a2                      # (N, 28, 28) input coordinates of each output pixel
    y = b0 * xs + b1 * ys + b2
    x0, y0 = tf.floor(x), tf.floor(y)
    wx, wy = x - x0, y - y0
    flat = tf.reshape(images, [-1, channels])       # (N * 784, C)
    base = (tf.range(n) * SIZE * SIZE)[:, None, None]

    def read(yy, xx):
        inside = (yy >= 0) & (yy <= SIZE - 1) & (xx >= 0) & (xx <= SIZE - 1)
        index = tf.cast(tf.clip_by_value(yy, 0, SIZE - 1) * SIZE + tf.clip_by_value(xx, 0, SIZE - 1), tf.int32)
        values = tf.gather(flat, base + index)      # (N, 28, 28, C)
        return values * tf.cast(inside, tf.float32)[..., None]

    top = read(y0, x0) * (1 - wx)[..., None] + read(y0, x0 + 1) * wx[..., None]
    bottom = read(y0 + 1, x0) * (1 - wx)[..., None] + read(y0 + 1, x0 + 1) * wx[..., None]
    return top * (1 - wy)[..., None] + bottom * wy[..., None]


@contextlib.contextmanager
def portable_deskew():
    """Deskew layers traced inside this block use `portable_warp` (the module global they call)."""
    from hwr_desktop.core.network import deskew
    original = deskew.warp
    deskew.warp = portable_warp
    try:
        yield
    finally:
        deskew.warp = original
