"""Fine-tuning a private copy of the current model on the user's samples (core.finetune)."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal

from hwr_desktop.core.training import BatchInfo, EpochInfo, TrainingCallbacks
from hwr_desktop.ui.jobs import Worker


@dataclass
class FinetuneOutcome:
    result: object               # core.finetune.FinetuneResult (its model is usable only if result.kept)
    metadata: dict               # for the fine-tuned model when kept, else {}


class FinetuneWorker(Worker, TrainingCallbacks):
    """Result: FinetuneOutcome.

    The samples are read by the caller (on the GUI thread) and handed over as arrays, so this
    thread never touches the store. Stop ends the run within a batch, including the before/after
    measurements; the core then reports `stopped` and nothing is offered.
    """
    batchDone = Signal(BatchInfo)
    epochDone = Signal(EpochInfo)        # core.finetune.FinetuneEpochInfo (held-out personal accuracy too)

    def __init__(self, model, metadata: dict, samples, config=None, data=None, base_name: str = "", parent=None):
        super().__init__(parent)
        self.model, self.metadata, self.samples = model, dict(metadata), samples
        self.config, self.data, self.base_name = config, data, base_name

    def on_batch(self, info: BatchInfo) -> None:
        self.batchDone.emit(info)

    def on_epoch(self, info: EpochInfo) -> None:
        self.epochDone.emit(info)

    def work(self) -> FinetuneOutcome:
        from hwr_desktop.core.finetune import finetune

        result = finetune((self.model, self.metadata), self.samples, self.config, self, self.stop_flag, self.data)
        metadata = result.model_metadata(self.base_name) if result.kept else {}
        return FinetuneOutcome(result, metadata)
