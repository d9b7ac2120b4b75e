"""Where a unit of a layer looks: the geometry of convolution and pooling windows, in plain arithmetic.

A Sequential digit network is a chain; every spatial layer (Conv2D, SeparableConv2D,
DepthwiseConv2D, MaxPooling2D, AveragePooling2D) slides a kh x kw window with strides (sh, sw)
over its input, which 'same' padding extends by zeros as TensorFlow does: the total padding
max((out - 1) * s + k - in, 0) is split with the smaller half on top / left. Element-wise layers
(BatchNormalization, ReLU, Activation, Dropout, SpatialDropout2D) keep positions; Deskew keeps
them too, so for a network that deskews, boxes are on the deskewed digit (its layer 0 output).

`receptive_field(model, index, y, x)` walks back from a position of layer `index`'s output to
the 28x28 image: the `Box` of input pixels that can change it (it may reach outside the image
where padding does; `clipped()` is what lies inside). No TensorFlow needed for the arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.network.layer_types import pair

CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")
POOLINGS = ("MaxPooling2D", "AveragePooling2D")
POSITION_KEEPING = ("BatchNormalization", "ReLU", "Activation", "Dropout", "SpatialDropout2D", "Deskew")


@dataclass(frozen=True)
class Box:
    """Rows top..bottom-1 and columns left..right-1 of an image (ends exclusive; may lie outside it)."""
    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def clipped(self, height: int = 28, width: int = 28) -> Box:
        return Box(max(self.top, 0), max(self.left, 0), min(self.bottom, height), min(self.right, width))


@dataclass(frozen=True)
class Window:
    """How one spatial layer slides over its input: output (y, x) reads input rows y*sh - pad_top ..."""
    kh: int
    kw: int
    sh: int
    sw: int
    pad_top: int
    pad_left: int

    def box(self, y: int, x: int) -> Box:
        top, left = y * self.sh - self.pad_top, x * self.sw - self.pad_left
        return Box(top, left, top + self.kh, left + self.kw)


def _padding_before(size: int, window: int, stride: int, padding: str) -> int:
    if padding != "same":
        return 0
    out = -(-size // stride)
    return max((out - 1) * stride + window - size, 0) // 2


def window_of(layer, input_shape: tuple) -> Window:
    """The window of a spatial layer reading `input_shape` (h, w, c); HwrError for other layers."""
    kind = type(layer).__name__
    config = layer.get_config()
    if kind in POOLINGS:
        (kh, kw) = pair(config["pool_size"])
        (sh, sw) = pair(config.get("strides") or config["pool_size"])
    elif kind in CONVOLUTIONS:
        if pair(config.get("dilation_rate", 1)) != (1, 1):
            raise HwrError(f"{layer.name}: dilated convolutions are not supported here")
        (kh, kw), (sh, sw) = pair(config["kernel_size"]), pair(config.get("strides", 1))
    else:
        raise HwrError(f"{layer.name} ({kind}) has no sliding window")
    padding = config.get("padding", "valid")
    h, w = int(input_shape[0]), int(input_shape[1])
    return Window(kh, kw, sh, sw, _padding_before(h, kh, sh, padding), _padding_before(w, kw, sw, padding))


def input_shapes(model) -> list[tuple]:
    """Each layer's input shape without the batch axis (the first is the 28x28x1 image)."""
    shapes = [(28, 28, 1)]
    for layer in model.layers[:-1]:
        shapes.append(tuple(int(d) for d in layer.output.shape[1:]))
    return shapes


def receptive_field(model, index: int, y: int, x: int) -> Box:
    """The input pixels that output position (y, x) of layer `index` depends on, on the 28x28 grid
    (the deskewed one, for networks that deskew). HwrError if a layer up to `index` loses positions."""
    layers, shapes = model.layers, input_shapes(model)
    box = Box(y, x, y + 1, x + 1)
    for i in range(index, -1, -1):
        kind = type(layers[i]).__name__
        if kind in POSITION_KEEPING:
            continue
        if kind not in CONVOLUTIONS + POOLINGS:
            raise HwrError(f"{layers[i].name} ({kind}) does not keep image positions: layer {index} has no receptive "
                           "field on the input")
        window = window_of(layers[i], shapes[i])
        first, last = window.box(box.top, box.left), window.box(box.bottom - 1, box.right - 1)
        box = Box(first.top, first.left, last.bottom, last.right)
    return box


def crop(array: np.ndarray, box: Box) -> np.ndarray:
    """array[box] on the first two axes, zeros where the box reaches outside (as 'same' padding adds)."""
    h, w = array.shape[:2]
    out = np.zeros((box.height, box.width) + array.shape[2:], array.dtype)
    inside = box.clipped(h, w)
    if inside.height > 0 and inside.width > 0:
        out[inside.top - box.top:inside.bottom - box.top, inside.left - box.left:inside.right - box.left] = \
            array[inside.top:inside.bottom, inside.left:inside.right]
    return out
