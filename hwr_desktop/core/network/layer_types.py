"""The layer types a network design may use, and their arguments: the allow-list.

Each type names a Keras layer and the arguments a design may give it, each with a check that
raises ValueError saying what it expects. Nothing else is ever built (core/network/build.py
builds from this table, never from a name in a file). Also the arguments as the designer edits
them, as text: `filters=32, kernel_size=3, padding=same`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "selu", "gelu", "silu", "swish", "softplus", "leaky_relu", "softmax",
               "linear")


# ---- arguments -------------------------------------------------------------------------------

def _count(limit: int):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            raise ValueError(f"a whole number from 1 to {limit}")
        return value
    return check


def pair(value) -> tuple[int, int]:
    """A window argument (kernel_size, strides, pool_size, dilation_rate) as (height, width): designs
    and Keras take n or [h, w], Keras configs hold (h, w)."""
    return (int(value[0]), int(value[1])) if isinstance(value, (tuple, list)) else (int(value), int(value))


def _size(value):
    """kernel_size, strides, pool_size: n or [h, w], as Keras takes them."""
    pair = value if isinstance(value, list) else [value, value]
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 28 for v in pair):
        raise ValueError("a whole number from 1 to 28, or [height, width]")
    return value


def _fraction(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError("a number from 0 up to (not including) 1")
    return value


def _choice(*options):
    def check(value):
        if value not in options:
            raise ValueError("one of " + ", ".join(map(str, options)))
        return value
    return check


def _flag(value):
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _activation(value):
    if value is None:
        return value
    return _choice(*ACTIVATIONS)(value)


_CONV = {"kernel_size": _size, "strides": _size, "padding": _choice("valid", "same"),
         "activation": _activation, "use_bias": _flag}
_POOL = {"pool_size": _size, "strides": _size, "padding": _choice("valid", "same")}


@dataclass(frozen=True)
class LayerType:
    arguments: dict            # name -> checker (raises ValueError with what is expected)
    required: tuple = ()
    image_in: bool = True      # needs an (h, w, c) input; False: a flat one; None: either


LAYER_TYPES: dict[str, LayerType] = {
    "Conv2D": LayerType({"filters": _count(1024), **_CONV}, ("filters", "kernel_size")),
    "SeparableConv2D": LayerType({"filters": _count(1024), **_CONV}, ("filters", "kernel_size")),
    "DepthwiseConv2D": LayerType(dict(_CONV), ("kernel_size",)),
    "MaxPooling2D": LayerType(dict(_POOL)),
    "AveragePooling2D": LayerType(dict(_POOL)),
    "BatchNormalization": LayerType({"momentum": _fraction}, image_in=None),
    "Dropout": LayerType({"rate": _fraction}, ("rate",), image_in=None),
    "SpatialDropout2D": LayerType({"rate": _fraction}, ("rate",)),
    "ReLU": LayerType({}, image_in=None),
    "Activation": LayerType({"activation": _activation}, ("activation",), image_in=None),
    "Flatten": LayerType({}),
    "GlobalAveragePooling2D": LayerType({}),
    "GlobalMaxPooling2D": LayerType({}),
    "Dense": LayerType({"units": _count(65536), "activation": _activation, "use_bias": _flag}, ("units",),
                       image_in=False),
    # Ours (core/network/deskew.py): straightens the slant of the raw image; no weights, first layer only.
    "Deskew": LayerType({}),
}


# ---- arguments as text, as the designer edits them: filters=32, kernel_size=3, padding=same ----

# What a newly added layer of each type starts with (the designer's "Add layer").
STARTING_ARGUMENTS = {
    "Conv2D": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    "SeparableConv2D": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"},
    "DepthwiseConv2D": {"kernel_size": 3, "padding": "same", "activation": "relu"},
    "MaxPooling2D": {"pool_size": 2}, "AveragePooling2D": {"pool_size": 2},
    "Dropout": {"rate": 0.25}, "SpatialDropout2D": {"rate": 0.1},
    "Dense": {"units": 64, "activation": "relu"}, "Activation": {"activation": "relu"},
}


def format_arguments(arguments: dict) -> str:
    return ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in arguments.items())


def parse_arguments(text: str) -> dict:
    """'filters=32, kernel_size=[3, 5], padding=same' -> dict; values are JSON, or plain words.
    ValueError says which part it cannot read."""
    arguments, depth, part = {}, 0, ""
    for char in text + ",":
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            if part.strip():
                name, equals, value = part.partition("=")
                if not equals or not name.strip().isidentifier():
                    raise ValueError(f"cannot read {part.strip()!r}: write name=value")
                value = value.strip()
                try:
                    arguments[name.strip()] = json.loads(value)
                except RecursionError:   # thousands of brackets pasted in
                    raise ValueError(f"cannot read {name.strip()}=: nested too deeply") from None
                except json.JSONDecodeError:
                    if not value.replace("_", "").isalnum():   # a plain word (same, relu), nothing else
                        raise ValueError(f"cannot read {part.strip()!r}: write name=value, separated by commas") from None
                    arguments[name.strip()] = {"none": None, "true": True, "false": False}.get(value.lower(), value)
            part = ""
        else:
            part += char
    return arguments
