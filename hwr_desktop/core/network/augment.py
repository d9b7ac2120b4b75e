"""Handwriting augmentation, done in the TensorFlow graph on each training batch.

Each image gets its own random affine transform (rotation, scale, shear, shift: how people's
digits vary in slant, size and position) and a random stroke-thickness change (pen vs marker vs
pencil). Randomness comes from a seeded tf.random.Generator, so runs are reproducible.
"""
from __future__ import annotations

import math

import tensorflow as tf

MAX_ROTATION = math.radians(12)
SCALE_RANGE = (0.85, 1.12)
MAX_SHEAR = 0.25
MAX_SHIFT = 2.5            # pixels
THICKEN_PROBABILITY = 0.5  # the rest are thinned a little or left as they are


def warp(images: tf.Tensor, transforms: tf.Tensor) -> tf.Tensor:
    """Per-image affine warp of (N, 28, 28, C) images: output pixel (x, y) samples the input bilinearly
    at (a0 x + a1 y + a2, b0 x + b1 y + b2), zeros outside. Also used by the Deskew layer."""
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.constant([28, 28]),
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")


def random_affine(images: tf.Tensor, gen: tf.random.Generator) -> tf.Tensor:
    """images: (N, 28, 28, 1) float32. Returns them warped by per-image random affine maps."""
    n = tf.shape(images)[0]
    angle = gen.uniform([n], -MAX_ROTATION, MAX_ROTATION)
    scale = gen.uniform([n], *SCALE_RANGE)
    shear = gen.uniform([n], -MAX_SHEAR, MAX_SHEAR)
    tx, ty = gen.uniform([n], -MAX_SHIFT, MAX_SHIFT), gen.uniform([n], -MAX_SHIFT, MAX_SHIFT)
    # The op maps each output pixel (x, y) to the input pixel it samples: in = M (out - c) + c + t,
    # where M = rotation * shear / scale about the image centre c.
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    a0, a1 = cos, -sin + cos * shear
    b0, b1 = sin, cos + sin * shear
    c = 13.5
    a2 = c - a0 * c - a1 * c + tx
    b2 = c - b0 * c - b1 * c + ty
    zeros = tf.zeros_like(a0)
    return warp(images, tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1))


def random_thickness(images: tf.Tensor, gen: tf.random.Generator) -> tf.Tensor:
    """Blend each image towards its 3x3 dilation (thicker) or erosion (thinner) by a random amount."""
    n = tf.shape(images)[0]
    thicker = tf.nn.max_pool2d(images, 3, 1, "SAME")
    thinner = -tf.nn.max_pool2d(-images, 3, 1, "SAME")
    amount = gen.uniform([n, 1, 1, 1], 0.0, 1.0)
    dilate = tf.cast(gen.uniform([n, 1, 1, 1]) < THICKEN_PROBABILITY, tf.float32)
    # Thinning is capped at 0.5: a full erosion wipes out thin MNIST strokes.
    return dilate * (images + amount * (thicker - images)) + (1 - dilate) * (images + 0.5 * amount * (thinner - images))


def augment_batch(images: tf.Tensor, gen: tf.random.Generator) -> tf.Tensor:
    return tf.clip_by_value(random_thickness(random_affine(images, gen), gen), 0.0, 1.0)
