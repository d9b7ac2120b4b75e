"""The sequence reader (reader v2): a CRNN-style network that reads a whole strip of digits (CTC).

    strip (32 x W, core/strip_data.py) -> trunk: the digit model's five 3x3 conv blocks, with its
    weights to start from; pooling 2x2 once (frames of 2 strip columns) and 2x1 once (height only)
    -> the remaining 8 rows collapsed by a learned (8 x 1) convolution, not pooled away
    -> context: residual 1-D convolutions dilated 1, 2, 4, 8 (each frame sees about 3-4 digits)
    -> 11 logits per frame: CTC blank and the ten digits.

Fully convolutional along the width, so a strip is as wide as its number. Every layer is a plain
convolution, batch norm, ReLU, pooling or dense layer, so the network converts to LiteRT with
built-in operators only (tests/test_strip_reader.py converts it and compares).
"""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.reading.strips import FRAME_STEP, STRIP_HEIGHT

CONTEXT = 128                  # channels of the per-frame features
DILATIONS = (1, 2, 4, 8)
TRUNK = ((32, None), (32, (2, 2)), (64, None), (64, (2, 1)), (128, None))   # (filters, pooling after)
CLASSES = 11                   # CTC blank (0) and digit d as d + 1
BLANK = 0


def build_strip_reader(context: int = CONTEXT, dilations=DILATIONS, trunk=TRUNK):
    import keras
    from keras import layers
    inputs = keras.Input((STRIP_HEIGHT, None, 1), name="strip")
    x = inputs
    for i, (filters, pool) in enumerate(trunk, 1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"trunk_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"trunk_bn{i}")(x)
        x = layers.ReLU(name=f"trunk_relu{i}")(x)
        if pool:
            x = layers.MaxPooling2D(pool, name=f"trunk_pool{i}")(x)
    rows = STRIP_HEIGHT // 4
    x = layers.Conv2D(context, (rows, 1), padding="valid", use_bias=False, name="collapse")(x)   # (1, W/2, C)
    x = layers.BatchNormalization(momentum=0.9, name="collapse_bn")(x)
    x = layers.ReLU(name="collapse_relu")(x)
    x = layers.Reshape((-1, context), name="frames_in")(x)
    for d in dilations:
        y = layers.Conv1D(context, 3, dilation_rate=d, padding="same", use_bias=False, name=f"context{d}")(x)
        y = layers.BatchNormalization(momentum=0.9, name=f"context{d}_bn")(y)
        y = layers.ReLU(name=f"context{d}_relu")(y)
        x = layers.Add(name=f"context{d}_add")([x, y])
    outputs = layers.Dense(CLASSES, name="frames", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="strip_reader")


def init_trunk_from_digit_model(reader, digit_model) -> int:
    """Copy the digit model's first convolution blocks (kernels, batch norm) into the trunk, in
    order, where the shapes match. Returns how many conv blocks were copied."""
    import keras
    convs = [layer for layer in digit_model.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in digit_model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    copied = 0
    for i, (conv, norm) in enumerate(zip(convs, norms), 1):
        try:
            target, target_norm = reader.get_layer(f"trunk_conv{i}"), reader.get_layer(f"trunk_bn{i}")
        except ValueError:
            break
        if [w.shape for w in target.get_weights()] != [w.shape for w in conv.get_weights()]:
            break
        target.set_weights(conv.get_weights())
        target_norm.set_weights(norm.get_weights())
        copied += 1
    return copied


def frames_for_width(width: int) -> int:
    return width // FRAME_STEP


def multiply_adds(width: int = 256, context: int = CONTEXT) -> int:
    """Multiply-adds of one strip of `width` columns (plain arithmetic, for the model card)."""
    h, w, c, total = STRIP_HEIGHT, width, 1, 0
    for filters, pool in TRUNK:
        total += h * w * 9 * c * filters
        c = filters
        if pool:
            h, w = h // pool[0], w // pool[1]
    total += w * h * c * context
    total += w * 3 * context * context * len(DILATIONS)
    total += w * context * CLASSES
    return int(total)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
