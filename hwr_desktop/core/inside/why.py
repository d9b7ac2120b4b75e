"""Why the model answered what it did (the Inside tab's Why view): saliency, Grad-CAM and first-layer
feature maps for one image.

`Inspector(model)` works on any Keras model with a Conv2D among its top-level layers (all our
presets). A "conv block" is a Conv2D plus the BatchNormalization / ReLU / Activation layers that
directly follow it: in the batch-normalized presets the convolution itself has no activation,
so its raw output is unscaled and signed; the block's output is what the next layer really sees.

* `feature_maps(image)`: the first conv block's output, one map per filter.
* `saliency(image)`: SmoothGrad x input: d score / d pixel averaged over the image and a few
  noisy copies of it (plain gradients are speckled; the average keeps what matters consistently),
  times the pixel, positive part, slightly blurred: which strokes of the drawing support the answer.
* `grad_cam(image)`: the last conv block's maps weighted by the mean gradient of the score over
  each map, rectified and scaled up to 28x28: coarse, but shows the regions the class relies on.

"Score" is the class logit (or the log-probability, for models that end in a softmax). All maps
are returned normalized to [0, 1]. The graphs are traced once, so a call takes milliseconds.
"""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.data.preprocess import as_batch
from hwr_desktop.core.errors import HwrError

SMOOTHGRAD_SAMPLES = 8
SMOOTHGRAD_NOISE = 0.15      # noise standard deviation, as a share of the [0, 1] pixel range
SALIENCY_CLIP_PERCENTILE = 99.5  # one hot pixel must not make the rest of the map invisible
SALIENCY_BLUR = 0.7          # pixels: merges single hot pixels into the strokes they belong to


def conv_blocks(model) -> list[tuple[object, object]]:
    """(conv layer, last layer of its block) for each top-level Conv2D, in order."""
    import keras
    tail_types = (keras.layers.BatchNormalization, keras.layers.ReLU, keras.layers.Activation)
    layers = list(getattr(model, "layers", []))
    sequential = isinstance(model, keras.Sequential)   # its layers form one chain, in order
    blocks = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.Conv2D):
            continue
        end = layer
        for nxt in layers[i + 1:]:
            follows = sequential or _feeds(end, nxt)
            if not (isinstance(nxt, tail_types) and follows):
                break
            end = nxt
        blocks.append((layer, end))
    return blocks


def _feeds(layer, nxt) -> bool:
    """In a functional model: is `nxt` applied directly to `layer`'s output (no branch)?"""
    try:
        return nxt.input is layer.output
    except (AttributeError, ValueError):
        return False


