"""Training a new model on MNIST, then measuring it on the test set: core.pipeline.train_model,
the same pipeline as `hwr-desktop train`, with this worker's signals as its callbacks."""
from __future__ import annotations

import gc

from PySide6.QtCore import Signal

from hwr_desktop.core.pipeline import TrainedModel
from hwr_desktop.core.training import BatchInfo, EpochInfo, TrainingCallbacks, TrainingConfig
from hwr_desktop.ui.jobs import Worker


class TrainingWorker(Worker, TrainingCallbacks):
    """Result: core.pipeline.TrainedModel (not saved: the user decides). Stop ends training within a
    batch and still evaluates what was trained; abort (closing the app) skips that evaluation too."""
    batchDone = Signal(BatchInfo)
    epochDone = Signal(EpochInfo)
    evaluating = Signal(int, int)        # test images done, total

    def __init__(self, config: TrainingConfig, parent=None):
        super().__init__(parent)
        self.config = config

    def on_batch(self, info: BatchInfo) -> None:
        self.batchDone.emit(info)

    def on_epoch(self, info: EpochInfo) -> None:
        self.epochDone.emit(info)

    def work(self) -> TrainedModel:
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        from hwr_desktop.core.pipeline import train_model
        # A full garbage collection scans every tracked object with the GIL held: with TensorFlow,
        # Keras and the window that is ~360,000 objects and ~200 ms, a freeze of the GUI thread
        # (a gen-2 collection while the model is traced, sometimes more during training). What is
        # alive now (modules, the window, the session's model) outlives the run: freeze it so
        # collections only scan what the run creates. Unfrozen after the run, so that a model the
        # session drops later is collected as before (reference counting frees the rest anyway).
        gc.freeze()
        try:
            return train_model(self.config, self, stop=self.stop_flag, abort=self.abort_flag,
                               evaluating=self.evaluating.emit)
        finally:
            gc.unfreeze()
