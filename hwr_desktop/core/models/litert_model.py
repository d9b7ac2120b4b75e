"""A model's LiteRT twin: inference without importing TensorFlow.

Importing TensorFlow costs seconds and about 500 MB; LiteRT (`ai_edge_litert`) runs the same small
network in a fraction of both. A bundled `NAME.keras` may ship with `NAME.tflite`, made by
`python -m hwr_desktop.devtools.make_tflite` through the checked export (core/export/convert.py:
float32, the calibration temperature and softmax inside, compared with Keras on the 10,000 MNIST
test images), and `NAME.tflite.json`, that check's figures plus the SHA-256 of the `.keras` it
came from. A twin is used only when it sits in the installed models folder beside its `.keras`
and that SHA-256 matches: a stale or foreign `.tflite` is never loaded (LiteRT parses the file in
native code). The model's description is read from the `.keras` zip's `hwr_desktop.json`, no
TensorFlow needed. The bundled sequence reader (number_reader.keras) has its twin too, made and
checked the same way on validation strips (devtools/make_tflite.py).

A model the user opens gets its twin made by the app itself (core/export/litert_cache.py, in a
child process) into the user cache, named by the SHA-256 of the `.keras`: `cached_twin` takes it
only when the record beside it names that SHA-256 and the SHA-256 of the `.tflite` the app wrote
(a file dropped or changed in the cache by anything else is not loaded).
"""
from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from pathlib import Path

import numpy as np

from hwr_desktop.core.models.info import LOGITS, PROBABILITIES, ModelInfo

DESCRIPTION = "hwr_desktop.json"


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def twin_paths(keras_path: str | Path) -> tuple[Path, Path]:
    """(NAME.tflite, NAME.tflite.json) beside NAME.keras."""
    keras_path = Path(keras_path)
    tflite = keras_path.with_suffix(".tflite")
    return tflite, tflite.with_name(tflite.name + ".json")


def read_description(keras_path: str | Path) -> ModelInfo:
    """The ModelInfo stored in a .keras file, read from the zip without TensorFlow."""
    with zipfile.ZipFile(keras_path) as archive:
        document = json.loads(archive.read(DESCRIPTION)) if DESCRIPTION in archive.namelist() else {}
    return ModelInfo.from_dict(document)


def fresh_twin(keras_path: str | Path, trusted_folder: Path) -> Path | None:
    """The .tflite twin of `keras_path` if it is shipped in `trusted_folder` and made from this very
    .keras (SHA-256 recorded at build time); else None (Keras serves)."""
    keras_path = Path(keras_path)
    tflite, record = twin_paths(keras_path)
    if keras_path.resolve().parent != Path(trusted_folder).resolve() or not tflite.is_file() or not record.is_file():
        return None
    try:
        recorded = json.loads(record.read_text()).get("source_sha256")
    except (OSError, ValueError):
        return None
    return tflite if recorded == sha256_of(keras_path) else None


def shipped_twin(keras_path: str | Path) -> Path | None:
    """The shipped, up-to-date twin of a model file in the installed models folder, or None."""
    from hwr_desktop.resources import resource_path
    return fresh_twin(keras_path, resource_path("models"))


def cache_paths(source_sha256: str) -> tuple[Path, Path]:
    """(SHA.tflite, SHA.tflite.json) in the user cache: where the app keeps the twin it made of a
    user's model whose .keras has that SHA-256."""
    from hwr_desktop.core.paths import litert_cache_dir
    tflite = litert_cache_dir() / f"{source_sha256}.tflite"
    return tflite, tflite.with_name(tflite.name + ".json")


def cached_twin(keras_path: str | Path, source_sha256: str | None = None) -> Path | None:
    """The twin the app made of `keras_path` in the user cache, if it is there whole; else None (also
    for a file that cannot be read: loading it through Keras then says why, in one sentence)."""
    try:
        source_sha256 = source_sha256 or sha256_of(keras_path)
    except OSError:
        return None
    tflite, record = cache_paths(source_sha256)
    if not tflite.is_file() or not record.is_file():
        return None
    try:
        recorded = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("source_sha256") != source_sha256:
        return None
    return tflite if recorded.get("tflite_sha256") == sha256_of(tflite) else None


def trusted_twin(keras_path: str | Path) -> tuple[Path, Path] | None:
    """(twin, its record) of `keras_path`: shipped beside a bundled model, or made by the app in the
    user cache; None when there is none (Keras serves)."""
    shipped = shipped_twin(keras_path)
    if shipped is not None:
        return shipped, twin_paths(keras_path)[1]
    cached = cached_twin(keras_path)
    return None if cached is None else (cached, cached.with_name(cached.name + ".json"))


class LiteRTModel:
    """Callable like the Keras model's traced call: a float32 batch -> the file's output. A digit
    model's twin: (N, 28, 28, 1) -> (N, 10) probabilities (calibrated: the temperature and softmax
    are inside the file); the sequence reader's: (1, 32, W, 1) -> (1, W / 2, 11) frame logits (its
    input is resized to each strip's width)."""

    def __init__(self, path: str | Path, threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter
        self.path = Path(path)
        # One interpreter is not safe to call from two threads (the canvas predicts on the GUI thread
        # while a number is read on a worker, with the same Predictor): calls take turns.
        self._lock = threading.Lock()
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._dynamic = int(self._input["shape_signature"][0]) == -1
        self._shape: tuple | None = None

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, np.float32)
        with self._lock:
            if not self._dynamic:   # a file fixed at batch 1: one image at a time
                return np.concatenate([self._run(batch[i:i + 1]) for i in range(len(batch))])
            return self._run(batch)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self._shape != batch.shape:
            self._interpreter.resize_tensor_input(self._input["index"], batch.shape)
            self._interpreter.allocate_tensors()
            self._shape = batch.shape
        self._interpreter.set_tensor(self._input["index"], batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()


def litert_info(keras_path: str | Path, record: Path | None = None) -> ModelInfo:
    """The description of a bundled model, as Keras would give it, without TensorFlow: the file's
    ModelInfo, with what the network outputs (logits or probabilities) as the export measured it from
    the network (`source_outputs` in the twin's record; a file's own word is not trusted). The twin
    itself always outputs calibrated probabilities; the Predictor knows that apart from `info`."""
    record = record or twin_paths(keras_path)[1]
    measured = json.loads(record.read_text()).get("source_outputs")
    return read_description(keras_path).replace(outputs=PROBABILITIES if measured == PROBABILITIES else LOGITS)
