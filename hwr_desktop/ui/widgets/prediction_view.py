"""The answer: the predicted digit in large type, ten probability bars, and the 28x28 model input."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QGroupBox, QLabel, QSizePolicy, QVBoxLayout, QWidget


class ProbabilityBars(QWidget):
    """Ten horizontal bars, one per digit, the winner highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("probabilityBars")
        self._probs = np.zeros(10, np.float32)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def probabilities(self) -> np.ndarray:
        return self._probs.copy()

    def setProbabilities(self, probs) -> None:
        self._probs = np.zeros(10, np.float32) if probs is None else np.asarray(probs, np.float32)
        self.setToolTip("\n".join(f"{d}: {p:.1%}" for d, p in enumerate(self._probs)))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(200, 240)   # beside the canvas: narrow, the canvas takes the width

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        row = self.height() / 10
        label_w, text_w = 22, 52
        bar_w = max(10, self.width() - label_w - text_w - 8)
        winner = int(self._probs.argmax()) if self._probs.any() else -1
        for d, p in enumerate(self._probs):
            y = d * row
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            painter.drawText(QRectF(0, y, label_w, row), Qt.AlignmentFlag.AlignCenter, str(d))
            track = QRectF(label_w, y + row * 0.2, bar_w, row * 0.6)
            painter.fillRect(track, palette.color(QPalette.ColorRole.AlternateBase))
            color = palette.color(QPalette.ColorRole.Highlight if d == winner else QPalette.ColorRole.Mid)
            painter.fillRect(QRectF(track.x(), track.y(), bar_w * float(p), track.height()), color)
            painter.drawText(QRectF(label_w + bar_w + 4, y, text_w, row),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, f"{p:.0%}" if p >= 0.005 else "")


def gray_pixmap(image28: np.ndarray | None, side: int) -> QPixmap:
    """A 28x28 float image shown as the model sees it (light ink on black), scaled without smoothing."""
    data = np.zeros((28, 28), np.uint8) if image28 is None else np.clip(image28 * 255, 0, 255).astype(np.uint8)
    data = np.ascontiguousarray(data)
    qimage = QImage(data.data, data.shape[1], data.shape[0], data.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(qimage).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.FastTransformation)


REFUSED_POINTS = 18     # "not a digit" in words: smaller than a digit's 64 pt, so it fits the column


class PredictionView(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Prediction", parent)
        self.predictionLabel = QLabel("")
        self.predictionLabel.setObjectName("predictionLabel")
        font = QFont()
        font.setPointSize(64)
        font.setBold(True)
        self.predictionLabel.setFont(font)
        self.predictionLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.predictionLabel.setMinimumSize(120, 110)
        self.confidenceLabel = QLabel("Draw a digit")
        self.confidenceLabel.setObjectName("confidenceLabel")
        self.confidenceLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bars = ProbabilityBars()
        self.preview = QLabel()
        self.preview.setObjectName("previewImage")
        self.preview.setToolTip("The 28x28 image the network sees: your drawing cropped, scaled to 20 px "
                                "and centred by mass, like MNIST")
        self.preview.setFixedSize(112, 112)
        # The model input is light ink on black in every palette (it is what the network reads); a
        # frame in the palette's mid colour sets it apart from a dark window.
        self.preview.setFrameShape(QFrame.Shape.Box)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_image: np.ndarray | None = None
        self.previewCaption = caption = QLabel("Model input (28x28)")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)

        # One column: the view sits beside the canvas, where width is what the canvas needs.
        grid = QGridLayout()
        grid.addWidget(self.predictionLabel, 0, 0)
        grid.addWidget(self.confidenceLabel, 1, 0)
        grid.addWidget(self.preview, 2, 0, alignment=Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(caption, 3, 0)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.bars, 1)
        self.show_prediction(None)

    def show_prediction(self, prediction, note: str = "") -> None:
        """prediction: core.models.inference.Prediction or None (empty canvas / no model)."""
        if prediction is not None and prediction.refused:
            self._show_refused(prediction)
            return
        if prediction is None or prediction.digit is None:
            self.predictionLabel.setText("")
            self.confidenceLabel.setText(note or "Draw a digit")
            self.bars.setProbabilities(None)
            self._set_preview(None if prediction is None or prediction.prepared is None else prediction.prepared.image)
            return
        self.predictionLabel.setText(str(prediction.digit))
        self.confidenceLabel.setText(f"{prediction.confidence:.1%} sure")
        self.bars.setProbabilities(prediction.probabilities)
        self._set_preview(prediction.prepared.image)

    def _show_refused(self, prediction) -> None:
        """The not-a-digit gate's answer: said in words, with the digit the network alone would have given,
        because a learner who draws a letter should see both what the network does and why it is not trusted."""
        self.predictionLabel.setText(f'<span style="font-size:{REFUSED_POINTS}pt">not a digit</span>')
        alone = int(np.argmax(prediction.probabilities))
        sure = ">99.9%" if prediction.not_digit >= 0.9995 else f"{prediction.not_digit:.1%}"
        self.confidenceLabel.setText(f"{sure} sure\nthe digits alone: {alone} ({prediction.probabilities[alone]:.0%})")
        self.bars.setProbabilities(prediction.probabilities)
        self._set_preview(prediction.prepared.image)

    def _set_preview(self, image28) -> None:
        self.preview_image = None if image28 is None else np.array(image28)
        side = self.preview.contentsRect().width()
        self.preview.setPixmap(gray_pixmap(image28, side))
