"""The bundled MNIST dataset: checksum-verified loading and a fixed validation split.

The test set is for final reporting only; model selection uses the validation split carved from
the 60k training images.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwr_desktop.core.data.idx import read_idx_bytes
from hwr_desktop.core.errors import DataError
from hwr_desktop.resources import resource_path

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
VALIDATION_SIZE = 5000
SPLIT_SEED = 20240601  # fixed forever: the same 5k images are validation for every run and seed


@dataclass(frozen=True)
class MnistSplits:
    """uint8 images (N, 28, 28), 0 = background, and int64 labels."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def mnist_dir() -> Path:
    return resource_path("datasets", "mnist")


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """The file's bytes, or DataError if it is missing or its SHA-256 differs."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"MNIST file missing: {path}") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected_sha256:
        raise DataError(f"{path.name}: SHA-256 mismatch (file is corrupt or was replaced): {digest}")
    return raw


def _load_pair(directory: Path, images_key: str, labels_key: str) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for key in (images_key, labels_key):
        name = FILES[key]
        arrays.append(read_idx_bytes(read_verified(directory / name, SHA256[name]), name))
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"unexpected MNIST shapes {images.shape} / {labels.shape} in {directory}")
    return images, labels.astype(np.int64)


@functools.lru_cache(maxsize=2)
def load_mnist(directory: str | None = None) -> MnistSplits:
    """Load and verify the four files; cached, so the GUI and tests pay for it once per process."""
    root = Path(directory) if directory else mnist_dir()
    x_full, y_full = _load_pair(root, "train_images", "train_labels")
    x_test, y_test = _load_pair(root, "test_images", "test_labels")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x_full))
    val, train = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    for array in (x_full, y_full, x_test, y_test):
        array.setflags(write=False)  # shared between threads through the cache: keep it read-only
    return MnistSplits(x_full[train], y_full[train], x_full[val], y_full[val], x_test, y_test)
