"""The not-a-digit gate: how likely a prepared 28x28 image is not one digit at all.

Every digit model has ten outputs, so a dot, a letter or two digits side by side still get a
confident digit. The gate is a small network of its own beside the digit model (not an eleventh
output): every digit model keeps working unchanged with it (the bundled ones, a user's older
files, the designer's networks, exports, the Inside views), and it judges the same prepared image
whichever model reads it.

It runs in numpy (three 3x3 convolutions with max pooling, two dense layers; 60k parameters at the
default widths, about 0.3 ms an image), so asking it costs no TensorFlow. Its file is an `.npz` of plain arrays,
read with `allow_pickle=False`: loading it never runs code. The file also holds its calibration
temperature (fitted on validation images) and its threshold (chosen on validation digits so that
almost none is refused); core/training/not_digit_training.py makes it.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import ModelFileError

WIDTHS = (16, 32, 64, 64)      # filters of the three convolutions, units of the hidden dense layer
MAX_WIDTH = 512


def shapes(widths=WIDTHS) -> dict:
    """name -> shape: the only arrays a gate file of these widths may hold (besides "meta", a JSON string)."""
    c1, c2, c3, d = widths
    return {"conv1_k": (3, 3, 1, c1), "conv1_b": (c1,), "conv2_k": (3, 3, c1, c2), "conv2_b": (c2,),
            "conv3_k": (3, 3, c2, c3), "conv3_b": (c3,), "dense1_k": (9 * c3, d), "dense1_b": (d,),
            "dense2_k": (d, 1), "dense2_b": (1,)}


SHAPES = shapes()
MAX_BYTES = 16 * 1024 * 1024
BATCH = 512


def _conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """3x3 'same' convolution + bias + ReLU, channels last: (N, H, W, C) -> (N, H, W, F)."""
    n, h, w, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    patches = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))   # N, H, W, C, 3, 3
    columns = patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, 9 * c)           # rows: ky, kx, c
    out = columns @ kernel.reshape(9 * c, -1) + bias
    return np.maximum(out, 0.0).reshape(n, h, w, -1)


def _pool(x: np.ndarray) -> np.ndarray:
    """2x2 max pooling, 'valid' (an odd last row and column are dropped, as Keras does)."""
    n, h, w, c = x.shape
    h2, w2 = h // 2, w // 2
    return x[:, :2 * h2, :2 * w2].reshape(n, h2, 2, w2, 2, c).max(axis=(2, 4))


@dataclass
class NotDigitGate:
    weights: dict
    temperature: float = 1.0
    threshold: float = 0.5
    info: dict = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path) -> NotDigitGate:
        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES or not zipfile.is_zipfile(path):
            raise ModelFileError(f"{path.name}: not a not-a-digit gate file")
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: np.asarray(archive[name]) for name in archive.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelFileError(f"{path.name}: cannot read the gate file ({exc})") from None
        meta_text = arrays.pop("meta", np.array("{}"))
        try:
            meta = json.loads(str(meta_text))
        except json.JSONDecodeError:
            raise ModelFileError(f"{path.name}: the gate file's description is damaged") from None
        widths = meta.get("widths", list(WIDTHS)) if isinstance(meta, dict) else None
        if not (isinstance(widths, list) and len(widths) == 4
                and all(isinstance(w, int) and 0 < w <= MAX_WIDTH for w in widths)):
            raise ModelFileError(f"{path.name}: the gate file's description is damaged (widths)")
        expected = shapes(widths)
        wrong = {n: a.shape for n, a in arrays.items() if expected.get(n) != a.shape}
        if set(arrays) != set(expected) or wrong:
            raise ModelFileError(f"{path.name}: not a not-a-digit gate file (its arrays: {sorted(arrays)})")
        temperature = float(meta.get("temperature", 1.0))
        threshold = float(meta.get("threshold", 0.5))
        if not (np.isfinite(temperature) and temperature > 0 and 0 < threshold < 1):
            raise ModelFileError(f"{path.name}: the gate file's temperature or threshold is out of range")
        weights = {n: a.astype(np.float32) for n, a in arrays.items()}
        return cls(weights, temperature, threshold, meta)

    def logits(self, images28: np.ndarray) -> np.ndarray:
        """(N,) uncalibrated logits of 'not a digit' for (N, 28, 28) or (N, 28, 28, 1) images in [0, 1]."""
        x = np.asarray(images28, np.float32).reshape(-1, 28, 28, 1)
        out = []
        for start in range(0, len(x), BATCH):
            w = self.weights
            h = _pool(_conv_same(x[start:start + BATCH], w["conv1_k"], w["conv1_b"]))
            h = _pool(_conv_same(h, w["conv2_k"], w["conv2_b"]))
            h = _pool(_conv_same(h, w["conv3_k"], w["conv3_b"]))
            h = np.maximum(h.reshape(len(h), -1) @ w["dense1_k"] + w["dense1_b"], 0.0)
            out.append((h @ w["dense2_k"] + w["dense2_b"])[:, 0])
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def probability(self, images28: np.ndarray) -> np.ndarray:
        """(N,) calibrated probability that each image is not one digit."""
        z = self.logits(images28).astype(np.float64) / self.temperature
        return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))

    def refuses(self, probability: float) -> bool:
        return probability >= self.threshold


_BUNDLED: dict = {}


def bundled_gate() -> NotDigitGate | None:
    """The bundled gate, loaded once (None where this installation has none)."""
    from hwr_desktop.resources import resource_path
    path = resource_path("models", "not_digit.npz")
    if path not in _BUNDLED:
        _BUNDLED[path] = NotDigitGate.from_file(path) if path.exists() else None
    return _BUNDLED[path]
