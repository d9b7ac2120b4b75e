"""How the digits are arranged: the features the classifier reads, projected to a 2-D map.

The last Dense layer turns a feature vector into ten logits; those vectors (the output of the
layer before it: 1,152 numbers in the default network) are where a network has sorted the digits.
`digit_map(model, images, labels)` computes them for a set of images (by default the first 2,000
MNIST test images), projects them to 2-D with PCA, and keeps per point its label, the prediction
(mistakes are points whose prediction differs) and the image index for hover. `DigitMap.place`
puts new features (the current drawing's, `LayerProbe` output at `layer_index`) on the same map.

PCA is done in numpy with a randomized range finder (Halko et al., 2011, with power iterations:
accurate for the top two components): deterministic for a seed, about 0.1 s for 2,000 x 1,152. Each
component's sign is fixed (its largest loading positive), so refitting does not mirror the map.
Neither umap-learn nor scikit-learn is installed here, so UMAP and t-SNE are not offered.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.layer_activations import as_image_batch, chain, run_chain

DEFAULT_COUNT = 2000
BATCH = 500


@dataclass(frozen=True)
class Projection:
    mean: np.ndarray           # (D,) float64
    components: np.ndarray     # (2, D) float64, orthonormal rows
    explained: np.ndarray      # (2,) share of the features' variance along each component

    def project(self, features: np.ndarray) -> np.ndarray:
        """(D,) or (M, D) features -> (2,) or (M, 2) float32 map coordinates."""
        features = np.asarray(features, np.float64)
        return ((features.reshape(-1, self.mean.size) - self.mean) @ self.components.T).astype(
            np.float32).reshape(features.shape[:-1] + (2,))


def fit_pca(features: np.ndarray, seed: int = 0, iterations: int = 4, oversampling: int = 10) -> Projection:
    """The two principal components of (N, D) features; deterministic for a seed."""
    x = np.asarray(features, np.float64).reshape(len(features), -1)
    if len(x) < 3:
        raise HwrError("a 2-D map needs at least three images")
    mean = x.mean(axis=0)
    x = x - mean
    n, d = x.shape
    rank = min(2 + oversampling, n, d)
    if rank == min(n, d):                                      # small: exact
        _, s, vt = np.linalg.svd(x, full_matrices=False)
    else:                                                      # randomized range finder + power iterations
        q, _ = np.linalg.qr(x @ np.random.default_rng(seed).standard_normal((d, rank)))
        for _ in range(iterations):
            q, _ = np.linalg.qr(x.T @ q)
            q, _ = np.linalg.qr(x @ q)
        _, s, vt = np.linalg.svd(q.T @ x, full_matrices=False)
    components = vt[:2].copy()
    if len(components) < 2:
        components = np.vstack([components, np.zeros((2 - len(components), d))])
        s = np.concatenate([s, np.zeros(2)])
    strongest = np.abs(components).argmax(axis=1)
    components *= np.where(components[np.arange(2), strongest] < 0, -1.0, 1.0)[:, None]
    total = float((x ** 2).sum())
    explained = (s[:2] ** 2) / total if total > 0 else np.zeros(2)
    return Projection(mean, components, explained)


def classifier_input_index(model) -> int:
    """The layer whose output the last Dense layer reads (-1: the image itself)."""
    layers = chain(model)
    dense = [i for i, layer in enumerate(layers) if type(layer).__name__ == "Dense"]
    if not dense:
        raise HwrError("this network has no Dense layer, so no feature vector to map")
    return dense[-1] - 1


class FeatureExtractor:
    """(features the last Dense reads, the model's outputs) for many images; traced once per model."""

    def __init__(self, model):
        import tensorflow as tf
        layers = chain(model)
        self.layer_index = classifier_input_index(model)
        self.layer_name = layers[self.layer_index].name if self.layer_index >= 0 else "input"
        index = self.layer_index

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
        def features_and_outputs(x):
            outputs = run_chain(layers, x)
            features = outputs[index] if index >= 0 else x
            flat = tf.reshape(tf.cast(features, tf.float32), [tf.shape(x)[0], -1])
            return flat, tf.cast(outputs[-1], tf.float32)
        self._call = features_and_outputs

    def __call__(self, images: np.ndarray, batch: int = BATCH, stop: threading.Event | None = None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
        features, outputs = [], []
        for start in range(0, len(images), batch):
            if stop is not None and stop.is_set():
                raise HwrError("stopped")
            f, o = self._call(as_image_batch(images[start:start + batch]))
            features.append(f.numpy())
            outputs.append(o.numpy())
            if progress is not None:
                progress(min(len(images), start + batch), len(images))
        return np.concatenate(features), np.concatenate(outputs)


@dataclass(frozen=True)
class DigitMap:
    points: np.ndarray          # (N, 2) float32
    labels: np.ndarray          # (N,) the true digits
    predictions: np.ndarray     # (N,) the network's digits
    image_indices: np.ndarray   # (N,) which image each point is (in the set mapped: MNIST test by default)
    projection: Projection
    layer_index: int            # whose output the features are (LayerProbe activations[layer_index])
    layer_name: str

    @property
    def mistakes(self) -> np.ndarray:
        return self.predictions != self.labels

    def place(self, features: np.ndarray) -> np.ndarray:
        """The map position of new features (the current drawing's): (2,) float32."""
        return self.projection.project(np.asarray(features).reshape(-1))

    def nearest(self, x: float, y: float) -> int:
        """The row of the point nearest to (x, y) in map coordinates (for hover)."""
        return int(np.argmin(((self.points - np.array([x, y], np.float32)) ** 2).sum(axis=1)))


def digit_map(model, images: np.ndarray, labels: np.ndarray, image_indices: np.ndarray | None = None,
              seed: int = 0, extractor: FeatureExtractor | None = None, stop: threading.Event | None = None,
              progress: Callable[[int, int], None] | None = None) -> DigitMap:
    """The images' classifier features projected to 2-D, with labels, predictions and image indices."""
    extractor = extractor or FeatureExtractor(model)
    features, outputs = extractor(images, stop=stop, progress=progress)
    projection = fit_pca(features, seed)
    indices = np.arange(len(images)) if image_indices is None else np.asarray(image_indices)
    return DigitMap(projection.project(features), np.asarray(labels), outputs.argmax(axis=1), indices, projection,
                    extractor.layer_index, extractor.layer_name)


def mnist_test_map(model, count: int = DEFAULT_COUNT, seed: int = 0, stop: threading.Event | None = None,
                   progress: Callable[[int, int], None] | None = None) -> DigitMap:
    """The map of the first `count` MNIST test images (shown only: nothing is chosen on them)."""
    from hwr_desktop.core.data.mnist import load_mnist
    data = load_mnist()
    return digit_map(model, data.x_test[:count], data.y_test[:count], seed=seed, stop=stop, progress=progress)
