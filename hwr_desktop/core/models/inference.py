"""Inference for one image at a time, fast enough to run after every stroke.

`Predictor` wraps a loaded model in a tf.function with a fixed input signature and calls it
directly (no `model.predict`, whose per-call set-up costs tens of milliseconds). The GUI keeps
its own Predictor, separate from any model being trained.

Two back ends behind the one interface: Keras (any model; imports TensorFlow) and LiteRT (a model's
checked `.tflite` twin, core/models/litert_model.py; no TensorFlow): shipped beside a bundled model,
or made by the app of a model the user opened and kept in the user cache under the .keras file's
SHA-256 (core/export/litert_cache.py). `from_file(path, backend="auto")` takes a trusted twin when
there is one, else Keras; a LiteRT Predictor has its Keras `model` loaded only when first asked for
(the Inside views, evaluation, saving). The sequence reader (core/reading/number_reader.py) has the
same two back ends, chosen the same way.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwr_desktop.core.data.preprocess import Preprocessed, as_batch, preprocess
from hwr_desktop.core.models.evaluation import softmax
from hwr_desktop.core.models.info import ModelInfo
from hwr_desktop.core.models.not_digit import bundled_gate


@dataclass(frozen=True)
class Prediction:
    digit: int | None                 # None: no digit found, or what was found is not a digit
    confidence: float                 # the digit's probability; for a refused image, "not a digit"'s
    probabilities: np.ndarray         # (10,) over the digits alone (sum 1), zeros when there is no digit
    prepared: Preprocessed | None     # the 28x28 image the model saw, and the ink's box
    not_digit: float | None = None    # the gate's probability that the image is not one digit (None: no gate)

    @property
    def refused(self) -> bool:
        """Ink was found, but the not-a-digit gate says it is not one digit."""
        return self.digit is None and self.prepared is not None and self.not_digit is not None

    def to_dict(self) -> dict:
        out = {"digit": self.digit, "confidence": round(self.confidence, 6),
               "probabilities": [round(float(p), 6) for p in self.probabilities]}
        if self.not_digit is not None:
            out["not_digit"] = round(self.not_digit, 6)
        return out


BACKENDS = ("auto", "keras", "litert")


class Predictor:
    backend = "keras"
    use_gate = True                      # ask the not-a-digit gate (core/models/not_digit.py), when installed
    _keras_path: Path | None = None      # LiteRT: the .keras the twin was made from, loaded when asked for
    _keras_lock = threading.Lock()

    def __init__(self, model, info: ModelInfo | None = None):
        import tensorflow as tf

        from hwr_desktop.core.models.modelfile import described
        self._model = model
        self.info = described(model, info)
        self._call = tf.function(lambda x: model(x, training=False),
                                 input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])

    @classmethod
    def from_file(cls, path: str | Path, backend: str = "auto") -> Predictor:
        """`auto`: the LiteRT twin of a bundled model when it is shipped and made from this very file,
        else Keras; `keras` or `litert` to choose (`litert` needs the twin)."""
        if backend not in BACKENDS:
            raise ValueError(f"unknown back end {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend != "keras":
            from hwr_desktop.core.models.litert_model import trusted_twin
            twin = trusted_twin(path)
            if twin is not None:
                return cls.from_litert(twin[0], path, twin[1])
            if backend == "litert":
                from hwr_desktop.core.errors import HwrError
                raise HwrError(f"{Path(path).name} has no up-to-date LiteRT file (shipped or made by this app)")
        from hwr_desktop.core.models.modelfile import load_model
        return cls(*load_model(path))

    @staticmethod
    def litert_twin(path: str | Path) -> Path | None:
        """The trusted, up-to-date .tflite twin of a model file (shipped, or made by the app), or None."""
        from hwr_desktop.core.models.litert_model import trusted_twin
        twin = trusted_twin(path)
        return None if twin is None else twin[0]

    @classmethod
    def from_litert(cls, tflite_path: str | Path, keras_path: str | Path, record: str | Path | None = None) -> Predictor:
        """The LiteRT back end: `tflite_path` (already trusted by the caller) with the description
        stored in `keras_path` (and what the network outputs from the twin's `record`, by default the
        one beside a shipped twin). No TensorFlow is imported."""
        from hwr_desktop.core.models.litert_model import LiteRTModel, litert_info
        predictor = cls.__new__(cls)
        predictor._model, predictor._keras_path = None, Path(keras_path)
        predictor.backend = "litert"
        predictor.info = litert_info(keras_path, None if record is None else Path(record))
        predictor._call = LiteRTModel(tflite_path)
        return predictor

    @property
    def model(self):
        """The Keras network. The LiteRT back end has none until something asks (the Inside views,
        evaluation, saving, fine-tuning): then the .keras is loaded, importing TensorFlow, once."""
        if self._model is None and self._keras_path is not None:
            with self._keras_lock:
                if self._model is None:
                    from hwr_desktop.core.models.modelfile import load_model
                    self._model = load_model(self._keras_path)[0]
        return self._model

    @property
    def has_keras_model(self) -> bool:
        """Whether the network is loaded already (asking for `model` would not import TensorFlow)."""
        return self._model is not None

    def warm_up(self) -> None:
        """Trace the tf.function once and read the not-a-digit gate's file, so the first real prediction
        is as fast as the rest."""
        self.probabilities(np.zeros((28, 28), np.float32))
        if self.use_gate:
            bundled_gate()

    def probabilities(self, images28: np.ndarray) -> np.ndarray:
        """(N, 28, 28[, 1]) or (28, 28) floats in [0, 1] -> (N, 10) probabilities."""
        out = np.asarray(self._call(as_batch(images28)))
        if self.backend == "litert":   # the twin's outputs are calibrated probabilities already
            return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        if self.info.outputs_probabilities:
            return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        return softmax(out / self.info.temperature)

    def predict_prepared(self, prepared: Preprocessed | None) -> Prediction:
        if prepared is None:
            return Prediction(None, 0.0, np.zeros(10, np.float32), None)
        probs = self.probabilities(prepared.image)[0]
        digit = int(probs.argmax())
        gate = bundled_gate() if self.use_gate else None
        if gate is None:
            return Prediction(digit, float(probs[digit]), probs, prepared)
        # Eleven outcomes: "not a digit" with the gate's probability g, each digit with (1 - g) of its own.
        g = float(gate.probability(prepared.image)[0])
        if gate.refuses(g):
            return Prediction(None, g, probs, prepared, not_digit=g)
        return Prediction(digit, float(probs[digit]) * (1.0 - g), probs, prepared, not_digit=g)

    def predict_image(self, image: np.ndarray) -> Prediction:
        """Any image array (canvas, file) through the shared preprocessing, then the model."""
        return self.predict_prepared(preprocess(image))
