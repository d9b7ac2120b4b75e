"""Fine-tune on my samples: adapt the current model to the user's hand (core.training.finetune) in a minute.

Start runs a FinetuneWorker on a snapshot of the personal samples; progress, Stop, and at the end
accuracy before -> after on the held-out part of the user's samples and on MNIST test. The core
keeps the result only if MNIST test accuracy stays at its minimum (99.5 %): only then are "Use
this model" and "Save…" offered, otherwise the panel says why not. As with training, the current
model stays in use until the user chooses the new one. The run is a FinetuneWorker in this panel's
JobSlot; the panel joins the window's ExclusiveRuns, so it never runs while training does.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.training.finetune import MIN_SAMPLES, FinetuneConfig
from hwr_desktop.core.training.pipeline import FinetunedModel
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.panels.training_panel import format_seconds
from hwr_desktop.ui.widgets.theme import bad_colour, ok_colour
from hwr_desktop.ui.workers.finetune import FinetuneWorker


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def result_html(result, palette: QPalette | None = None) -> str:
    """Before -> after on both measures, and the verdict, for a finished (not stopped) FinetuneResult.

    Two lines, so that the My Samples tab keeps room for its grid above. The verdict's green or red
    is the one that reads on `palette` (light or dark; the application's when not given).
    """
    palette = palette or QGuiApplication.palette()
    ok, bad = ok_colour(palette).name(), bad_colour(palette).name()
    held = result.personal_held_out
    personal = (f"Your held-out samples ({held}): {percent(result.personal_accuracy_before)} → "
                f"<b>{percent(result.personal_accuracy_after)}</b>" if held else
                "No held-out samples (add two or more of a digit to measure the gain)")
    mnist = (f"MNIST test: {percent(result.mnist_accuracy_before, 2)} → "
             f"<b>{percent(result.mnist_accuracy_after, 2)}</b>")
    if result.kept:
        verdict = f"<span style='color:{ok}'><b>✔ Kept</b></span> — {result.reason}."
    else:
        verdict = f"<span style='color:{bad}'><b>✘ Not kept</b></span> — {result.reason}."
    return f"{personal} &nbsp;·&nbsp; {mnist}<br>{verdict}"


class FinetunePanel(QWidget):
    useModelRequested = Signal(object, object)   # keras model, core.models.info.ModelInfo
    saveModelRequested = Signal(object, object)
    errorOccurred = Signal(str, str)             # title, message
    finetuneStarted = Signal()
    finetuneEnded = Signal()

    def __init__(self, session, samples, runs=None, parent=None):
        super().__init__(parent)
        self.setObjectName("finetunePanel")
        self.session = session
        self.samples = samples                   # ui.personal_samples.PersonalSamples
        self.busy_elsewhere: str | None = None   # why Start is unavailable (e.g. training runs)
        self.config = FinetuneConfig()
        self.data = None                         # MNIST splits to use; None: the full set (tests pass a subset)
        self.jobs = JobSlot(self)
        self.jobs.jobEnded.connect(self._on_job_ended)
        self.outcome: FinetunedModel | None = None

        self.infoLabel = QLabel("", objectName="finetuneInfo", wordWrap=True)
        self.infoLabel.setToolTip("A few short epochs from the current model on your samples mixed with MNIST "
                                  "training images, so it learns your hand without forgetting MNIST. Part of "
                                  "your samples is held out to measure the gain.")
        # "Fine-tune", not the box's title again: a short run row keeps My Samples narrow, and the
        # views' minimum width is what the drawing pane cannot have.
        self.startButton = QPushButton("Fine-tune", objectName="finetuneButton")
        self.stopButton = QPushButton("Stop", objectName="finetuneStopButton", enabled=False)
        self.startButton.clicked.connect(lambda: self.start())
        self.stopButton.clicked.connect(self.stop)
        self.progress = QProgressBar(objectName="finetuneProgress", minimum=0, maximum=1000, value=0)
        self.progress.setFormat("Ready")
        self.progress.setTextVisible(True)
        self.statusLabel = QLabel("", objectName="finetuneStatus", wordWrap=True, visible=False)
        self.resultLabel = QLabel("", objectName="finetuneResult", wordWrap=True)
        self.resultLabel.setTextFormat(Qt.TextFormat.RichText)
        self.useButton = QPushButton("Use this model", objectName="finetuneUseButton", enabled=False)
        self.saveButton = QPushButton("Save…", objectName="finetuneSaveButton", enabled=False)
        for button in (self.useButton, self.saveButton):
            button.setToolTip("Offered only when the result is kept; the current model stays in use until you "
                              "choose the new one")
        self.useButton.clicked.connect(lambda: self._offer(self.useModelRequested))
        self.saveButton.clicked.connect(lambda: self._offer(self.saveModelRequested))

        # The run on one row, what to do with its result on the next, under the result: one row of all
        # five was the widest thing in any view, and the views' minimum is what the number strip cannot have.
        run_row = QHBoxLayout()
        run_row.addWidget(self.startButton)
        run_row.addWidget(self.stopButton)
        run_row.addWidget(self.progress, 1)
        offer_row = QHBoxLayout()
        offer_row.addWidget(self.useButton)
        offer_row.addWidget(self.saveButton)
        offer_row.addStretch(1)
        box = QGroupBox("Fine-tune on my samples")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(9, 0, 9, 9)   # line up with the training panel above
        outer.addWidget(box)
        layout = QVBoxLayout(box)
        layout.addWidget(self.infoLabel)
        layout.addLayout(run_row)
        layout.addWidget(self.statusLabel)
        layout.addWidget(self.resultLabel)
        layout.addLayout(offer_row)
        samples.changed.connect(self._update_ready)
        session.modelChanged.connect(self._update_ready)
        if runs is not None:             # ui.run_policy.ExclusiveRuns
            runs.join(self, self.finetuneStarted, self.finetuneEnded, "Fine-tuning", "fine-tune")
        self._update_ready()

    # ----- state -----
    @property
    def worker(self) -> FinetuneWorker | None:
        """The running FinetuneWorker, None once its thread has ended."""
        return self.jobs.worker

    def is_running(self) -> bool:
        return self.jobs.is_running()

    def _base_name(self) -> str:
        return self.session.path.name if self.session.path else "the unsaved model"

    def _update_ready(self) -> None:
        """The info line and whether Start is possible (enough samples, a model, nothing running)."""
        total = self.samples.total()
        if not self.samples.available:
            text, ready = self.samples.error or "Your samples are not available.", False
        elif total < MIN_SAMPLES:
            text, ready = (f"You have {total} sample{'s' if total != 1 else ''} of your handwriting; add at least "
                           f"{MIN_SAMPLES} (draw a digit, then “Add to my samples”) to fine-tune on them."), False
        elif not self.session.ready:
            text, ready = "Load a model first: fine-tuning starts from the current model.", False
        elif self.busy_elsewhere and not self.is_running():
            text, ready = self.busy_elsewhere, False
        else:
            text, ready = (f"{total} of your samples, from {self._base_name()}; kept only if MNIST test "
                           f"accuracy stays ≥ {self.config.min_mnist_accuracy:.2%}."), True
        self.infoLabel.setText(text)
        self.startButton.setEnabled(ready and not self.is_running())

    def _status(self, text: str) -> None:
        self.statusLabel.setText(text)
        self.statusLabel.setVisible(bool(text))   # no empty line taking room from the training plot

    def _set_running(self, running: bool) -> None:
        self.stopButton.setEnabled(running)
        self._update_ready()

    # ----- run -----
    def set_busy_elsewhere(self, reason: str | None) -> None:
        """Training a new model shares the two cores: one run at a time, with the reason shown."""
        self.busy_elsewhere = reason
        self._update_ready()

    def start(self, config: FinetuneConfig | None = None, data=None) -> bool:
        """Fine-tune the current model (tests pass a small config and MNIST subset). False if not started."""
        if self.is_running() or not self.session.ready or self.busy_elsewhere:
            return False
        try:
            samples = self.samples.arrays()    # a snapshot: later adds do not reach this run
        except HwrError as exc:
            self.errorOccurred.emit("Cannot fine-tune", str(exc))
            return False
        self.outcome = None
        self.useButton.setEnabled(False)
        self.saveButton.setEnabled(False)
        self.resultLabel.setText("")
        self.progress.setRange(0, 0)           # busy: the current model is measured first
        self.progress.setFormat("Starting…")
        self._status("Measuring the current model on your held-out samples and MNIST test…")
        model, info, base_name = self.session.model, self.session.info, str(self.session.path or "")
        config, data = config or self.config, data if data is not None else self.data

        self.jobs.start(lambda: FinetuneWorker(model, info, samples, config, data, base_name, self),
                        self._on_finished, self._on_failed, batchDone=self._on_batch, epochDone=self._on_epoch)
        self._set_running(True)
        self.finetuneStarted.emit()
        return True

    def stop(self) -> None:
        if self.is_running():
            self.jobs.stop()
            self.stopButton.setEnabled(False)
            self._status("Stopping…")

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop any run and wait for its thread (closing the app). True if no thread is left running."""
        return self.jobs.shutdown(timeout_ms)

    def _on_batch(self, info) -> None:
        if not self.jobs.is_live():
            return                              # Stop was pressed: keep saying so
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * info.step / info.total_steps))
        self.progress.setFormat(f"Epoch {info.epoch}/{info.epochs} · batch {info.batch}/{info.batches}")
        if info.step == info.total_steps:
            self.progress.setRange(0, 0)
            self._status("Measuring the fine-tuned model on your held-out samples and MNIST test…")
        else:
            self._status(f"loss {info.loss:.3f} · {format_seconds(info.remaining)} left")

    def _on_epoch(self, info) -> None:
        personal = getattr(info, "personal_accuracy", None)
        self.resultLabel.setText(f"After epoch {info.epoch}/{info.epochs}: MNIST validation "
                                 f"{info.val_accuracy:.2%}" + (f" · your held-out samples {personal:.1%}"
                                                                if personal is not None else ""))

    def _on_finished(self, outcome: FinetunedModel) -> None:
        result = outcome.result
        if result.stopped:
            self.resultLabel.setText("Stopped: nothing was kept and the current model is unchanged.")
            return
        self.outcome = outcome
        self.resultLabel.setText(result_html(result, self.palette()))
        self.useButton.setEnabled(result.kept)
        self.saveButton.setEnabled(result.kept)

    def _offer(self, signal) -> None:
        if self.outcome is not None and self.outcome.result.kept:
            signal.emit(self.outcome.result.model, self.outcome.info)

    def _on_failed(self, message: str) -> None:
        self.resultLabel.setText("Fine-tuning failed; the current model is unchanged.")
        self.errorOccurred.emit("Fine-tuning failed", message)

    def _on_job_ended(self, worker) -> None:
        done = self.outcome is not None
        self.progress.setRange(0, 1000)
        self.progress.setValue(1000 if done else self.progress.value())
        self.progress.setFormat("Done" if done else "Stopped" if worker.stop_flag.is_set() else "Failed")
        if done:
            self.progress.setFormat(f"Done in {format_seconds(self.outcome.result.train_seconds)}")
        self._status("")
        self._set_running(False)
        self.finetuneEnded.emit()
