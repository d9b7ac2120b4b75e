"""Why this answer: which pixels of the drawn digit drove it, and what the first layer sees.

Follows DrawingPanel.predicted: after each prediction the 28x28 model input is explained with a
saliency map (SmoothGrad) or Grad-CAM, laid over the input, and the first convolution block's
feature maps are shown one per filter. The maths is core.inside.why's; its graphs are traced once per
model in an InspectorWorker, after which an update takes a few tens of milliseconds, so it runs on
the GUI thread, only while this view is visible, and at most every UPDATE_INTERVAL_MS while drawing.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from hwr_desktop.core.inside.why import heat_colours, heat_overlay, normalize_maps
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.panels.inside.view import InsideView
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
from hwr_desktop.ui.workers.inspector import InspectorWorker

UPDATE_INTERVAL_MS = 120
IMAGE_SIDE = 112       # 4 screen pixels a network pixel; three in a row leave the views narrow enough for the number strip
SALIENCY, GRAD_CAM = "saliency", "gradcam"
WHAT_IT_SHOWS = {
    SALIENCY: "yellow marks the ink that counts most for this answer (gradient x input, averaged over noisy copies).",
    GRAD_CAM: "yellow marks the regions where the last convolution layer found evidence for this answer; "
              "a black map means it found none.",
}


def rgb_pixmap(rgb: np.ndarray, side: int) -> QPixmap:
    """(H, W, 3) uint8 -> a pixmap scaled without smoothing, so the 28x28 pixels stay visible."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


