"""Every layer's activations for one drawing, fast enough to follow every stroke.

A digit network is a Sequential chain of layers (any preset, any design, one member of an
ensemble: `member_networks`). `LayerProbe(model, temperature)` traces ONE tf.function, once per
model, that runs the chain layer by layer and returns every layer's output in a single call;
`probe(image28)` turns them into `LayerActivation`s:

* kind "maps": a 3-D output (H, W, C), convolution, pooling, batch norm, ReLU, Deskew (28x28x1);
* kind "vector": a 1-D output (Flatten, Dropout, Dense before the last);
* kind "output": the last layer, with the calibrated probabilities softmax(logits / temperature).

`order` lists channels (maps) or units (vectors) most active first, so a view of a 128-map layer
can page through it or show the busiest maps with the count. Activity of a map is the mean of its
positive part (what a ReLU lets through); of a unit, its value; of the output, its probability.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.data.preprocess import as_batch
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.models.evaluation import softmax

MAPS, VECTOR, OUTPUT = "maps", "vector", "output"


@dataclass(frozen=True)
class Network:
    """A chain of layers to look inside, with what its output means."""
    name: str                     # "default", "member_2 (deskew)", ...
    model: object                 # a keras.Sequential
    temperature: float = 1.0      # logits are divided by it before the softmax
    calibrated: bool = False      # False: temperature 1 because none was fitted for this network alone
    outputs_probabilities: bool = False


@dataclass(frozen=True)
class LayerActivation:
    index: int                    # position in model.layers
    name: str
    type: str                     # the Keras class name: "Conv2D", "Dense", ...
    kind: str                     # MAPS, VECTOR or OUTPUT
    values: np.ndarray            # float32, the layer's output shape without the batch axis: (H, W, C) or (N,)
    order: np.ndarray             # channel (maps) or unit indices, most active first
    activity: np.ndarray          # per channel / unit: what `order` sorts by
    probabilities: np.ndarray | None = None   # OUTPUT only: softmax(logits / temperature), (10,)

    @property
    def count(self) -> int:
        """Maps or units in the layer."""
        return int(self.values.shape[-1])

    def page(self, page: int, per_page: int) -> np.ndarray:
        """Channel / unit indices on page `page` (0-based) of the most-active-first order."""
        return self.order[page * per_page:(page + 1) * per_page]


def chain(model) -> list:
    """The model's layers, in order; HwrError for a network that is not one plain chain."""
    import keras
    if not isinstance(model, keras.Sequential):
        raise HwrError(f"{getattr(model, 'name', 'model')}: only a plain stack of layers (a Sequential network) "
                       "can be shown layer by layer; for an ensemble, choose one of its members")
    return list(model.layers)


def member_networks(model, info=None) -> list[Network]:
    """The networks to look inside: the model itself, or each member of an ensemble file.

    Members are the Sequential sub-models `core.training.ensemble.build_ensemble` nests (member_1, ...). An
    ensemble's temperature calibrates the members' average, not one member, so members get
    temperature 1 and calibrated=False.
    """
    import keras
    name = info.preset if info is not None else model.name
    if isinstance(model, keras.Sequential):
        temperature = info.temperature if info is not None else 1.0
        return [Network(name, model, temperature, bool(info is not None and info.calibration),
                        bool(info is not None and info.outputs_probabilities))]
    members = [layer for layer in model.layers if isinstance(layer, keras.Sequential)]
    if not members:
        raise HwrError(f"{name}: neither a plain stack of layers nor an ensemble of them")
    described = list(info.members) if info is not None else []
    networks = []
    for i, member in enumerate(members):
        preset = described[i].preset if i < len(described) else None
        networks.append(Network(f"{member.name} ({preset})" if preset else member.name, member))
    return networks


def run_chain(layers, x, upto: int | None = None) -> list:
    """Each layer's output for batch x, layers 0..upto (all by default), in inference mode."""
    outputs = []
    for layer in layers[:None if upto is None else upto + 1]:
        x = layer(x, training=False)
        outputs.append(x)
    return outputs


def layer_outputs(model, image28: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for one image, eagerly (no tracing: for one-off questions), batch axis removed."""
    return [np.asarray(out, np.float32)[0] for out in run_chain(chain(model), as_batch(image28)[:1])]


def as_image_batch(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) as MNIST stores them, or floats in [0, 1] -> float32 (N, 28, 28, 1)."""
    images = np.asarray(images)
    return as_batch(images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images)


def batch_function(model, index: int):
    """A traced x (N, 28, 28, 1) -> layer `index`'s output (float32), for many images at a time."""
    import tensorflow as tf
    layers = chain(model)

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
    def upto(x):
        return tf.cast(run_chain(layers, x, index)[-1], tf.float32)
    return upto


def map_activity(values: np.ndarray) -> np.ndarray:
    """Per channel of (H, W, C) maps: the mean of the positive part."""
    return np.maximum(values, 0.0).mean(axis=(0, 1))


class LayerProbe:
    """All layers' activations for one 28x28 image in one call of a function traced once."""

    def __init__(self, model, temperature: float = 1.0, outputs_probabilities: bool = False):
        import tensorflow as tf
        self.layers = chain(model)
        self.model, self.temperature = model, float(temperature)
        self.outputs_probabilities = outputs_probabilities
        layers = self.layers

        @tf.function(input_signature=[tf.TensorSpec([1, 28, 28, 1], tf.float32)])
        def all_outputs(x):
            return [tf.cast(out, tf.float32) for out in run_chain(layers, x)]
        self._call = all_outputs
        self.warm_up()

    @classmethod
    def for_network(cls, network: Network) -> LayerProbe:
        return cls(network.model, network.temperature, network.outputs_probabilities)

    def warm_up(self) -> None:
        self._call(np.zeros((1, 28, 28, 1), np.float32))

    def outputs(self, image28: np.ndarray) -> list[np.ndarray]:
        """Raw outputs of every layer (batch axis removed), as `layer_outputs` gives them, but fast."""
        return [out.numpy()[0] for out in self._call(as_batch(image28)[:1])]

    def probe(self, image28: np.ndarray) -> list[LayerActivation]:
        outputs = self.outputs(image28)
        last = len(outputs) - 1
        found = []
        for i, (layer, values) in enumerate(zip(self.layers, outputs)):
            probabilities = None
            if i == last:
                kind = OUTPUT
                if self.outputs_probabilities:
                    probabilities = values / max(float(values.sum()), 1e-12)
                else:
                    probabilities = softmax(values.astype(np.float64) / self.temperature).astype(np.float32)
                activity = probabilities
            elif values.ndim == 3:
                kind, activity = MAPS, map_activity(values)
            elif values.ndim == 1:
                kind, activity = VECTOR, values
            else:
                raise HwrError(f"{layer.name}: an output of shape {values.shape} is neither maps nor a vector")
            order = np.argsort(-activity, kind="stable")
            found.append(LayerActivation(i, layer.name, type(layer).__name__, kind, values, order, activity,
                                         probabilities))
        return found
