"""Recording one training or fine-tuning run into the run history (core/store/runs.py), as it happens.

core/training/pipeline.py wraps the caller's callbacks in a RunRecorder: the row is made ('running') before
training starts, the architecture and resolved config are written when the network is built, the
history after every epoch, and at the end the figures, the model file and the status (finished,
stopped, crashed). A run refused before it started (bad input, found before the network is built)
leaves no row: it is not a run. Everything the caller's callbacks get is forwarded unchanged.

The history is a record, never the training itself: if the store cannot be opened or written
(damaged, disk full, locked too long), one warning says so and the run goes on unrecorded.
"""
from __future__ import annotations

import os
import sqlite3
import warnings
from pathlib import Path

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.store.runs import CRASHED, FINAL_VAL_LOSS, FINISHED, STOPPED, RunStore
from hwr_desktop.core.training.loop import TrainingCallbacks


def _architecture_of(model, name: str) -> tuple[dict, int | None, int | None]:
    """(spec, params, multiply-adds per image) of a network; spec = {"name", "layers": [{"type", ...}]}
    in the design format (core/network/design.py). A network no design can describe (a foreign
    model) is recorded by name and parameter count."""
    from hwr_desktop.core.network.build import describe_model
    try:
        design = describe_model(model)
    except Exception:  # DesignError, or whatever a foreign network raises: the record must not stop training
        return {"name": name, "layers": []}, int(model.count_params()), None
    return {**design.spec, "name": name}, design.params, design.macs


def machine(precision: str | None) -> dict:
    """What the figures were measured on: timings from different CPUs are not comparable."""
    from hwr_desktop.core.precision import cpu_name
    return {"cpu": cpu_name(), "threads": os.cpu_count(), "precision": precision}


def per_digit(report) -> list[float] | None:
    return [round(float(r), 6) for r in report.recall] if report is not None else None


class RunRecorder(TrainingCallbacks):
    """The caller's callbacks, plus the run written to the store. Use `open()`."""

    def __init__(self, store: RunStore | None, run_id: int | None, name: str, config: dict, callbacks=None):
        self.store, self.run_id, self.name, self.config = store, run_id, name, config
        self.callbacks = callbacks or TrainingCallbacks()
        self.history: list[dict] = []
        self.images_per_second: float | None = None
        self.started = False   # on_start came: the network was built and training began

    @classmethod
    def open(cls, kind: str, name: str, config: dict, callbacks=None, path: Path | None = None) -> RunRecorder:
        """A new 'running' row for a `kind` run of the network `name` (the preset); on any store
        problem, a warning and a recorder that records nothing."""
        recorder = cls(None, None, name, config, callbacks)
        try:
            store, backup = RunStore.open_or_recover(path)
        except (HwrError, sqlite3.Error, OSError) as exc:
            recorder._warn(exc)
            return recorder
        if backup is not None:
            warnings.warn(f"the run history was damaged; it was moved to {backup} and a new one started",
                          RuntimeWarning, stacklevel=2)
        recorder.store = store
        recorder._safely(lambda: setattr(recorder, "run_id", store.start(
            kind, {"name": name, "layers": []}, config, machine(config.get("precision")),
            name=f"{name}{' fine-tune' if kind == 'fine-tune' else ''} #{{id}}")))
        return recorder

    @property
    def recording(self) -> bool:
        return self.store is not None and self.run_id is not None

    def _warn(self, exc: BaseException) -> None:
        warnings.warn(f"this run is not recorded in the run history: {exc}", RuntimeWarning, stacklevel=3)

    def _safely(self, write) -> None:
        """Run a store write; a failure stops the recording (with one warning), never the training."""
        if self.store is None:
            return
        try:
            write()
        except (HwrError, sqlite3.Error, OSError) as exc:
            self._warn(exc)
            self.close()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- the training loop's callbacks ------------------------------------------------------------
    def on_start(self, model, config) -> None:
        self.started = True
        if self.recording:
            spec, params, macs = _architecture_of(model, self.name)
            full = {**self.config, **config.to_dict()}
            self._safely(lambda: self.store._update(self.run_id, architecture=spec, params=params, macs=macs,
                                                    config=full, machine=machine(full.get("precision"))))
        self.callbacks.on_start(model, config)

    def on_batch(self, info) -> None:
        self.images_per_second = info.images_per_second
        self.callbacks.on_batch(info)

    def on_epoch(self, info) -> None:
        self.history.append(info.to_dict())
        if self.recording:
            self._safely(lambda: self.store.set_history(self.run_id, self.history))
        self.callbacks.on_epoch(info)

    # -- the end ----------------------------------------------------------------------------------
    def finish(self, status: str, metrics: dict, model=None, info=None) -> None:
        """Write the model file (atomically, before the row points at it), then the figures and status."""
        if not self.recording:
            return
        metrics = {**metrics, "images_per_second": round(self.images_per_second or 0.0, 1) or None,
                   "epochs": len(self.history)}

        def write():
            if model is not None and info is not None:
                from hwr_desktop.core.models.modelfile import save_model
                self.store.models_dir.mkdir(parents=True, exist_ok=True)
                self.store.attach_model(self.run_id, save_model(model, self.store.model_path(self.run_id), info))
            self.store.finish(self.run_id, status, {k: v for k, v in metrics.items() if v is not None},
                              self.history)
        self._safely(write)
        self.close()

    def failed(self, exc: BaseException) -> None:
        """The run ended by an exception: crashed (Ctrl+C in the CLI: stopped). One that never started
        (refused before the network was built, e.g. too few personal samples) is not a run: its row goes."""
        if not self.recording:
            return
        if not self.started:
            self._safely(lambda: self.store.discard(self.run_id))
            self.run_id = None
            self.close()
            return
        status = STOPPED if isinstance(exc, KeyboardInterrupt) else CRASHED
        text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        self._safely(lambda: self.store.finish(self.run_id, status, {"stopped_early": True}, self.history,
                                               error=text[:2000]))
        self.close()


def training_figures(trained, val_report) -> tuple[str, dict]:
    """(status, metrics) of a finished core.training.pipeline.train_model run."""
    result, info = trained.result, trained.info
    metrics = {**{k: v for k, v in info.metrics.to_dict().items() if k != "val_loss"},
               "test_per_digit": per_digit(trained.report), "val_per_digit": per_digit(val_report),
               FINAL_VAL_LOSS: round(val_report.loss, 6) if val_report is not None else None,
               "val_ece": round(val_report.ece, 6) if val_report is not None else None,
               "calibration": info.calibration.to_dict() if info.calibration else None}
    return (STOPPED if result.stopped or trained.report is None else FINISHED), metrics


def finetune_figures(tuned, test_report, val_report) -> tuple[str, dict]:
    """(status, metrics) of a core.training.pipeline.finetune_model run."""
    result = tuned.result
    metrics = {**result.metrics(), "stopped_early": result.stopped, "train_seconds": round(result.train_seconds, 1),
               "test_per_digit": per_digit(test_report), "val_per_digit": per_digit(val_report)}
    if test_report is not None:
        metrics.update(test_loss=test_report.loss, test_ece=round(test_report.ece, 6))
    if val_report is not None:
        metrics.update({"val_accuracy": val_report.accuracy, FINAL_VAL_LOSS: round(val_report.loss, 6),
                        "val_ece": round(val_report.ece, 6)})
    if tuned.info is not None and tuned.info.calibration:
        metrics["calibration"] = tuned.info.calibration.to_dict()
    return (STOPPED if result.stopped else FINISHED), metrics
