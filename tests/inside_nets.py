"""Small networks shared by the tests of the Inside tab's computations (layer activations, unit
arithmetic, filter patches): built from designs, with every weight, bias and batch-norm statistic
set to seeded random values, so no arithmetic hides behind a zero bias or a unit variance."""
from __future__ import annotations

import numpy as np

# Every kind of sliding window: strides 1 and 2, 'same' and 'valid', bias or not, an activation or not.
VARIED = {"name": "varied", "layers": [
    {"type": "Conv2D", "filters": 6, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
    {"type": "Conv2D", "filters": 5, "kernel_size": [3, 5], "use_bias": False},
    {"type": "BatchNormalization"}, {"type": "ReLU"},
    {"type": "SeparableConv2D", "filters": 7, "kernel_size": 3, "padding": "same", "activation": "tanh"},
    {"type": "DepthwiseConv2D", "kernel_size": 2, "strides": 2, "activation": "gelu"},
    {"type": "MaxPooling2D", "pool_size": 2, "padding": "same"},
    {"type": "Flatten"},
    {"type": "Dense", "units": 12, "activation": "elu"},
    {"type": "Dropout", "rate": 0.2},
    {"type": "Dense", "units": 10},
]}

DESKEWING = {"name": "deskewing", "layers": [
    {"type": "Deskew"},
    {"type": "Conv2D", "filters": 4, "kernel_size": 5, "activation": "relu"},
    {"type": "AveragePooling2D", "pool_size": 3, "strides": 2},
    {"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
    {"type": "GlobalAveragePooling2D"},
    {"type": "Dense", "units": 10},
]}


def randomized(design: dict, seed: int = 0):
    """The design built, every weight drawn at random (batch-norm variances kept positive)."""
    from hwr_desktop.core.network.build import build_network
    model = build_network(design)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = [rng.normal(0.0, 0.4, w.shape).astype(np.float32) for w in layer.get_weights()]
        if type(layer).__name__ == "BatchNormalization":
            weights[-1] = np.abs(weights[-1]) + 0.2       # moving variance
        if weights:
            layer.set_weights(weights)
    return model


def digit(mnist, i: int = 0) -> np.ndarray:
    """MNIST test image i as the model reads it: float32 (28, 28) in [0, 1]."""
    return mnist.x_test[i].astype(np.float32) / 255.0
