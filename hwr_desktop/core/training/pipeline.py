"""The two ways a model is made, each one pipeline shared by the CLI and the GUI's workers.

    train_model:    train -> calibrate on validation -> evaluate on the MNIST test set -> describe -> save (if asked)
    finetune_model: fine-tune -> check MNIST test accuracy -> describe -> calibrate on validation
                    -> save (if kept and asked)

Calibration (core/models/calibration.py) fits the model's temperature on the validation split only; the
test figures, its calibration error included, are reported with it, never used to choose it.

Progress and Stop work as in training.py: plain callbacks and threading.Events, so the CLI prints
a progress bar and the GUI emits signals from the same calls. The GUI does not save here: the
user chooses to use or save the new model afterwards; the CLI passes `out`. Both record the run,
from start to end or crash, in the run history (core/training/run_recorder.py; `record=False` opts out).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hwr_desktop.core.models.info import Metrics, ModelInfo, new_info
from hwr_desktop.core.training.finetune import FinetuneConfig, FinetuneResult, finetune
from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, TrainingResult, train
from hwr_desktop.core.training.run_recorder import RunRecorder, finetune_figures, training_figures


@dataclass
class TrainedModel:
    result: TrainingResult
    report: object | None     # core.models.evaluation.EvaluationReport on MNIST test; None: nothing to keep
    info: ModelInfo
    path: Path | None = None  # where it was saved, if it was
    run_id: int | None = None  # its row in the run history (core/store/runs.py), if recorded

    @property
    def model(self):
        return self.result.model


@dataclass
class FinetunedModel:
    result: FinetuneResult    # its model is usable only if result.kept
    info: ModelInfo | None    # the fine-tuned model's description when kept, else None
    path: Path | None = None
    run_id: int | None = None


def training_metrics(result: TrainingResult, report=None) -> Metrics:
    """The figures a trained model's file records: validation picks, test reports."""
    metrics = Metrics(val_accuracy=result.val_accuracy, best_epoch=result.best_epoch,
                      train_seconds=round(result.seconds, 1), stopped_early=result.stopped)
    if report is not None:
        metrics.test_accuracy, metrics.test_loss = report.accuracy, report.loss
        metrics.test_ece = round(report.ece, 6)
    return metrics


def train_model(config: TrainingConfig, callbacks: TrainingCallbacks | None = None,
                stop: threading.Event | None = None, abort: threading.Event | None = None,
                evaluating: Callable[[int, int], None] | None = None, out: Path | None = None,
                record: bool = True) -> TrainedModel:
    """Train, calibrate on the validation split, then evaluate on the test set (reported, never used
    to choose) with that calibration, and describe.

    `stop` ends training after the current batch and keeps the best epoch so far; `abort` (closing
    the app) also skips the evaluation. Nothing is kept, and nothing saved, when no epoch finished.
    `record`: the run goes into the run history (core/store/runs.py), its model file included; a store
    that cannot be written costs a warning, never the training.
    """
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.calibration import calibrate
    from hwr_desktop.core.models.evaluation import evaluate, predict_logits, report_from_logits
    from hwr_desktop.core.models.modelfile import described, save_model

    abort = abort or threading.Event()
    config = config.resolved()   # an impossible config fails here, before a run is recorded
    recorder = RunRecorder.open("train", config.network_name, config.to_dict(), callbacks) if record else None
    try:
        result = train(config, recorder or callbacks, stop)
        report, calibration, val_report = None, None, None
        if result.history and not abort.is_set():
            data = load_mnist()
            val_outputs = predict_logits(result.model, data.x_val, stop=abort)   # calibration's and the record's
            calibrated = calibrate(result.model, described(result.model, None), data, val_outputs=val_outputs)
            calibration = calibrated.calibration
            report = evaluate(result.model, data.x_test, data.y_test, calibrated.outputs_probabilities,
                              progress=evaluating, stop=abort, temperature=calibrated.temperature)
            if recorder is not None and recorder.recording:   # per-digit validation figures, for the record
                val_report = report_from_logits(val_outputs, data.y_val, calibrated.outputs_probabilities,
                                                calibrated.temperature)
        info = new_info(result.config.network_name, result.config.to_dict(), training_metrics(result, report),
                        [h.to_dict() for h in result.history], calibration=calibration)
        trained = TrainedModel(result, report, info)
        if out is not None and report is not None:
            trained.path = save_model(result.model, out, info)
    except BaseException as exc:
        if recorder is not None:
            recorder.failed(exc)
        raise
    if recorder is not None:
        status, metrics = training_figures(trained, val_report)
        recorder.finish(status, metrics, result.model if report is not None else None, info)
        trained.run_id = recorder.run_id
    return trained


def finetune_model(base, samples, config: FinetuneConfig | None = None, callbacks: TrainingCallbacks | None = None,
                   stop: threading.Event | None = None, data=None, base_name: str = "",
                   out: Path | None = None, record: bool = True) -> FinetunedModel:
    """Fine-tune `base` (a model file, or (model, ModelInfo)) on `samples`; describe and save it only
    if it kept MNIST test accuracy at the minimum (FinetuneResult.kept). `record`: as train_model's."""
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.calibration import calibrate
    from hwr_desktop.core.models.evaluation import evaluate, predict_logits, report_from_logits
    from hwr_desktop.core.models.modelfile import described

    config = config or FinetuneConfig()
    recorder = None
    if record:
        from hwr_desktop.core.models.modelfile import read_info
        info = base[1] if isinstance(base, tuple) else read_info(base)
        preset = (info if isinstance(info, ModelInfo) else ModelInfo.from_dict(info)).preset
        recorder = RunRecorder.open("fine-tune", preset,
                                    {**config.to_dict(), "base_model": base_name or str(base)}, callbacks)
    try:
        result = finetune(base, samples, config, recorder or callbacks, stop, data)
        tuned, report, val_report = FinetunedModel(result, None), None, None
        if result.kept:
            # New weights, new temperature (the base model's is not carried over): fitted on validation,
            # then the test calibration error is reported with it.
            data = data or load_mnist()
            val_outputs = predict_logits(result.model, data.x_val)          # calibration's and the record's
            info = calibrate(result.model, described(result.model, result.model_info(base_name)), data,
                             val_outputs=val_outputs)
            report = evaluate(result.model, data.x_test, data.y_test, info.outputs_probabilities,
                              temperature=info.temperature)
            info.metrics.test_ece = round(report.ece, 6)
            tuned = FinetunedModel(result, info)
            if recorder is not None and recorder.recording:
                val_report = report_from_logits(val_outputs, data.y_val, info.outputs_probabilities,
                                                info.temperature)
            if out is not None:
                from hwr_desktop.core.models.modelfile import save_model
                tuned.path = save_model(result.model, out, tuned.info)
    except BaseException as exc:
        if recorder is not None:
            recorder.failed(exc)
        raise
    if recorder is not None:
        status, metrics = finetune_figures(tuned, report, val_report)
        recorder.finish(status, metrics, result.model if tuned.info is not None else None, tuned.info)
        tuned.run_id = recorder.run_id
    return tuned
