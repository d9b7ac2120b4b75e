"""Designs (core/network/design.py) to Keras networks and back.

`build_network` makes a Sequential model from a checked design: only the allow-listed layer types,
each from a fixed table (never a name looked up from the file), with the file's arguments. The
classifier, the last Dense, computes in float32 even under mixed precision: the loss and the
softmax need more than bfloat16's 8 bits of mantissa to tell 0.999 from 0.9999.
`describe_model` reads a built network back as a design, so any model file (a preset, a design,
a fine-tuned model) can be shown, compared and recorded in the same terms.
"""
from __future__ import annotations

from hwr_desktop.core.network.design import INPUT_SHAPE, Design, DesignError, check_design, require_buildable
from hwr_desktop.core.network.layer_types import LAYER_TYPES


def _layer_classes() -> dict:
    from keras import layers

    from hwr_desktop.core.network.deskew import Deskew
    return {name: Deskew if name == "Deskew" else getattr(layers, name) for name in LAYER_TYPES}


def _keras_arguments(arguments: dict) -> dict:
    # JSON has lists where Keras documents tuples ([3, 5] -> (3, 5)); both are accepted, tuples are canonical.
    return {k: tuple(v) if isinstance(v, list) else v for k, v in arguments.items()}


def build_network(document, name: str | None = None):
    """A Keras Sequential network (28x28x1 -> 10 logits) for a design; DesignError if it has a problem."""
    import keras

    design = require_buildable(document)
    classes = _layer_classes()
    last = len(design.layers) - 1
    layers = []
    for index, layer in enumerate(design.layers):
        arguments = _keras_arguments({k: v for k, v in layer.items() if k != "type"})
        if index == last:
            arguments["dtype"] = "float32"
        layers.append(classes[layer["type"]](**arguments))
    return keras.Sequential([keras.Input(INPUT_SHAPE), *layers], name=_keras_name(name or design.name))


def _keras_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in name).strip("_")
    return cleaned or "design"


# Keras' defaults for the arguments a design may set: left out of a described design to keep it short.
_DEFAULTS = {"strides": 1, "padding": "valid", "activation": "linear", "use_bias": True, "momentum": 0.99}


def _simplify(value):
    if isinstance(value, (tuple, list)):
        value = list(value)
        if len(value) == 2 and value[0] == value[1]:
            value = value[0]
    return value


def describe_model(model) -> Design:
    """The design of a built Sequential network: its layers in the design format, checked.
    DesignError for networks that are not a plain stack of allow-listed layers."""
    layers = []
    for layer in getattr(model, "layers", []):
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        spec = LAYER_TYPES.get(kind)
        if spec is None:
            raise DesignError(f"{getattr(model, 'name', 'model')}: layer {layer.name} ({kind}) is not one a design "
                              "can describe")
        config = layer.get_config()
        entry = {"type": kind}
        for argument in spec.arguments:
            if argument not in config:
                continue
            value = _simplify(config[argument])
            if argument == "strides" and "Pooling" in kind and value == _simplify(config["pool_size"]):
                continue
            if argument not in spec.required and _DEFAULTS.get(argument, object()) == value:
                continue
            entry[argument] = value
        if kind == "BatchNormalization":
            entry["momentum"] = round(float(config["momentum"]), 6)
            if entry["momentum"] == 0.99:
                del entry["momentum"]
        layers.append(entry)
    design = check_design({"name": getattr(model, "name", "model"), "layers": layers})
    if not design.ok or design.params != model.count_params():
        # Arguments a design does not have (dilation, groups, ...) changed the network.
        raise DesignError(f"{getattr(model, 'name', 'model')}: the network cannot be described exactly as a design")
    return design
