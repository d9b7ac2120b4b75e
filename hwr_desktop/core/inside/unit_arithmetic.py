"""One unit of a layer, worked out by hand: the numbers a learner can check with a calculator.

`conv_unit(model, layer_index, image28, y, x, channel)` takes one position of one map of a
convolution layer and redoes its arithmetic in float64 numpy: the kernel, the input patch the layer
reads at that position (from the previous layer's output, zeros where 'same' padding reaches
outside it), the sum of their products, the bias, the pre-activation, the activation and its value,
next to the framework's own value at that position (they agree to about 1e-5 in float32 networks).
Conv2D, SeparableConv2D and DepthwiseConv2D are all worked out: a separable convolution is a
depthwise kernel per input channel times a pointwise weight per input channel, which is one
ordinary kernel `depthwise[:, :, c] * pointwise[c]` (shown as such, and said so in `note`); a
depthwise one reads a single input channel. `dense_unit` does the same for a Dense unit and sorts
its inputs' contributions (input x weight) by size.

Batch-normalized presets use convolutions without bias or activation: the value worked out is the
convolution's own output, and the BatchNormalization / ReLU / Activation layers that directly follow
are worked out too, step by step (`then`), each with the framework's value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.layer_activations import chain, layer_outputs
from hwr_desktop.core.inside.receptive_field import CONVOLUTIONS, Box, crop, input_shapes, receptive_field, window_of
from hwr_desktop.core.models.evaluation import softmax

ELEMENTWISE = ("BatchNormalization", "ReLU", "Activation")
_SELU = (1.6732632423543772, 1.0507009873554805)


@dataclass(frozen=True)
class Step:
    """An element-wise layer after the unit's layer, worked out on the unit's value."""
    index: int
    name: str
    type: str
    formula: str        # with the numbers filled in
    value: float
    framework: float


@dataclass(frozen=True)
class UnitArithmetic:
    layer_index: int
    layer_name: str
    layer_type: str
    y: int
    x: int
    channel: int
    receptive_field: Box          # on the 28x28 input (the deskewed digit if on_deskewed); may reach outside
    on_deskewed: bool
    input_box: Box                # the window on the previous layer's output (may reach into the padding)
    input_channels: tuple         # which input channels the kernel reads (all, or one for depthwise)
    kernel: np.ndarray            # (kh, kw, len(input_channels)) float64
    patch: np.ndarray             # the same shape: the inputs, zeros in the padding
    products_sum: float
    bias: float | None            # None: the layer has no bias
    pre_activation: float
    activation: str               # "linear": none
    value: float
    framework: float              # Keras' output at (y, x, channel)
    then: tuple[Step, ...]
    note: str

    @property
    def products(self) -> np.ndarray:
        return self.kernel * self.patch

    @property
    def error(self) -> float:
        return abs(self.value - self.framework)


@dataclass(frozen=True)
class Contribution:
    input: int                   # index into the Dense layer's input vector
    position: tuple | None       # (y, x, channel) in the maps a Flatten made that vector from, else None
    value: float
    weight: float
    product: float


@dataclass(frozen=True)
class DenseArithmetic:
    layer_index: int
    layer_name: str
    unit: int
    inputs: np.ndarray           # (n,) float64
    weights: np.ndarray          # (n,) float64
    strongest: tuple[Contribution, ...]   # the largest |input x weight| first
    products_sum: float
    bias: float | None
    pre_activation: float
    activation: str
    value: float
    framework: float
    then: tuple[Step, ...]
    note: str

    @property
    def error(self) -> float:
        return abs(self.value - self.framework)


def activate(name: str, values: np.ndarray) -> np.ndarray:
    """Keras' activations by name, in float64 numpy (softmax over the last axis)."""
    v = np.asarray(values, np.float64)
    sigmoid = 1.0 / (1.0 + np.exp(-v))
    table = {
        "linear": lambda: v, "relu": lambda: np.maximum(v, 0.0), "sigmoid": lambda: sigmoid,
        "tanh": lambda: np.tanh(v), "elu": lambda: np.where(v > 0, v, np.expm1(v)),
        "selu": lambda: _SELU[1] * np.where(v > 0, v, _SELU[0] * np.expm1(v)),
        "gelu": lambda: 0.5 * v * (1.0 + np.vectorize(math.erf)(v / math.sqrt(2.0))),
        "silu": lambda: v * sigmoid, "swish": lambda: v * sigmoid, "softplus": lambda: np.logaddexp(0.0, v),
        "leaky_relu": lambda: np.where(v > 0, v, 0.2 * v),
        "softmax": lambda: softmax(v),
    }
    if name not in table:
        raise HwrError(f"the activation {name!r} cannot be worked out here")
    return table[name]()


