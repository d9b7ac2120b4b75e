"""Loading a model file off the GUI thread (the app's own launch: TensorFlow is imported here too)."""
from __future__ import annotations

from pathlib import Path

from hwr_desktop.ui.jobs import Worker


class ModelLoadWorker(Worker):
    """Imports TensorFlow, loads a model file and warms the predictor up; result: core.models.inference.Predictor."""

    def __init__(self, path: str | Path, parent=None):
        super().__init__(parent)
        self.path = Path(path)

    def work(self):
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        from hwr_desktop.core.models.inference import Predictor
        predictor = Predictor.from_file(self.path)
        predictor.warm_up()
        return predictor
