"""Training a new model on MNIST, then measuring it on the test set: core.training.pipeline.train_model,
the same pipeline as `hwr-desktop train`, with this worker's signals as its callbacks.

With `record_learning`, a core.inside.learning_frames.LearningRecorder rides along: at the end of every
epoch it makes a LearningFrame (first-layer kernels, 1,000 validation digits on a 2-D map; about
0.5 s) here on the training thread, and `frameReady` carries it to the GUI, which only draws it."""
from __future__ import annotations

import gc
import logging

from PySide6.QtCore import Signal

from hwr_desktop.core.training.loop import BatchInfo, EpochInfo, TrainingCallbacks, TrainingConfig
from hwr_desktop.core.training.pipeline import TrainedModel
from hwr_desktop.ui.jobs import Worker


class TrainingWorker(Worker, TrainingCallbacks):
    """Result: core.training.pipeline.TrainedModel (not saved: the user decides). Stop ends training within a
    batch and still evaluates what was trained; abort (closing the app) skips that evaluation too."""
    batchDone = Signal(BatchInfo)
    epochDone = Signal(EpochInfo)
    evaluating = Signal(int, int)        # test images done, total
    frameReady = Signal(object)          # core.inside.learning_frames.LearningFrame, one per epoch

    def __init__(self, config: TrainingConfig, record_learning: bool = False, parent=None):
        super().__init__(parent)
        self.config, self.record_learning = config, record_learning
        self.recorder = None             # the LearningRecorder, made in work() when recording

    def on_start(self, model, config) -> None:
        self._record(lambda recorder: recorder.on_start(model, config))

    def on_batch(self, info: BatchInfo) -> None:
        self.batchDone.emit(info)

    def on_epoch(self, info: EpochInfo) -> None:
        self.epochDone.emit(info)            # the curves first: the frame takes a moment
        self._record(lambda recorder: recorder.on_epoch(info))

    def _record(self, call) -> None:
        """A recorder that fails (e.g. a network without a Dense layer to map) stops recording, not training."""
        if self.recorder is None:
            return
        try:
            call(self.recorder)
        except Exception:
            logging.getLogger("hwr_desktop").warning("recording the learning frames stopped", exc_info=True)
            self.recorder = None

    def work(self) -> TrainedModel:
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        from hwr_desktop.core.training.pipeline import train_model
        if self.record_learning:
            from hwr_desktop.core.inside.learning_frames import LearningRecorder
            self.recorder = LearningRecorder(on_frame=self.frameReady.emit)
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
