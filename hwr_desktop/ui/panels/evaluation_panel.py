"""Evaluation view: the current model on the 10,000 MNIST test images.

Accuracy and loss, a clickable confusion matrix, the images behind a cell (most confident
mistakes first) and per-digit precision, recall and F1. The figures are core.models.evaluation's
EvaluationReport, the same that `hwr-desktop evaluate` prints. Evaluation runs in an
EvaluationWorker; it is redone lazily after the model changes: when the tab is next shown. A bundled
model's Keras network is loaded first, in the background (the session's keras_model()), the
progress bar busy with "Loading TensorFlow…" meanwhile.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.confusion_matrix import ConfusionMatrixView
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.workers.evaluation import EvaluationWorker

WAITING = "Evaluation runs when this tab is shown, in the background."
GALLERY_LIMIT = 200     # a cell rarely holds more; the whole error list can, and needs no more to browse


def mistake_tiles(report, images, indices) -> list[Tile]:
    """Gallery tiles for test-set indices: true and predicted label, confidence."""
    tiles = []
    for i in indices:
        t, p, conf = int(report.labels[i]), int(report.predictions[i]), float(report.confidences[i])
        tiles.append(Tile(images[i], f"{t} → {p}\n{conf:.0%}", key=int(i), wrong=t != p,
                          tooltip=f"test image #{i}: true {t}, predicted {p} with {conf:.1%} confidence"))
    return tiles


class EvaluationPanel(QWidget):
    evaluated = Signal(object)           # the EvaluationReport now shown
    errorOccurred = Signal(str, str)     # title, message

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("evaluationPanel")
        self.session = session
        self.report = None
        self.images = None               # MNIST test images, for the gallery
        self.stale = True                # the shown figures are not for the current model
        self.jobs = JobSlot(self)

        self.evaluateButton = QPushButton("Evaluate", objectName="evaluateButton")
        self.evaluateButton.setToolTip("Run the current model on the 10,000 MNIST test images")
        self.evaluateButton.clicked.connect(self.start)
        self.progress = QProgressBar(objectName="evaluationProgress", minimum=0, maximum=10000, value=0)
        self.progress.setFormat("Not evaluated yet")
        self.accuracyLabel = QLabel("", objectName="accuracyLabel", wordWrap=True)
        self.accuracyLabel.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(self.evaluateButton)
        top.addWidget(self.progress, 1)

        self.matrix = ConfusionMatrixView()
        self.matrix.cellClicked.connect(self.show_cell)
        self.galleryTitle = QLabel("", objectName="galleryTitle", wordWrap=True)
        self.gallery = ImageGrid(side=48, widest_caption="0 → 0 ")
        self.gallery.setObjectName("mistakesGallery")
        self.gallery.setAccessibleName("Mistakes")
        gallery_page = QWidget()
        gallery_layout = QVBoxLayout(gallery_page)
        gallery_layout.setContentsMargins(0, 4, 0, 0)
        gallery_layout.addWidget(self.galleryTitle)
        gallery_layout.addWidget(self.gallery, 1)
        self.classTable = QTableWidget(10, 4, objectName="classTable")
        self.classTable.setHorizontalHeaderLabels(["Precision", "Recall", "F1", "Test images"])
        self.classTable.setVerticalHeaderLabels([f"digit {d}" for d in range(10)])
        self.classTable.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.classTable.horizontalHeader().setStretchLastSection(True)
        self.details = QTabWidget(objectName="evaluationDetails")
        self.details.addTab(gallery_page, "Images")
        self.details.addTab(self.classTable, "Per digit")
        self.details.tabBar().setAccessibleName("Evaluation details")
        self.classTable.setAccessibleName("Accuracy per digit")

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.matrix)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.accuracyLabel)
        layout.addWidget(splitter, 1)

        session.modelChanged.connect(self._on_model_changed)
        session.kerasReady.connect(self._on_keras_ready)
        self._show_report(None)

    # ----- when to evaluate -----
    def _on_model_changed(self) -> None:
        self.stale = True
        self._show_report(None)
        if self.isVisible():
            self.start()
        else:
            self.jobs.stop()              # its figures would be for the old model

    def _on_keras_ready(self) -> None:
        if self.stale and self.isVisible():
            self.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.stale and not self.jobs.is_live():
            self.start()

    def start(self) -> None:
        """Evaluate the session's current model in the background (an outdated run is replaced)."""
        if not self.session.ready:
            self.progress.setFormat("No model loaded")
            return
        if self.jobs.is_live() and not self.stale:
            return                        # already evaluating this model
        model = self.session.keras_model()
        if model is None:                 # TensorFlow loads in the background: kerasReady starts us again
            self.progress.setRange(0, 0)  # busy (a busy bar shows no text: the label says it)
            self.progress.setFormat(self.session.keras_status())
            self.accuracyLabel.setText(self.session.keras_status())
            self.stale = True
            return
        probs, temperature = self.session.info.outputs_probabilities, self.session.info.temperature
        self.stale = False
        if self.report is None:
            self.accuracyLabel.setText(WAITING)
        self.progress.setRange(0, 10000)
        self.progress.setValue(0)
        self.progress.setFormat("Evaluating… %v of %m test images")

        self.jobs.start(lambda: EvaluationWorker(model, probs, self, temperature=temperature), self._on_evaluated,
                        self._on_failed, progress=self._on_progress)

    def shutdown(self) -> bool:
        return self.jobs.shutdown()

    # ----- worker results (GUI thread) -----
    def _on_progress(self, done: int, total: int) -> None:
        if self.jobs.is_live():
            self.progress.setMaximum(total)
            self.progress.setValue(done)

    def _on_failed(self, message: str) -> None:
        if self.jobs.is_live():
            self.progress.setFormat("Evaluation failed")
            self.stale = True             # tried again when the tab is next shown
            self.errorOccurred.emit("Evaluation failed", message)

    def _on_evaluated(self, report) -> None:
        if not self.jobs.is_live():
            return                        # stopped: for a model that is no longer current
        from hwr_desktop.core.data.mnist import load_mnist  # cached: the worker has just loaded it
        self.images = load_mnist().x_test
        self.progress.setValue(self.progress.maximum())
        self.progress.setFormat(f"Evaluated on {report.n:,} test images")
        self._show_report(report)
        self.evaluated.emit(report)

    # ----- showing a report -----
    def _show_report(self, report) -> None:
        self.report = report
        self.matrix.set_matrix(None if report is None else report.confusion)
        if report is None:
            self.accuracyLabel.setText(WAITING)
            self.classTable.clearContents()
            self.gallery.set_tiles([])
            self.galleryTitle.setText("Click a cell of the matrix to see its test images.")
            return
        errors = int((report.predictions != report.labels).sum())
        self.accuracyLabel.setText(f"<b>Accuracy {report.accuracy:.2%}</b> · loss {report.loss:.4f} · "
                                   f"{errors:,} errors of {report.n:,} test images · "
                                   f"calibration error {report.ece:.2%}")
        support = report.confusion.sum(axis=1)
        for d in range(10):
            for col, text in enumerate((f"{report.precision[d]:.4f}", f"{report.recall[d]:.4f}",
                                        f"{report.f1[d]:.4f}", f"{int(support[d]):,}")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.classTable.setItem(d, col, item)
        self.show_all_mistakes()

    def _fill_gallery(self, indices, title: str) -> None:
        shown = indices[:GALLERY_LIMIT]
        more = f" (the {len(shown)} most confident shown)" if len(indices) > len(shown) else ""
        self.galleryTitle.setText(title + more)
        self.gallery.set_tiles(mistake_tiles(self.report, self.images, shown))
        self.details.setCurrentIndex(0)

    def show_all_mistakes(self) -> None:
        mistakes = self.report.mistakes()
        self._fill_gallery(mistakes, f"All {len(mistakes):,} mistakes, most confident first. "
                                     "Click a cell to see only its images.")

    def show_cell(self, true: int, predicted: int) -> None:
        """Off the diagonal: the mistakes of that cell. On it: every mistake made on that digit."""
        if self.report is None:
            return
        self.matrix.set_selected((true, predicted))
        if true != predicted:
            indices = self.report.mistakes(true, predicted)
            title = (f"True {true}, predicted {predicted}: {len(indices)} "
                     f"{'image' if len(indices) == 1 else 'images'}, most confident first")
        else:
            indices = self.report.mistakes(true=true)
            right = int(self.report.confusion[true, true])
            title = (f"{right:,} test {true}s were read right; these {len(indices)} were not "
                     f"(most confident mistakes first)")
        self._fill_gallery(indices, title)
