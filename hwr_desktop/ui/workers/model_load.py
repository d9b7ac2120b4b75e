"""Loading a model file off the GUI thread. A bundled model loads through its LiteRT twin, without
TensorFlow; any other model imports TensorFlow here (the app's own launch with a user's model).
KerasModelWorker loads the Keras network behind a LiteRT predictor when a view first needs it."""
from __future__ import annotations

from pathlib import Path

from hwr_desktop.ui.jobs import Worker


class ModelLoadWorker(Worker):
    """Loads a model file (LiteRT for a bundled one, else Keras) and warms the predictor up;
    result: core.models.inference.Predictor."""

    def __init__(self, path: str | Path, parent=None):
        super().__init__(parent)
        self.path = Path(path)

    def work(self):
        from hwr_desktop.core.models.inference import Predictor
        if Predictor.litert_twin(self.path) is None:
            from hwr_desktop.core.tfload import import_tensorflow
            import_tensorflow()   # TensorFlow's banner silenced before Keras imports it
        predictor = Predictor.from_file(self.path)
        predictor.warm_up()
        return predictor


class KerasModelWorker(Worker):
    """Imports TensorFlow (core/tfload.py: its native libraries first, without the GIL) and loads the
    predictor's Keras network; result: that network. The predictor keeps it (`Predictor.model`)."""

    def __init__(self, predictor, parent=None):
        super().__init__(parent)
        self.predictor = predictor

    def work(self):
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        return self.predictor.model
