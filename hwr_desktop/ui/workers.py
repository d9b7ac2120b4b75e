"""Background jobs. One QThread subclass per long job, each with typed signals.

Signals are emitted on the worker thread and delivered, queued, to slots on the GUI thread, so
widgets are only ever touched there. Every worker has `request_stop()`: it sets a
threading.Event that the core checks between batches, so stopping takes at most one batch.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.training import BatchInfo, EpochInfo, TrainingCallbacks, TrainingConfig


class Worker(QThread):
    failed = Signal(str)        # a message fit for a dialog

    def __init__(self, parent=None):
        super().__init__(parent)
        self.stop_flag = threading.Event()

    def request_stop(self) -> None:
        self.stop_flag.set()

    def request_abort(self) -> None:
        """Closing the app: stop, and skip whatever would follow a stop (workers may extend this)."""
        self.request_stop()

    def run(self) -> None:
        try:
            self.work()
        except HwrError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # never let an exception escape a thread: it would abort the app
            self.failed.emit(f"Internal error: {type(exc).__name__}: {exc}")

    def work(self) -> None:
        raise NotImplementedError


class ModelLoadWorker(Worker):
    """Imports TensorFlow, loads a model file and warms the predictor up, off the GUI thread."""
    loaded = Signal(object, str)     # core.inference.Predictor, path

    def __init__(self, path: str | Path, parent=None):
        super().__init__(parent)
        self.path = str(path)

    def work(self) -> None:
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()
        from hwr_desktop.core.inference import Predictor
        predictor = Predictor.from_file(self.path)
        predictor.warm_up()
        self.loaded.emit(predictor, self.path)


@dataclass
class TrainingOutcome:
    result: object               # core.training.TrainingResult
    report: object | None        # core.evaluation.EvaluationReport on MNIST test, None if nothing to keep
    metadata: dict


def abort_and_wait(worker: Worker | None, timeout_ms: int = 30000) -> bool:
    """Abort a worker and wait for its thread: a running QThread must never be destroyed.
    True if no thread is left running."""
    if worker is None:
        return True
    worker.request_abort()
    return worker.wait(timeout_ms)


class TrainingWorker(Worker, TrainingCallbacks):
    batchDone = Signal(BatchInfo)
    epochDone = Signal(EpochInfo)
    evaluating = Signal(int, int)        # test images done, total
    finishedTraining = Signal(TrainingOutcome)

    def __init__(self, config: TrainingConfig, parent=None):
        super().__init__(parent)
        self.config = config
        self.abort_flag = threading.Event()   # closing the app: skip the final evaluation too

    def request_abort(self) -> None:
        self.abort_flag.set()
        self.stop_flag.set()

    def on_batch(self, info: BatchInfo) -> None:
        self.batchDone.emit(info)

    def on_epoch(self, info: EpochInfo) -> None:
        self.epochDone.emit(info)

    def work(self) -> None:
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
        self.finishedTraining.emit(TrainingOutcome(result, report, metadata))


class EvaluationWorker(Worker):
    """Evaluates a model on the MNIST test set (10k images) with progress."""
    progress = Signal(int, int)
    evaluated = Signal(object)           # core.evaluation.EvaluationReport

    def __init__(self, model, outputs_are_probabilities: bool = False, parent=None):
        super().__init__(parent)
        self.model = model
        self.outputs_are_probabilities = outputs_are_probabilities

    def work(self) -> None:
        from hwr_desktop.core.evaluation import evaluate
        from hwr_desktop.core.mnist import load_mnist
        data = load_mnist()
        report = evaluate(self.model, data.x_test, data.y_test, self.outputs_are_probabilities,
                          progress=lambda done, total: self.progress.emit(done, total), stop=self.stop_flag)
        self.evaluated.emit(report)


class DatasetWorker(Worker):
    """Reads and verifies the bundled MNIST files (cached in the core after the first time)."""
    loaded = Signal(object)              # core.mnist.MnistSplits

    def work(self) -> None:
        from hwr_desktop.core.mnist import load_mnist
        self.loaded.emit(load_mnist())


class TestPredictionsWorker(Worker):
    """Predicts a handful of MNIST test images: given indices, or `count` drawn at random."""
    sampled = Signal(object, object)     # test-set indices (np.ndarray), EvaluationReport for them

    def __init__(self, model, outputs_are_probabilities: bool, indices=None, count: int = 30,
                 seed: int | None = None, parent=None):
        super().__init__(parent)
        self.model, self.outputs_are_probabilities = model, outputs_are_probabilities
        self.indices, self.count, self.seed = indices, count, seed

    def work(self) -> None:
        import numpy as np

        from hwr_desktop.core.evaluation import evaluate
        from hwr_desktop.core.mnist import load_mnist
        data = load_mnist()
        idx = self.indices
        if idx is None:
            idx = np.sort(np.random.default_rng(self.seed).choice(len(data.y_test), self.count, replace=False))
        report = evaluate(self.model, data.x_test[idx], data.y_test[idx], self.outputs_are_probabilities,
                          stop=self.stop_flag)
        self.sampled.emit(idx, report)


class InspectorWorker(Worker):
    """Builds a core.insight.Inspector and traces its graphs once (about a second), off the GUI thread."""
    ready = Signal(object)               # core.insight.Inspector

    def __init__(self, model, outputs_are_probabilities: bool, parent=None):
        super().__init__(parent)
        self.model, self.outputs_are_probabilities = model, outputs_are_probabilities

    def work(self) -> None:
        import numpy as np

        from hwr_desktop.core.insight import Inspector
        inspector = Inspector(self.model, self.outputs_are_probabilities)
        blank = np.zeros((28, 28), np.float32)
        inspector.feature_maps(blank)
        inspector.saliency(blank, target=0)
        inspector.grad_cam(blank, target=0)
        self.ready.emit(inspector)


class JobSlot(QObject):
    """At most one background job of a kind for a panel.

    Asking for a new job while one runs stops the old one first and starts the new one when its
    thread has ended. Results of a stopped job are stale (e.g. for a model that is no longer
    current): slots ask `is_live()` and drop them. A worker's signals are all delivered before its
    `finished`, so once the next job starts nothing of the old one can arrive any more.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker: Worker | None = None
        self._next = None

    def run(self, factory) -> None:
        """factory() -> a connected, not yet started Worker."""
        if self.worker is not None:
            self._next = factory
            self.worker.request_stop()
            return
        self._start(factory)

    def _start(self, factory) -> None:
        self.worker = factory()
        self.worker.finished.connect(self._on_finished)
        self.worker.start()

    def _on_finished(self) -> None:
        done, self.worker = self.worker, None
        if done is not None:
            done.deleteLater()
        factory, self._next = self._next, None
        if factory is not None:
            self._start(factory)

    def is_running(self) -> bool:
        return self.worker is not None

    def is_live(self) -> bool:
        return self.worker is not None and not self.worker.stop_flag.is_set()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop and wait (closing the window)."""
        self._next = None
        return abort_and_wait(self.worker, timeout_ms)



class ReadImageWorker(Worker):
    """Finds and reads every digit in an image (segmentation + one batched model call)."""
    read = Signal(object)                # core.reading.ReadResult

    def __init__(self, predictor, image, min_confidence: float, parent=None):
        super().__init__(parent)
        self.predictor, self.image, self.min_confidence = predictor, image, min_confidence

    def work(self) -> None:
        from hwr_desktop.core.reading import read_image
        self.read.emit(read_image(self.predictor, self.image, self.min_confidence))


@dataclass
class FinetuneOutcome:
    result: object               # core.finetune.FinetuneResult (its model is usable only if result.kept)
    metadata: dict               # for the fine-tuned model when kept, else {}


class FinetuneWorker(Worker, TrainingCallbacks):
    """Fine-tunes a private copy of the current model on the personal samples (core.finetune).

    The samples are read by the caller (on the GUI thread) and handed over as arrays, so this
    thread never touches the store. Stop ends the run within a batch, including the before/after
    measurements; the core then reports `stopped` and nothing is offered.
    """
    batchDone = Signal(BatchInfo)
    epochDone = Signal(EpochInfo)        # core.finetune.FinetuneEpochInfo (held-out personal accuracy too)
    finishedFinetune = Signal(FinetuneOutcome)

    def __init__(self, model, metadata: dict, samples, config=None, data=None, base_name: str = "", parent=None):
        super().__init__(parent)
        self.model, self.metadata, self.samples = model, dict(metadata), samples
        self.config, self.data, self.base_name = config, data, base_name

    def on_batch(self, info: BatchInfo) -> None:
        self.batchDone.emit(info)

    def on_epoch(self, info: EpochInfo) -> None:
        self.epochDone.emit(info)

    def work(self) -> None:
        from hwr_desktop.core.finetune import finetune

        result = finetune((self.model, self.metadata), self.samples, self.config, self, self.stop_flag, self.data)
        metadata = result.model_metadata(self.base_name) if result.kept else {}
        self.finishedFinetune.emit(FinetuneOutcome(result, metadata))