def _activation_name(layer) -> str:
    name = layer.get_config().get("activation") or "linear"
    if not isinstance(name, str):
        raise HwrError(f"{layer.name}: a custom activation cannot be worked out here")
    return name


def _weights(layer) -> list[np.ndarray]:
    return [np.asarray(w, np.float64) for w in layer.get_weights()]


def _kernels(layer, cin: int) -> tuple[np.ndarray, str]:
    """Every output channel's kernel as one (kh, kw, cin, cout) float64 array (zeros for the input
    channels a depthwise kernel does not read), and what to say about it."""
    kind, weights = type(layer).__name__, _weights(layer)
    multiplier = int(layer.get_config().get("depth_multiplier", 1))
    if kind == "Conv2D":
        return weights[0], ""
    depthwise = weights[0]                                     # (kh, kw, cin, multiplier)
    if kind == "DepthwiseConv2D":
        kernels = np.zeros(depthwise.shape[:2] + (cin, cin * multiplier))
        for c in range(cin * multiplier):
            kernels[:, :, c // multiplier, c] = depthwise[:, :, c // multiplier, c % multiplier]
        return kernels, "a depthwise convolution: each output channel reads one input channel. "
    pointwise = weights[1][0, 0].reshape(cin, multiplier, -1)    # (cin, multiplier, filters)
    return np.einsum("hwcm,cmf->hwcf", depthwise, pointwise), (
        "a separable convolution: each input channel's depthwise kernel times its pointwise weight, summed, "
        "is the one kernel shown. ")


def _bias(layer, channel: int) -> float | None:
    if not layer.get_config().get("use_bias", True):
        return None
    return float(_weights(layer)[-1][channel])


def _then(layers, index: int, values: np.ndarray, outputs, where: tuple) -> tuple[Step, ...]:
    """The element-wise layers directly after layer `index`, applied to `values`: the layer's output at
    this position, every channel (a softmax needs them all); the unit is where[-1]."""
    steps, current = [], np.array(values, np.float64)
    channel = where[-1]
    for i in range(index + 1, len(layers)):
        layer, kind = layers[i], type(layers[i]).__name__
        if kind not in ELEMENTWISE:
            break
        config = layer.get_config()
        if kind == "BatchNormalization":
            mean, var = (np.asarray(w, np.float64) for w in (layer.moving_mean, layer.moving_variance))
            gamma = np.asarray(layer.gamma, np.float64) if layer.gamma is not None else np.ones_like(mean)
            beta = np.asarray(layer.beta, np.float64) if layer.beta is not None else np.zeros_like(mean)
            eps = float(config["epsilon"])
            before = current[channel]
            current = (current - mean) / np.sqrt(var + eps) * gamma + beta
            formula = (f"({before:.6g} - {mean[channel]:.6g}) / sqrt({var[channel]:.6g} + {eps:g}) "
                       f"* {gamma[channel]:.6g} + {beta[channel]:.6g}")
        elif kind == "ReLU":
            top = config.get("max_value")
            slope, threshold = float(config.get("negative_slope", 0.0)), float(config.get("threshold", 0.0))
            current = np.where(current >= threshold, current, slope * (current - threshold))
            if top is not None:
                current = np.minimum(current, float(top))
            formula = "max(v, 0)" if (slope, threshold, top) == (0.0, 0.0, None) else \
                f"ReLU(v, max_value={top}, negative_slope={slope}, threshold={threshold})"
        else:
            name = _activation_name(layer)
            current = activate(name, current)
            formula = f"{name}(v)"
        steps.append(Step(i, layer.name, kind, formula, float(current[channel]), float(outputs[i][where])))
    return tuple(steps)


def _precision_note(layer) -> str:
    dtype = getattr(getattr(layer, "dtype_policy", None), "compute_dtype", "float32")
    return "" if dtype == "float32" else (f"Keras computes this layer in {dtype}: expect its value to differ from "
                                          "the float64 arithmetic in the third digit. ")


def conv_unit(model, layer_index: int, image28: np.ndarray, y: int, x: int, channel: int,
              outputs: list[np.ndarray] | None = None) -> UnitArithmetic:
    """The arithmetic of output (y, x, channel) of convolution layer `layer_index` for one image.
    `outputs`: every layer's output for that image if already at hand (LayerProbe.outputs)."""
    layers = chain(model)
    layer = layers[layer_index]
    kind = type(layer).__name__
    if kind not in CONVOLUTIONS:
        raise HwrError(f"{layer.name} is a {kind}, not a convolution")
    outputs = outputs if outputs is not None else layer_outputs(model, image28)
    h, w, channels = outputs[layer_index].shape
    if not (0 <= y < h and 0 <= x < w and 0 <= channel < channels):
        raise HwrError(f"{layer.name}: ({y}, {x}, {channel}) is outside its {h}x{w}x{channels} output")
    source = np.asarray(image28, np.float64).reshape(28, 28, 1) if layer_index == 0 else \
        np.asarray(outputs[layer_index - 1], np.float64)
    window = window_of(layer, input_shapes(model)[layer_index])
    box = window.box(y, x)
    region = crop(source, box)                                 # (kh, kw, cin), zeros in the padding
    kernels, note = _kernels(layer, source.shape[-1])
    reads = tuple(range(source.shape[-1])) if kind != "DepthwiseConv2D" else \
        (channel // int(layer.get_config().get("depth_multiplier", 1)),)
    kernel, patch = kernels[:, :, list(reads), channel], region[..., list(reads)]
    products_sum = float((kernel * patch).sum())
    bias = _bias(layer, channel)
    pre = products_sum + (bias or 0.0)
    # Every channel at this position too: a softmax (here or in a layer after) needs them all.
    pre_all = np.tensordot(region, kernels, axes=3) + (_weights(layer)[-1] if bias is not None else 0.0)
    pre_all[channel] = pre
    activation = _activation_name(layer)
    activated = activate(activation, pre_all)
    value = float(activated[channel])
    then = _then(layers, layer_index, activated, outputs, (y, x, channel))
    if then and bias is None and activation == "linear":
        note += (f"This convolution has no bias and no activation: {', '.join(s.type for s in then)} follow, "
                 "worked out below; the value shown is the convolution's own output. ")
    deskewed = any(type(layer).__name__ == "Deskew" for layer in layers[:layer_index])
    return UnitArithmetic(layer_index, layer.name, kind, y, x, channel, receptive_field(model, layer_index, y, x),
                          deskewed, box, reads, kernel, patch, products_sum, bias, pre, activation, value,
                          float(outputs[layer_index][y, x, channel]), then, (note + _precision_note(layer)).strip())


def _flattened_shape(layers, index: int, outputs) -> tuple | None:
    """The maps a Flatten turned into layer `index`'s input vector (through dropout etc.), if any."""
    for i in range(index - 1, 0, -1):
        kind = type(layers[i]).__name__
        if kind == "Flatten":
            return outputs[i - 1].shape
        if kind not in ELEMENTWISE + ("Dropout",):
            return None
    return None


def dense_unit(model, layer_index: int, image28: np.ndarray, unit: int, top: int = 10,
               outputs: list[np.ndarray] | None = None) -> DenseArithmetic:
    """The arithmetic of unit `unit` of Dense layer `layer_index` for one image, strongest inputs first."""
    layers = chain(model)
    layer = layers[layer_index]
    if type(layer).__name__ != "Dense":
        raise HwrError(f"{layer.name} is a {type(layer).__name__}, not a Dense layer")
    outputs = outputs if outputs is not None else layer_outputs(model, image28)
    inputs = np.asarray(image28, np.float64).ravel() if layer_index == 0 else \
        np.asarray(outputs[layer_index - 1], np.float64)
    if inputs.ndim != 1:
        raise HwrError(f"{layer.name} reads {inputs.shape} maps, not a vector: only flat inputs are worked out")
    if not 0 <= unit < int(layer.get_config()["units"]):
        raise HwrError(f"{layer.name} has no unit {unit}")
    weights = _weights(layer)[0][:, unit]
    products = inputs * weights
    shape = _flattened_shape(layers, layer_index, outputs)
    strongest = tuple(Contribution(int(i), tuple(int(v) for v in np.unravel_index(i, shape)) if shape else None,
                                   float(inputs[i]), float(weights[i]), float(products[i]))
                      for i in np.argsort(-np.abs(products), kind="stable")[:top])
    bias = _bias(layer, unit)
    products_sum = float(products.sum())
    activation = _activation_name(layer)
    pre_all = inputs @ _weights(layer)[0] + (_weights(layer)[-1] if bias is not None else 0.0)
    pre_all[unit] = products_sum + (bias or 0.0)
    activated = activate(activation, pre_all)
    then = _then(layers, layer_index, activated, outputs, (unit,))
    return DenseArithmetic(layer_index, layer.name, unit, inputs, weights, strongest, products_sum, bias,
                           float(pre_all[unit]), activation, float(activated[unit]), float(outputs[layer_index][unit]),
                           then, _precision_note(layer).strip())
