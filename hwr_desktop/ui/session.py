"""The model the app predicts with: loaded from a file, bundled, or freshly trained.

It is never the model a training worker is updating: a trained model only becomes current when
the user chooses "Use this model", after its worker has finished. The app's own launch loads
the first model in a ModelLoadWorker (TensorFlow's import takes seconds), in the session's
JobSlot; a failure there reaches the user through `errorOccurred`, like every panel's.

A bundled model predicts through LiteRT, without TensorFlow. The views that need its Keras network
(evaluation, predictions, the Inside tab) ask `keras_model()`: the one place the GUI loads
TensorFlow, in a KerasModelWorker, never on the GUI thread. Until `kerasReady` they say
LOADING_TENSORFLOW.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from hwr_desktop.core.models.info import ModelInfo
from hwr_desktop.ui.jobs import JobSlot

LOADING_TENSORFLOW = "Loading TensorFlow…"


class ModelSession(QObject):
    modelChanged = Signal()
    kerasReady = Signal()                # the current model's Keras network has loaded (keras_model())
    errorOccurred = Signal(str, str)     # title, message

    def __init__(self, parent=None):
        super().__init__(parent)
        self.jobs = JobSlot(self)
        self.keras_jobs = JobSlot(self)  # the Keras network behind a LiteRT predictor
        self.keras_error = ""            # why the current model's Keras network could not be loaded
        self._keras_for = None           # the predictor whose network is loading or failed to
        self.predictor = None
        self.path: Path | None = None     # None: not saved to a file yet
        self.unsaved = False

    @property
    def ready(self) -> bool:
        return self.predictor is not None

    @property
    def info(self) -> ModelInfo:
        """What the current model's file says about it (an empty description before one is loaded)."""
        return self.predictor.info if self.predictor else ModelInfo()

    @property
    def model(self):
        return self.predictor.model if self.predictor else None

    def keras_model(self):
        """The current model's Keras network, or None: no model, or it is loading in the background
        (the first call starts that; `kerasReady` says when it is there) or failed (`keras_error`).
        Never imports TensorFlow on the calling (GUI) thread."""
        predictor = self.predictor
        if predictor is None or predictor.has_keras_model:
            return None if predictor is None else predictor.model
        if self._keras_for is not predictor:
            from hwr_desktop.ui.workers.model_load import KerasModelWorker
            self._keras_for, self.keras_error = predictor, ""
            self.keras_jobs.start(lambda: KerasModelWorker(predictor, self),
                                  lambda _model: self._on_keras(predictor),
                                  lambda message: self._on_keras_failed(predictor, message))
        return None

    def keras_status(self) -> str:
        """What a view waiting for keras_model() says."""
        return self.keras_error or LOADING_TENSORFLOW

    def _on_keras(self, predictor) -> None:
        if predictor is self.predictor:
            self.kerasReady.emit()

    def _on_keras_failed(self, predictor, message: str) -> None:
        if predictor is self.predictor:
            self.keras_error = f"Cannot load this model's network: {message}"
            self.errorOccurred.emit("Cannot load the model's network", message)

    def load(self, path: str | Path) -> None:
        """Load synchronously; raises ModelFileError and keeps the current model on any problem."""
        from hwr_desktop.core.models.inference import Predictor
        predictor = Predictor.from_file(path)
        predictor.warm_up()
        self.set_predictor(predictor, Path(path))

    def load_in_background(self, path: str | Path) -> None:
        """Load on a worker thread; the model becomes current when it is ready."""
        from hwr_desktop.ui.workers.model_load import ModelLoadWorker
        path = Path(path)

        self.jobs.start(lambda: ModelLoadWorker(path, self), lambda predictor: self.set_predictor(predictor, path),
                        lambda message: self.errorOccurred.emit("Cannot load model", message))

    def shutdown(self) -> bool:
        """Closing the window: wait for a model that is still loading (it cannot be interrupted)."""
        return all([self.jobs.shutdown(), self.keras_jobs.shutdown()])

    def set_predictor(self, predictor, path: Path | None, unsaved: bool = False) -> None:
        self.predictor, self.path, self.unsaved = predictor, path, unsaved
        self.modelChanged.emit()
        if path is not None and getattr(predictor, "backend", None) == "keras":
            # A user's model opened through TensorFlow: its LiteRT twin is made in a child process
            # and kept in the user cache, so the next open of this very file needs no TensorFlow.
            from hwr_desktop.core.export.litert_cache import convert_in_background
            convert_in_background(path)

    def use_trained(self, model, info: ModelInfo) -> None:
        from hwr_desktop.core.models.inference import Predictor
        predictor = Predictor(model, info)   # it measures whether the network ends in a softmax
        predictor.warm_up()
        self.set_predictor(predictor, None, unsaved=True)

    def save(self, path: str | Path) -> Path:
        from hwr_desktop.core.models.modelfile import save_model
        written = save_model(self.model, path, self.info)
        self.path, self.unsaved = written, False
        self.modelChanged.emit()
        return written

    def describe(self) -> str:
        """One line for the status bar."""
        if not self.ready:
            return "No model loaded"
        info = self.info
        acc = info.metrics.test_accuracy
        name = self.path.name if self.path else "unsaved model"
        return f"{name} · preset {info.preset}" + (f" · test {acc:.2%}" if acc else "")