def _split_model(model, end_layer):
    """A callable x -> (output of end_layer, model output) in one forward pass (the model output is
    skipped with maps_only=True, where possible).

    A Sequential model is run layer by layer: a model loaded from a file can carry its layers'
    graph nodes twice, so a functional sub-model built from `layer.output` may not be connected
    to `model.outputs` and gives no gradient. Other functional models get that sub-model.
    """
    import keras
    if isinstance(model, keras.Sequential):
        layers = list(model.layers)
        cut = layers.index(end_layer) + 1

        def call(x, maps_only=False):
            for layer in layers[:cut]:
                x = layer(x, training=False)
            maps = x
            for layer in ([] if maps_only else layers[cut:]):
                x = layer(x, training=False)
            return maps, x
        return call
    sub = keras.Model(model.inputs[0], [end_layer.output, model.outputs[0]])
    return lambda x, maps_only=False: sub(x, training=False)


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A small separable Gaussian blur, edges padded with zeros (the MNIST background)."""
    radius = max(1, int(round(3 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    rows = np.apply_along_axis(np.convolve, 1, image, kernel, mode="same")
    return np.apply_along_axis(np.convolve, 0, rows, kernel, mode="same").astype(np.float32)


def normalize_map(values: np.ndarray, clip_percentile: float | None = None) -> np.ndarray:
    """Non-negative map -> float32 in [0, 1] (all zeros stays all zeros)."""
    values = np.maximum(np.asarray(values, np.float32), 0.0)
    top = float(np.percentile(values, clip_percentile)) if clip_percentile else float(values.max())
    if top <= 0:
        top = float(values.max())
    return np.clip(values / top, 0.0, 1.0) if top > 0 else np.zeros_like(values)


def normalize_maps(maps: np.ndarray) -> np.ndarray:
    """(C, H, W) activations -> each map scaled to [0, 1] on its own, so weak filters stay visible."""
    maps = np.asarray(maps, np.float32)
    low = maps.min(axis=(1, 2), keepdims=True)
    span = maps.max(axis=(1, 2), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)


class Inspector:
    def __init__(self, model, outputs_are_probabilities: bool = False):
        import tensorflow as tf

        blocks = conv_blocks(model)
        if not blocks:
            raise HwrError("this model has no convolution layer, so there are no feature maps or "
                           "Grad-CAM to show (the Why view needs a convolutional network)")
        from hwr_desktop.core.network.deskew import deskew_layer
        self.model = model
        # A network that deskews its input computes Grad-CAM on the deskewed digit: warped back for display.
        self._deskew = deskew_layer(model)
        self.first_conv, first_end = blocks[0]
        self.last_conv, last_end = blocks[-1]
        self.outputs_are_probabilities = outputs_are_probabilities
        features = _split_model(model, first_end)
        cam_model = _split_model(model, last_end)
        images = tf.TensorSpec([None, 28, 28, 1], tf.float32)
        target = tf.TensorSpec([], tf.int32)

        def score(outputs, cls):
            out = outputs[:, cls]
            return tf.math.log(out + 1e-7) if outputs_are_probabilities else out

        @tf.function(input_signature=[images])
        def feature_fn(x):
            return features(x, maps_only=True)[0]

        @tf.function(input_signature=[images, target])
        def input_gradient_fn(x, cls):
            with tf.GradientTape() as tape:
                tape.watch(x)
                s = score(model(x, training=False), cls)
            return tape.gradient(s, x)

        @tf.function(input_signature=[images, target])
        def cam_fn(x, cls):
            with tf.GradientTape() as tape:
                maps, outputs = cam_model(x)    # maps are recorded: they were computed under the tape
                s = score(outputs, cls)
            return maps, tape.gradient(s, maps), outputs

        self._features, self._input_gradient, self._cam = feature_fn, input_gradient_fn, cam_fn

    @property
    def feature_count(self) -> int:
        return int(self.first_conv.filters)

    def predicted_class(self, image28: np.ndarray) -> int:
        return int(self.model(as_batch(image28), training=False).numpy()[0].argmax())

    def feature_maps(self, image28: np.ndarray) -> np.ndarray:
        """The first conv block's output for one 28x28 image: (filters, H, W) float32, raw values."""
        maps = self._features(as_batch(image28)).numpy()[0]
        return np.moveaxis(maps, -1, 0)

    def saliency(self, image28: np.ndarray, target: int | None = None, samples: int = SMOOTHGRAD_SAMPLES,
                 noise: float = SMOOTHGRAD_NOISE, smooth: float = SALIENCY_BLUR, seed: int = 0) -> np.ndarray:
        """SmoothGrad x input for `target` (default: the predicted digit): (28, 28) float32 in [0, 1].

        The gradient is averaged over the image and noisy copies of it, multiplied by the image and
        only its positive part kept: the ink that counts *for* the answer. The noise is seeded, so
        the same drawing always gives the same map.
        """
        x = as_batch(image28)[:1]
        target = self.predicted_class(x) if target is None else int(target)
        rng = np.random.default_rng(seed)
        noisy = x + rng.normal(0.0, noise, size=(samples,) + x.shape[1:]).astype(np.float32)
        batch = np.concatenate([x, noisy]).astype(np.float32)
        grads = self._input_gradient(batch, np.int32(target)).numpy()[..., 0]
        evidence = np.maximum(grads.mean(axis=0) * x[0, ..., 0], 0.0)
        if smooth:
            evidence = gaussian_blur(evidence, smooth)
        return normalize_map(evidence, SALIENCY_CLIP_PERCENTILE)

    def grad_cam(self, image28: np.ndarray, target: int | None = None) -> np.ndarray:
        """Grad-CAM on the last conv block for `target` (default: predicted): (28, 28) in [0, 1]."""
        import tensorflow as tf
        x = as_batch(image28)[:1]
        target = self.predicted_class(x) if target is None else int(target)
        maps, grads, _ = self._cam(x, np.int32(target))
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)        # one weight per channel
        cam = tf.nn.relu(tf.reduce_sum(maps * weights, axis=-1, keepdims=True))
        # Bilinear scaling of the coarse (7x7 or 11x11) map to the input's 28x28 grid.
        cam = tf.image.resize(cam, (28, 28), method="bilinear")
        if self._deskew is not None:
            cam = self._deskew.to_input_grid(cam, x)
        return normalize_map(cam.numpy()[0, ..., 0])


# --- Colouring maps for display (plain numpy, so the GUI only converts an array to an image) -----
_HEAT_STOPS = np.array([0.0, 0.35, 0.7, 1.0], np.float32)
_HEAT_COLOURS = np.array([[0, 0, 0], [200, 20, 40], [255, 150, 0], [255, 255, 120]], np.float32)  # black-red-orange-yellow


def heat_colours(heat: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) float32 RGB 0..255 on a black-red-yellow scale."""
    heat = np.clip(np.asarray(heat, np.float32), 0.0, 1.0)
    return np.stack([np.interp(heat, _HEAT_STOPS, _HEAT_COLOURS[:, c]) for c in range(3)], axis=-1)


def heat_overlay(image28: np.ndarray, heat: np.ndarray, strength: float = 0.75) -> np.ndarray:
    """The input in grey with the heat map laid over it, where it is hot: (28, 28, 3) uint8 RGB."""
    gray = np.clip(np.asarray(image28, np.float32), 0.0, 1.0)[..., None] * 255 * 0.7
    heat = np.clip(np.asarray(heat, np.float32), 0.0, 1.0)
    alpha = (strength * np.sqrt(heat))[..., None]   # sqrt: faint evidence still shows
    return np.clip(gray * (1 - alpha) + heat_colours(heat) * alpha, 0, 255).astype(np.uint8)
