"""Predictions tab: random MNIST test images with the current model's answers, wrong ones in red.

"New draw" picks other images; a model change re-predicts the same images, so two models can be
compared on them. Prediction runs in a PredictionsWorker (it may first have to load MNIST), once a
bundled model's Keras network is loaded in the background ("Loading TensorFlow…" meanwhile).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.workers.evaluation import Predictions, PredictionsWorker

SAMPLE_COUNT = 30


class PredictionsPanel(QWidget):
    __test__ = False                      # not a pytest test class, whatever its name
    errorOccurred = Signal(str, str)      # title, message

    def __init__(self, session, count: int = SAMPLE_COUNT, seed: int | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("testPredictionsPanel")
        self.session = session
        self.count = count
        self.seed = seed                  # None: a different random draw every time
        self.indices = None               # test-set indices shown
        self.report = None                # EvaluationReport for those images
        self.stale = True
        self.jobs = JobSlot(self)

        self.newDrawButton = QPushButton("New draw", objectName="newDrawButton")
        self.newDrawButton.setToolTip("Show other random test images")
        self.newDrawButton.clicked.connect(self.new_draw)
        self.summaryLabel = QLabel("", objectName="predictionsSummary", wordWrap=True)
        self.grid = ImageGrid(side=64, widest_caption="0  100%")
        self.grid.setObjectName("predictionsGrid")
        self.grid.setAccessibleName("Test images and predictions")
        top = QHBoxLayout()
        top.addWidget(self.summaryLabel, 1)
        top.addWidget(self.newDrawButton)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        session.modelChanged.connect(self._on_model_changed)
        session.kerasReady.connect(self._on_keras_ready)

    def _on_keras_ready(self) -> None:
        if self.stale and self.isVisible():
            self.predict(self.indices)

    def _on_model_changed(self) -> None:
        self.stale = True
        if self.isVisible():
            self.predict(self.indices)
        else:
            self.jobs.stop()              # its answers would be the old model's

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.stale and not self.jobs.is_live():
            self.predict(self.indices)

    def new_draw(self) -> None:
        if self.seed is not None:
            self.seed += 1                # reproducible, yet a new draw each time
        self.predict(None)

    def predict(self, indices=None) -> None:
        """Predict the given test-set indices (None: a random draw) in the background."""
        if not self.session.ready:
            self.summaryLabel.setText("No model loaded")
            return
        model = self.session.keras_model()
        if model is None:                 # TensorFlow loads in the background: kerasReady calls us again
            self.summaryLabel.setText(self.session.keras_status())
            self.stale = True
            return
        self.stale = False
        self.summaryLabel.setText("Predicting…")
        probs = self.session.info.outputs_probabilities
        temperature = self.session.info.temperature   # calibrated confidences, as the drawing pad shows
        seed, count = self.seed, self.count

        self.jobs.start(lambda: PredictionsWorker(model, probs, indices, count, seed, self, temperature=temperature),
                        self._on_predicted, self._on_failed)

    def shutdown(self) -> bool:
        return self.jobs.shutdown()

    def _on_failed(self, message: str) -> None:
        if self.jobs.is_live():
            self.summaryLabel.setText("Prediction failed.")
            self.stale = True             # tried again when the tab is next shown
            self.errorOccurred.emit("Cannot predict the test images", message)

    def _on_predicted(self, predictions: Predictions) -> None:
        if not self.jobs.is_live():
            return                        # for a model that is no longer current
        indices, report = predictions.indices, predictions.report
        from hwr_desktop.core.data.mnist import load_mnist  # cached: the worker has just loaded it
        images = load_mnist().x_test
        self.indices, self.report = indices, report
        tiles = []
        for pos, i in enumerate(indices):
            t, p, conf = int(report.labels[pos]), int(report.predictions[pos]), float(report.confidences[pos])
            caption = f"{p}  {conf:.0%}" + (f"\n(is {t})" if p != t else "\n")
            tiles.append(Tile(images[i], caption, key=int(i), wrong=p != t,
                              tooltip=f"test image #{i}: true {t}, predicted {p} with {conf:.1%} confidence"))
        self.grid.set_tiles(tiles)
        wrong = int((report.predictions != report.labels).sum())
        self.summaryLabel.setText(f"{report.n - wrong} of {report.n} random test images read right"
                                  + (f"; the {wrong} wrong {'one is' if wrong == 1 else 'ones are'} framed in red."
                                     if wrong else "."))
