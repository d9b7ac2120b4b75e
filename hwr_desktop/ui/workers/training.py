"""Training a new model on MNIST, then measuring it on the test set (core.training, core.evaluation)."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal

from hwr_desktop.core.training import BatchInfo, EpochInfo, TrainingCallbacks, TrainingConfig
from hwr_desktop.ui.jobs import Worker


@dataclass
class TrainingOutcome:
    result: object               # core.training.TrainingResult
    report: object | None        # core.evaluation.EvaluationReport on MNIST test, None if nothing to keep
    metadata: dict


class TrainingWorker(Worker, TrainingCallbacks):
    """Result: TrainingOutcome. Stop ends training within a batch and still evaluates what was
    trained; abort (closing the app) skips that evaluation too."""
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

    def work(self) -> TrainingOutcome:
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        from hwr_desktop.core.evaluation import evaluate
        from hwr_desktop.core.mnist import load_mnist
        from hwr_desktop.core.modelfile import make_metadata
        from hwr_desktop.core.training import train

        result = train(self.config, self, self.stop_flag)
        report = None
        if result.history and not self.abort_flag.is_set():
            data = load_mnist()
            report = evaluate(result.model, data.x_test, data.y_test,
                              progress=lambda done, total: self.evaluating.emit(done, total), stop=self.abort_flag)
        metrics = {"val_accuracy": result.val_accuracy, "best_epoch": result.best_epoch,
                   "train_seconds": round(result.seconds, 1), "stopped_early": result.stopped}
        if report is not None:
            metrics.update(test_accuracy=report.accuracy, test_loss=report.loss)
        metadata = make_metadata(result.config.preset, result.config.to_dict(), metrics,
                                 [h.to_dict() for h in result.history])
        return TrainingOutcome(result, report, metadata)