class WhyView(InsideView):
    """Follows the predictions itself (it needs the answer, not only the image). For an ensemble it
    explains the network chosen above the views (`members`, the shared ProbeSource): the ensemble as a
    whole has no single convolution layer to show."""

    def __init__(self, session, draw_panel, members=None, parent=None):
        super().__init__(None, parent, UPDATE_INTERVAL_MS)
        self.setObjectName("insideWhy")
        self.session = session
        self.members = members
        if members is not None:
            members.probeChanged.connect(self.schedule)     # another network chosen
        self.prediction = None            # the latest core.models.inference.Prediction from the canvas
        self.inspector = None             # core.inside.why.Inspector for inspector_model
        self.inspector_model = None
        self.error = ""                   # why this model cannot be inspected
        self.heat: np.ndarray | None = None          # shown saliency / Grad-CAM map, (28, 28) in [0, 1]
        self.feature_maps: np.ndarray | None = None  # shown maps, (filters, H, W) in [0, 1]
        self.jobs = JobSlot(self)

        self.methodCombo = QComboBox(objectName="overlayMethod")
        self.methodCombo.setAccessibleName("Explanation method")
        self.methodCombo.addItem("Saliency (SmoothGrad × input)", SALIENCY)
        self.methodCombo.addItem("Grad-CAM (last convolution layer)", GRAD_CAM)
        self.methodCombo.setToolTip("Saliency: how much each pixel changes the score of the answer.\n"
                                    "Grad-CAM: which regions the last convolution layer's evidence for the answer comes from.")
        self.methodCombo.currentIndexChanged.connect(lambda _index: self.update_now())
        self.captionLabel = QLabel("", objectName="insideCaption", wordWrap=True)
        self.inputImage = QLabel(objectName="insideInput")
        self.heatImage = QLabel(objectName="heatImage")
        self.saliencyImage = QLabel(objectName="saliencyImage")
        images = QGridLayout()
        for col, (label, title) in enumerate(((self.inputImage, "Model input"), (self.heatImage, "Influence"),
                                              (self.saliencyImage, "Overlay"))):
            label.setFixedSize(IMAGE_SIDE, IMAGE_SIDE)
            images.addWidget(label, 0, col, alignment=Qt.AlignmentFlag.AlignCenter)
            images.addWidget(QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter), 1, col)
        self.featureTitle = QLabel("", objectName="featureTitle", wordWrap=True)
        self.featureGrid = ImageGrid(side=64, caption_lines=1, widest_caption="#00")
        self.featureGrid.setObjectName("featureMaps")
        self.featureGrid.setAccessibleName("First-layer feature maps")

        method_row = QHBoxLayout()
        method_row.addWidget(QLabel("Explain with"))
        method_row.addWidget(self.methodCombo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(method_row)
        layout.addWidget(self.captionLabel)
        layout.addLayout(images)
        layout.addWidget(self.featureTitle)
        layout.addWidget(self.featureGrid, 1)

        draw_panel.predicted.connect(self._on_predicted)
        session.modelChanged.connect(self.schedule)
        session.kerasReady.connect(self.schedule)
        self._show_nothing("Draw a digit on the canvas to see what drove the network's answer.")

    def method(self) -> str:
        return self.methodCombo.currentData()

    def _on_predicted(self, prediction) -> None:
        self.prediction = prediction
        self.schedule()

    # ----- the inspector for the current model, built in the background -----
    def _current_inspector(self):
        """The Inspector for the session's model, or None while it is being built (or cannot be)."""
        if not self.session.ready:
            self.error = "No model loaded."
            return None
        model = self.session.keras_model()
        if model is None:                                 # loading in the background: kerasReady reschedules
            self.error = self.session.keras_status()
            return None
        probs = self.session.info.outputs_probabilities
        if self.members is not None and self.session.info.is_ensemble:
            self.members.ensure_probe()                   # finds the members (and shows the chooser)
            network = self.members.network
            if network is None:
                self.error = self.members.error
                return None
            model, probs = network.model, network.outputs_probabilities
        if model is self.inspector_model:
            return self.inspector
        self.inspector, self.inspector_model, self.error = None, model, ""

        self.jobs.start(lambda: InspectorWorker(model, probs, self), self._on_ready, self._on_failed)
        return None

    def _on_ready(self, inspector) -> None:
        if self.jobs.is_live() and inspector.model is self.inspector_model:
            self.inspector = inspector
            self.update_now()

    def _on_failed(self, message: str) -> None:
        # Not an error dialog: a model that cannot be explained (e.g. no convolution layer) is a
        # state of this view, said in its caption for as long as that model is current.
        if self.jobs.is_live():
            self.error = message
            self.update_now()

    # ----- drawing the pictures -----
    def _show_nothing(self, message: str) -> None:
        self.heat = self.feature_maps = None
        self.captionLabel.setText(message)
        for label in (self.inputImage, self.heatImage, self.saliencyImage):
            label.setPixmap(gray_pixmap(None, IMAGE_SIDE))
        self.featureGrid.set_tiles([])
        self.featureTitle.setText("")

    def refresh(self) -> None:
        prediction = self.prediction
        refused = prediction is not None and prediction.refused
        if prediction is None or (prediction.digit is None and not refused) or prediction.prepared is None:
            self._show_nothing("Draw a digit on the canvas to see what drove the network's answer.")
            return
        inspector = self._current_inspector()
        if inspector is None:
            self._show_nothing(self.error or "Preparing the Why view for this model…")
            return
        image = prediction.prepared.image
        # Not a digit: still show what drove the digit network's own answer, the one the gate overruled.
        digit = int(np.argmax(prediction.probabilities)) if refused else prediction.digit
        if self.method() == GRAD_CAM:
            heat = inspector.grad_cam(image, digit)
            how = f"Grad-CAM on {inspector.last_conv.name}"
        else:
            heat = inspector.saliency(image, digit)
            how = "Saliency"
        self.heat = heat
        question = (f"Not a digit ({prediction.not_digit:.0%} sure); the digit network alone says <b>{digit}</b> "
                    f"({prediction.probabilities[digit]:.0%}). Why?" if refused
                    else f"Why <b>{digit}</b> ({prediction.confidence:.0%})?")
        self.captionLabel.setText(f"{question} {how}: {WHAT_IT_SHOWS[self.method()]}")
        self.inputImage.setPixmap(gray_pixmap(image, IMAGE_SIDE))
        self.heatImage.setPixmap(rgb_pixmap(heat_colours(heat), IMAGE_SIDE))
        self.saliencyImage.setPixmap(rgb_pixmap(heat_overlay(image, heat), IMAGE_SIDE))

        maps = normalize_maps(inspector.feature_maps(image))
        self.feature_maps = maps
        self.featureTitle.setText(
            f"First convolution layer ({inspector.first_conv.name}): {len(maps)} filters, each map "
            f"{maps.shape[1]}x{maps.shape[2]}, bright where the filter responds to your drawing.")
        self.featureGrid.set_tiles([Tile(m, f"#{i + 1}", key=i) for i, m in enumerate(maps)])
