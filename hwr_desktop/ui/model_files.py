"""Model files as the File menu sees them: open, save, the recent list and the model to start with.

The session holds the current model; this object adds what belongs to files and settings around
it: remembering the last model opened, keeping "Open Recent" honest (a file that has gone is
dropped after the error), and the Open/Save dialogs. Errors go out on `errorOccurred`, like every
panel's, and the current model is kept on any problem.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from hwr_desktop.core.errors import HwrError
from hwr_desktop.resources import default_model_path
from hwr_desktop.ui.settings import add_recent_model, recent_models, remove_recent_model

MODEL_FILTER = "Keras models (*.keras);;All files (*)"


class ModelFiles(QObject):
    errorOccurred = Signal(str, str)     # title, message
    statusMessage = Signal(str, int)     # text, milliseconds (0: until replaced)
    recentChanged = Signal()

    def __init__(self, session, settings, dialog_parent):
        super().__init__(dialog_parent)
        self.session, self.settings, self.dialog_parent = session, settings, dialog_parent
        session.modelChanged.connect(self._remember_current)

    def recent(self) -> list[str]:
        return recent_models(self.settings)

    def initial_path(self) -> Path:
        last = self.settings.value("lastModel", "")
        return Path(last) if last and Path(last).is_file() else default_model_path()

    def load_first(self, path: Path, in_background: bool) -> None:
        """The model the window starts with (the app's own launch loads it in the background)."""
        if in_background:
            self.session.load_in_background(path)
            return
        try:
            self.session.load(path)
        except HwrError as exc:
            self.statusMessage.emit("No model loaded", 0)
            self.errorOccurred.emit("Cannot load model", str(exc))

    def open_dialog(self) -> None:
        start = str(self.session.path.parent) if self.session.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open Model", start, MODEL_FILTER)
        if path:
            self.open(path)

    def open(self, path: str | Path) -> bool:
        """Load a model file; on any problem report it and keep the current model."""
        path = str(path)
        try:
            self.session.load(path)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot open model", str(exc))
            if not Path(path).exists():
                remove_recent_model(self.settings, path)
                self.recentChanged.emit()
            return False
        add_recent_model(self.settings, str(Path(path).resolve()))
        self.recentChanged.emit()
        return True

    def save_dialog(self) -> None:
        if not self.session.ready:
            return
        suggested = self.session.path or Path.home() / f"{self.session.info.preset}.keras"
        path, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save Model As", str(suggested), MODEL_FILTER)
        if path:
            self.save(path)

    def save(self, path: str | Path) -> bool:
        path = Path(path)
        if path.suffix != ".keras":
            path = path.with_suffix(".keras")
        try:
            written = self.session.save(path)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot save model", str(exc))
            return False
        add_recent_model(self.settings, str(written.resolve()))
        self.recentChanged.emit()
        self.statusMessage.emit(f"Saved {written}", 5000)
        return True

    def use_trained(self, model, info) -> None:
        """A model from training or fine-tuning becomes current (not saved yet)."""
        self.session.use_trained(model, info)
        self.statusMessage.emit("Using the newly trained model (not saved yet)", 5000)

    def save_trained(self, model, info) -> None:
        self.use_trained(model, info)
        self.save_dialog()

    def _remember_current(self) -> None:
        # The bundled model is the default anyway: only another file is worth remembering.
        if self.session.path and self.session.path != default_model_path():
            self.settings.setValue("lastModel", str(self.session.path))
        elif self.session.path == default_model_path():
            self.settings.remove("lastModel")
