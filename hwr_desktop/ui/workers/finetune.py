"""Fine-tuning a private copy of the current model on the user's samples: core.training.pipeline.finetune_model,
the same pipeline as `hwr-desktop finetune`."""
from __future__ import annotations

from PySide6.QtCore import Signal

from hwr_desktop.core.models.info import ModelInfo
from hwr_desktop.core.training.loop import BatchInfo, EpochInfo, TrainingCallbacks
from hwr_desktop.core.training.pipeline import FinetunedModel
from hwr_desktop.ui.jobs import Worker


class FinetuneWorker(Worker, TrainingCallbacks):
    """Result: core.training.pipeline.FinetunedModel (its info is None unless the result was kept).

    The samples are read by the caller (on the GUI thread) and handed over as arrays, so this
    thread never touches the store. Stop ends the run within a batch, including the before/after
    measurements; the core then reports `stopped` and nothing is offered.
    """
    batchDone = Signal(BatchInfo)
    epochDone = Signal(EpochInfo)        # core.training.finetune.FinetuneEpochInfo (held-out personal accuracy too)

    def __init__(self, model, info: ModelInfo, samples, config=None, data=None, base_name: str = "", parent=None):
        super().__init__(parent)
        self.model, self.info, self.samples = model, info, samples
        self.config, self.data, self.base_name = config, data, base_name

    def on_batch(self, info: BatchInfo) -> None:
        self.batchDone.emit(info)

    def on_epoch(self, info: EpochInfo) -> None:
        self.epochDone.emit(info)

    def work(self) -> FinetunedModel:
        from hwr_desktop.core.training.pipeline import finetune_model
        return finetune_model((self.model, self.info), self.samples, self.config, self, self.stop_flag,
                              self.data, self.base_name)
