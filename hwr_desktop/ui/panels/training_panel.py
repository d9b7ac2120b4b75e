"""Training tab, upper part: recipe controls, the network (a preset's, or designed in the network
designer), Start/Stop, progress over the whole run, live curves, result.

The run is a TrainingWorker in this panel's JobSlot; it joins the window's ExclusiveRuns, so it
never trains while fine-tuning runs.

The worker reports every batch; the panel keeps each one (the plot's curve needs them all) but
shows them at most REFRESH_MS apart: one timer sets the progress bar, the status text (only when
it changed) and redraws the plot. Epochs and the end of the run are shown at once.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpacerItem,
    QSpinBox,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.core.data.mnist import VALIDATION_SIZE
from hwr_desktop.core.network.presets import PRESETS
from hwr_desktop.core.training.loop import TrainingConfig
from hwr_desktop.core.training.pipeline import TrainedModel
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.lazy_slot import LazySlot
from hwr_desktop.ui.widgets.network_designer import NetworkDesigner
from hwr_desktop.ui.widgets.plot_pair import TRAINING_HINT
from hwr_desktop.ui.workers.training import TrainingWorker

TRAIN_IMAGES = 60000 - VALIDATION_SIZE
REFRESH_MS = 100   # 10 updates a second: smooth enough for a curve, cheap for the GUI thread


def format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class TrainingPanel(QWidget):
    useModelRequested = Signal(object, object)   # keras model, core.models.info.ModelInfo
    saveModelRequested = Signal(object, object)
    trainingStarted = Signal()
    trainingEnded = Signal()
    errorOccurred = Signal(str, str)             # title, message
    learningFrame = Signal(object)               # core.inside.learning_frames.LearningFrame (Inside > Watch it learn)

    def __init__(self, runs=None, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.jobs = JobSlot(self)
        self.jobs.jobEnded.connect(self._on_job_ended)
        self.outcome: TrainedModel | None = None
        self.busy_elsewhere: str | None = None   # why Start is unavailable (e.g. fine-tuning runs)

        self.presetCombo = QComboBox(objectName="presetCombo")
        for preset in PRESETS.values():
            self.presetCombo.addItem(preset.name, preset.name)
            self.presetCombo.setItemData(self.presetCombo.count() - 1, preset.description, Qt.ItemDataRole.ToolTipRole)
        self.epochsSpin = QSpinBox(objectName="epochsSpin", minimum=1, maximum=200)
        self.batchSpin = QSpinBox(objectName="batchSpin", minimum=8, maximum=4096, singleStep=32)
        self.lrSpin = QDoubleSpinBox(objectName="learningRateSpin", decimals=5, minimum=0.00001, maximum=1.0,
                                     singleStep=0.0005)
        self.augmentCheck = QCheckBox("Handwriting augmentation", objectName="augmentCheck")
        self.augmentCheck.setToolTip("Random rotation, scale, shear, shift and stroke thickness on training batches "
                                     "(the preset decides what share of each batch)")
        self.limitSpin = QSpinBox(objectName="trainLimitSpin", minimum=500, maximum=TRAIN_IMAGES, singleStep=5000)
        self.limitSpin.setValue(TRAIN_IMAGES)
        self.limitSpin.setToolTip("Train on fewer images for a fast experiment")
        self.limitSpin.setAccessibleName("Training images")     # its label beside it says only "Images"
        self.recordCheck = QCheckBox("Record each epoch", objectName="recordLearningCheck", checked=True)
        self.recordCheck.setToolTip("Record the first-layer kernels and the digit map at every epoch, for "
                                    "Inside > Watch it learn (about half a second an epoch)")
        self.presetCombo.setCurrentIndex(self.presetCombo.findData("quick"))  # fast first experience
        self.presetCombo.currentIndexChanged.connect(self._load_recipe)

        # The network: the preset's, or one the user designs (starting from the preset's).
        self.designCheck = QCheckBox("Design your own network", objectName="designCheck")
        self.designCheck.setToolTip("Edit the layers yourself; the preset still gives the training recipe")
        self.designCheck.toggled.connect(self._on_design_toggled)
        self.designer = NetworkDesigner()
        self.designer.designChanged.connect(lambda _: self._update_start_button())
        self.designer.errorOccurred.connect(self.errorOccurred)
        self.designer.opened.connect(lambda: self.designCheck.setChecked(True))
        self.presetDesignButton = QPushButton("Start from the preset", objectName="presetDesignButton")
        self.presetDesignButton.clicked.connect(self._design_from_preset)
        design_row = QHBoxLayout()
        design_row.addWidget(self.designCheck, 1)
        design_row.addWidget(self.presetDesignButton)

        form = QFormLayout()
        form.addRow("Preset", self.presetCombo)
        form.addRow("Network", design_row)
        # Two numbers a row: two rows fewer leave the curves ~60 px more at 1280x720.
        form.addRow(QLabel("Epochs", buddy=self.epochsSpin), self._pair(self.epochsSpin, "Batch size", self.batchSpin))
        form.addRow(QLabel("Learning rate", buddy=self.lrSpin), self._pair(self.lrSpin, "Images", self.limitSpin))
        # One row for both: the form must fit a 760 px tall window. The row spans the label column
        # too, indented under the fields only while there is room: the two boxes side by side are the
        # form's widest row, and the views' minimum width is what the number strip cannot have.
        checks = QHBoxLayout()
        indent = QLabel("Learning rate").sizeHint().width() + self.style().pixelMetric(
            QStyle.PixelMetric.PM_LayoutHorizontalSpacing)
        checks.addSpacerItem(QSpacerItem(indent, 0, QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum))
        checks.addWidget(self.augmentCheck)
        checks.addWidget(self.recordCheck, 1)
        form.addRow(checks)

        self.trainButton = QPushButton("Start training", objectName="trainButton")
        self.stopButton = QPushButton("Stop", objectName="stopButton", enabled=False)
        self.trainButton.clicked.connect(self.start)
        self.stopButton.clicked.connect(self.stop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.trainButton)
        buttons.addWidget(self.stopButton)

        self.trainingProgress = QProgressBar(objectName="trainingProgress", minimum=0, maximum=1000, value=0)
        self.trainingProgress.setFormat("Ready")
        self.trainingProgress.setTextVisible(True)
        self.statusLabel = QLabel("", objectName="trainingStatus", wordWrap=True)
        # Two lines kept for it: the splitter below does not grow a label that wraps, and the end-of-run
        # advice wraps at 1200 px, its second line hidden under the plot.
        self.statusLabel.setMinimumHeight(2 * self.statusLabel.fontMetrics().lineSpacing())
        # The curves are made when a run starts (importing pyqtgraph is a third of the app's start,
        # ui/widgets/lazy_slot.py); until then their hint stands in their place.
        hint = QLabel(TRAINING_HINT, objectName="trainingCurvesPlaceholder", wordWrap=True,
                      alignment=Qt.AlignmentFlag.AlignCenter, frameShape=QFrame.Shape.StyledPanel)
        self.plotSlot = LazySlot(self._make_plot, hint, build_on_show=False)
        # Lower than the plot's own minimum: with the designer open, the layers and the curves share
        # the tab, and the window must still fit 1200x760 (the curves get all the room otherwise).
        self.plotSlot.setMinimumHeight(120)
        self.refreshes = 0                   # times the progress was shown (tests count them)
        self._latest_batch = None            # the newest BatchInfo not shown yet
        self._refresh_timer = QTimer(self, interval=REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)

        self.resultLabel = QLabel("", objectName="trainingResult", wordWrap=True)
        self.useButton = QPushButton("Use this model", objectName="useModelButton", enabled=False)
        self.saveButton = QPushButton("Save…", objectName="saveTrainedButton", enabled=False)
        self.useButton.clicked.connect(lambda: self.outcome and self.useModelRequested.emit(
            self.outcome.model, self.outcome.info))
        self.saveButton.clicked.connect(lambda: self.outcome and self.saveModelRequested.emit(
            self.outcome.model, self.outcome.info))
        result_row = QHBoxLayout()
        result_row.addWidget(self.resultLabel, 1)
        result_row.addWidget(self.useButton)
        result_row.addWidget(self.saveButton)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        # The designer and the curves share a splitter: the user decides which one gets the room.
        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.setContentsMargins(0, 0, 0, 0)
        controls_layout.addLayout(buttons)
        controls_layout.addWidget(self.trainingProgress)
        controls_layout.addWidget(self.statusLabel)
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="trainingSplitter", childrenCollapsible=False)
        # In a scroll area: squeezed in a small window it scrolls instead of making the window taller.
        self.designerArea = QScrollArea(objectName="designerArea", widgetResizable=True,
                                        frameShape=QFrame.Shape.NoFrame)
        self.designerArea.setWidget(self.designer)
        self.designerArea.setVisible(False)
        for widget in (self.designerArea, controls, self.plotSlot):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(2, 1)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(result_row)
        self._load_recipe()
        self._design_from_preset()
        self._on_design_toggled(False)
        if runs is not None:             # ui.run_policy.ExclusiveRuns
            runs.join(self, self.trainingStarted, self.trainingEnded, "Training a new model", "train")

    @staticmethod
    def _pair(first, label: str, second) -> QHBoxLayout:
        """A form row's two fields, the second with its own label. Each label is its field's buddy: it
        names the field for screen readers (accessibility.name_from_labels), as a plain form row does."""
        row = QHBoxLayout()
        row.addWidget(first, 1)
        row.addWidget(QLabel(label, buddy=second))
        row.addWidget(second, 1)
        return row

    # ----- configuration -----
    def _load_recipe(self) -> None:
        recipe = PRESETS[self.presetCombo.currentData()].recipe
        self.epochsSpin.setValue(recipe.epochs)
        self.batchSpin.setValue(recipe.batch_size)
        self.lrSpin.setValue(recipe.learning_rate)
        self.augmentCheck.setChecked(recipe.augment)

    def config(self) -> TrainingConfig:
        limit = self.limitSpin.value()
        architecture = self.designer.document() if self.designCheck.isChecked() else None
        return TrainingConfig(preset=self.presetCombo.currentData(), architecture=architecture,
                              epochs=self.epochsSpin.value(),
                              batch_size=self.batchSpin.value(), learning_rate=self.lrSpin.value(),
                              augment=self.augmentCheck.isChecked(),
                              train_limit=None if limit >= TRAIN_IMAGES else limit)

    @property
    def trainingPlot(self):
        """The live curves (made on first use)."""
        return self.plotSlot.get()

    @staticmethod
    def _make_plot():
        from hwr_desktop.ui.widgets.training_plot import TrainingPlot
        plot = TrainingPlot()
        plot.setMinimumHeight(120)
        return plot

    # ----- the network designer -----
    def _on_design_toggled(self, on: bool) -> None:
        self.designerArea.setVisible(on)
        self.presetDesignButton.setVisible(on)
        # Before any run the curves are only a hint: while designing, the layers take their place
        # (a 760 px window has little room to spare); Start brings the curves back.
        self.plotSlot.setVisible(not on or (self.plotSlot.built() and self.trainingPlot.has_data()))
        if on:      # once the splitter has laid out the area just shown
            QTimer.singleShot(0, self._give_room_to_designer)
        self._update_start_button()

    def _give_room_to_designer(self) -> None:
        """Designing: two thirds of the room to the layers, the rest to the curves."""
        sizes = self.splitter.sizes()
        rest = sum(sizes) - sizes[1]
        if rest > 0:
            self.splitter.setSizes([rest * 2 // 3, sizes[1], rest - rest * 2 // 3])

    def _design_from_preset(self) -> None:
        design = PRESETS[self.presetCombo.currentData()].design
        self.designer.set_design({**design, "name": f"my-{design['name']}"})

    def _start_blocker(self) -> str | None:
        """Why Start is unavailable, if it is: another run, or a design that cannot be built."""
        if self.busy_elsewhere:
            return self.busy_elsewhere
        if self.designCheck.isChecked() and not self.designer.is_buildable():
            row, message = self.designer.problems()[0]
            return f"Fix the design first: {'layer ' + str(row + 1) + ': ' if row is not None else ''}{message}"
        return None

    def _update_start_button(self) -> None:
        reason = self._start_blocker()
        self.trainButton.setEnabled(reason is None and not self.is_running())
        self.trainButton.setToolTip(reason or "")

    def set_busy_elsewhere(self, reason: str | None) -> None:
        """Fine-tuning shares the two cores: one run at a time, with the reason as a tooltip."""
        self.busy_elsewhere = reason
        self._update_start_button()

    def _set_running(self, running: bool) -> None:
        self.stopButton.setEnabled(running)
        for w in (self.presetCombo, self.epochsSpin, self.batchSpin, self.lrSpin, self.augmentCheck, self.limitSpin,
                  self.recordCheck, self.designCheck, self.designer, self.presetDesignButton):
            w.setEnabled(not running)
        self.trainButton.setEnabled(not running and self._start_blocker() is None)

    @property
    def worker(self) -> TrainingWorker | None:
        """The running TrainingWorker, None once its thread has ended."""
        return self.jobs.worker

    def is_running(self) -> bool:
        return self.jobs.is_running()

    # ----- run -----
    def start(self, config: TrainingConfig | None = None) -> None:
        if self.is_running() or self._start_blocker():
            return
        config = config or self.config()
        self.outcome = None
        self.useButton.setEnabled(False)
        self.saveButton.setEnabled(False)
        self.resultLabel.setText("")
        self.trainingPlot.reset()
        self.plotSlot.setVisible(True)
        self.trainingPlot.start()
        self._latest_batch = None
        self._refresh_timer.start()
        self.trainingProgress.setValue(0)
        self.trainingProgress.setFormat("Starting…")
        self.statusLabel.setText("Loading TensorFlow and MNIST…")
        self._set_running(True)

        def make_worker():
            worker = TrainingWorker(config, self.recordCheck.isChecked(), self)
            worker.frameReady.connect(self.learningFrame)
            worker.batchDone.connect(self._on_batch)
            worker.epochDone.connect(self._on_epoch)
            worker.evaluating.connect(self._on_evaluating)
            worker.resultReady.connect(self._on_finished)
            worker.failed.connect(lambda message: self.errorOccurred.emit("Training failed", message))
            return worker
        self.jobs.run(make_worker)
        self.trainingStarted.emit()

    def stop(self) -> None:
        if self.is_running():
            self.jobs.stop()
            self.stopButton.setEnabled(False)
            self.statusLabel.setText("Stopping after the current batch…")

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Abort any run (no final evaluation) and wait for its thread (closing the app)."""
        return self.jobs.shutdown(timeout_ms)

    def _on_batch(self, info) -> None:
        self.trainingPlot.add_batch(info)    # cheap: appends; shown by the next refresh
        self._latest_batch = info

    def _on_epoch(self, info) -> None:
        self.trainingPlot.add_epoch(info)
        self.refresh()                       # an epoch's points are news: show them now

    def refresh(self) -> None:
        """Show the newest batch and redraw the plot if anything arrived since the last refresh."""
        info, self._latest_batch = self._latest_batch, None
        if info is not None:
            self.trainingProgress.setValue(int(1000 * info.step / info.total_steps))
            # Texts are set only when they change: an unchanged label need not be laid out or repainted.
            progress = f"Epoch {info.epoch}/{info.epochs} · batch {info.batch}/{info.batches}"
            if self.trainingProgress.format() != progress:
                self.trainingProgress.setFormat(progress)
            status = (f"loss {info.loss:.3f} · accuracy {info.accuracy:.1%} · "
                      f"{info.images_per_second:,.0f} images/s · {format_seconds(info.remaining)} left")
            if self.jobs.is_live() and self.statusLabel.text() != status:   # not over "Stopping…"
                self.statusLabel.setText(status)
            self.refreshes += 1
        self.trainingPlot.flush()

    def _on_evaluating(self, done: int, total: int) -> None:
        self.refresh()                       # the last batches first, so they never overwrite this
        self.trainingProgress.setFormat(f"Evaluating on the test set: {done:,}/{total:,}")

    def _on_finished(self, outcome: TrainedModel) -> None:
        self.outcome = outcome
        result, report = outcome.result, outcome.report
        if report is None:
            self.outcome = None
            self.resultLabel.setText("Stopped before the first epoch ended: there is no model to keep. "
                                     "The current model stays in use.")
            return
        stopped = " (stopped early)" if result.stopped else ""
        self.resultLabel.setText(
            f"<b>Test accuracy {report.accuracy:.2%}</b>{stopped} · best epoch {result.best_epoch} "
            f"(validation {result.val_accuracy:.2%}) · {format_seconds(result.seconds)}")
        self.useButton.setEnabled(True)
        self.saveButton.setEnabled(True)

    def _on_job_ended(self, worker) -> None:
        self._refresh_timer.stop()
        self.refresh()                       # the last batches, before the final state below
        self.trainingPlot.stop()
        self._set_running(False)
        done = self.outcome is not None
        self.trainingProgress.setValue(1000 if done else self.trainingProgress.value())
        self.trainingProgress.setFormat("Done" if done else "Stopped")
        if worker.stop_flag.is_set() and not done:
            self.statusLabel.setText("Stopped.")
        elif done:
            self.statusLabel.setText("Finished. Use the new model or save it; the current model stays in use until you do.")
        if self.designer.isVisible():
            self.designer.update_machine_factor()      # the run just recorded makes the estimate better
        self.trainingEnded.emit()
