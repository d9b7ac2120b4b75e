"""File > Export Model…: the current model as ONNX, TFLite or SavedModel, checked before it is kept.

The user picks a format, a file and (TFLite) int8; the export runs in an ExportWorker (in a child
process: core/export/in_subprocess.py) through a JobSlot, with its stages on a progress bar. The
result shows the check's figures (agreement with the Keras model on the 10,000 MNIST test images,
accuracy, size, speed) and where the README with a runnable snippet is. Problems go out on `errorOccurred`, like every panel's.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.workers.export import ExportWorker

FORMATS = {"onnx": "ONNX (onnxruntime, web servers)", "tflite": "TensorFlow Lite (phones, microcontrollers)",
           "savedmodel": "TensorFlow SavedModel (TF Serving)"}
SUFFIX = {"onnx": ".onnx", "tflite": ".tflite", "savedmodel": ""}
STAGES = {"convert": "Converting", "reference": "Running the Keras model", "check": "Checking the export",
          "write": "Writing"}


class ExportDialog(QDialog):
    errorOccurred = Signal(str, str)     # title, message
    exported = Signal(object)            # core.export.convert.ExportReport

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export Model")
        self.setMinimumWidth(600)
        self.session = session
        self.jobs = JobSlot(self)
        self.jobs.jobEnded.connect(lambda _worker: self._set_running(False))
        self.report = None

        self.formatCombo = QComboBox(objectName="exportFormat")
        for key, text in FORMATS.items():
            self.formatCombo.addItem(text, key)
        self.formatCombo.currentIndexChanged.connect(self._format_changed)
        self.pathEdit = QLineEdit(objectName="exportPath")
        self.pathEdit.setAccessibleName("Export to file")
        browse = QPushButton("Browse…", objectName="exportBrowse")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.pathEdit, 1)
        path_row.addWidget(browse)
        self.int8Check = QCheckBox("8-bit integers (about 4x smaller; accuracy checked)", objectName="exportInt8")
        form = QFormLayout()
        form.addRow("Format", self.formatCombo)
        form.addRow("File", path_row)
        form.addRow("", self.int8Check)

        self.progress = QProgressBar(objectName="exportProgress", minimum=0, maximum=1000, value=0)
        self.progress.setFormat("Every export is checked on the 10,000 MNIST test images before it is kept")
        self.progress.setTextVisible(True)
        self.resultLabel = QLabel("", objectName="exportResult", wordWrap=True)
        self.exportButton = QPushButton("Export", objectName="exportButton", default=True)
        self.exportButton.clicked.connect(self.start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.exportButton, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.resultLabel)
        layout.addWidget(buttons)
        self._format_changed()

    def fmt(self) -> str:
        return self.formatCombo.currentData()

    def _format_changed(self) -> None:
        fmt = self.fmt()
        self.int8Check.setEnabled(fmt == "tflite")
        if fmt != "tflite":
            self.int8Check.setChecked(False)
        current = Path(self.pathEdit.text()) if self.pathEdit.text() else Path.home() / self._stem()
        base = current.with_suffix("") if current.suffix in (".onnx", ".tflite") else current
        self.pathEdit.setText(str(base) + SUFFIX[fmt])

    def _stem(self) -> str:
        return self.session.path.stem if self.session.path else self.session.info.preset.replace(" ", "-")

    def _browse(self) -> None:
        fmt = self.fmt()
        if fmt == "savedmodel":
            path = QFileDialog.getSaveFileName(self, "Export to folder", self.pathEdit.text())[0]
        else:
            path = QFileDialog.getSaveFileName(self, "Export to file", self.pathEdit.text(),
                                               f"{fmt} (*{SUFFIX[fmt]});;All files (*)")[0]
        if path:
            self.pathEdit.setText(path)

    def _set_running(self, running: bool) -> None:
        for widget in (self.formatCombo, self.pathEdit, self.int8Check, self.exportButton):
            widget.setEnabled(not running)
        if not running:
            self.int8Check.setEnabled(self.fmt() == "tflite")

    def start(self) -> None:
        if not self.session.ready or self.jobs.is_running():
            return
        model, info, fmt = self.session.model, self.session.info, self.fmt()
        out, quantize = Path(self.pathEdit.text()).expanduser(), "int8" if self.int8Check.isChecked() else None
        self.report = None
        self.resultLabel.setText("")
        self.progress.setValue(0)
        self._set_running(True)

        source = self.session.path.name if self.session.path else None
        self.jobs.start(lambda: ExportWorker(model, info, fmt, out, quantize, self, source), self._on_exported,
                        self._on_failed, stageProgress=self._on_progress)

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        order = list(STAGES)
        share = (order.index(stage) + done / max(total, 1)) / len(order) if stage in order else 0
        self.progress.setValue(int(1000 * share))
        self.progress.setFormat(f"{STAGES.get(stage, stage)}: {done:,}/{total:,}")

    def _on_exported(self, report) -> None:
        self.report = report
        self.progress.setValue(1000)
        self.progress.setFormat("Exported and checked")
        self.resultLabel.setText(
            f"<b>{report.path.name}</b> ({report.size_bytes:,} bytes"
            f"{', int8' if report.quantize else ''}): on {report.n:,} MNIST test images its answers agree with "
            f"the Keras model on {report.agreement:.2%} (largest probability difference "
            f"{report.max_prob_diff:.1g}); accuracy {report.keras_accuracy:.2%} → {report.export_accuracy:.2%}; "
            f"{report.ms_per_image:.2f} ms per image.<br>How to use it: {report.readme_path}")
        self.exported.emit(report)

    def _on_failed(self, message: str) -> None:
        self.progress.setValue(0)
        self.progress.setFormat("Not exported")
        self.errorOccurred.emit("Cannot export the model", message)

    def shutdown(self) -> bool:
        return self.jobs.shutdown()

    def reject(self) -> None:
        self.jobs.stop()   # closing the dialog stops an export; nothing half-written is left
        super().reject()
