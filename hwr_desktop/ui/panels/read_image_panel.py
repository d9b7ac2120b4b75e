"""Read Image tab: an opened, dropped or pasted image with a box, digit and confidence per mark.

Decoding goes through core.images (size limits checked before pixels are decoded); reading
through core.reading in a worker, so a large photo never freezes the window.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hwr_desktop.core.errors import HwrError, ImageError
from hwr_desktop.core.images import MAX_PIXELS, load_image
from hwr_desktop.core.reading import DEFAULT_MIN_CONFIDENCE
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.reading_view import ReadingView, array_to_qimage
from hwr_desktop.ui.workers.read_image import ReadImageWorker

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


def qimage_to_array(image: QImage) -> np.ndarray:
    """A pasted QImage -> (H, W, 4) uint8 RGBA, refusing absurd sizes like a file would be."""
    if image.isNull() or image.width() * image.height() == 0:
        raise ImageError("the clipboard holds no image")
    if image.width() * image.height() > MAX_PIXELS:
        raise ImageError(f"pasted image too large ({image.width()}x{image.height()} pixels)")
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, stride = rgba.height(), rgba.bytesPerLine()
    data = np.frombuffer(rgba.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return data[:, : rgba.width() * 4].reshape(h, rgba.width(), 4).copy()


class ReadImagePanel(QWidget):
    errorOccurred = Signal(str, str)
    imageOpened = Signal()

    def __init__(self, session, settings, parent=None):
        super().__init__(parent)
        self.setObjectName("readImagePanel")
        self.session, self.settings = session, settings
        self.source: np.ndarray | None = None
        self.source_name = ""
        self.result = None
        self.jobs = JobSlot(self)

        self.openButton = QPushButton("Open Image…", objectName="openImageButton")
        self.pasteButton = QPushButton("Paste", objectName="pasteImageButton")
        self.openButton.clicked.connect(self.open_dialog)
        self.pasteButton.clicked.connect(self.paste)
        self.confidenceSpin = QDoubleSpinBox(objectName="minConfidenceSpin", minimum=0.0, maximum=1.0,
                                             singleStep=0.05, decimals=2)
        self.confidenceSpin.setValue(_float_setting(settings, "minConfidence", DEFAULT_MIN_CONFIDENCE))
        self.confidenceSpin.setToolTip("A mark counts as a digit only when the model is at least this sure; "
                                       "otherwise it is shown as '?'")
        self.confidenceSpin.setAccessibleName("Minimum confidence")
        self.confidenceSpin.valueChanged.connect(self._confidence_changed)
        self.textLabel = QLabel("", objectName="readTextLabel")
        big = QFont()
        big.setPointSize(28)
        big.setBold(True)
        self.textLabel.setFont(big)
        self.textLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel = QLabel("", objectName="readStatusLabel", wordWrap=True)
        self.view = ReadingView()

        row = QHBoxLayout()
        row.addWidget(self.openButton)
        row.addWidget(self.pasteButton)
        row.addStretch(1)
        row.addWidget(QLabel("Minimum confidence"))
        row.addWidget(self.confidenceSpin)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.textLabel)
        layout.addWidget(self.statusLabel)
        layout.addWidget(self.view, 1)
        session.modelChanged.connect(self.reread)

    def open_array(self, image: np.ndarray, name: str) -> None:
        self.source, self.source_name, self.result = image, name, None
        self.view.show_image(array_to_qimage(image))
        self.textLabel.setText("")
        self.imageOpened.emit()
        self.reread()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_path(path)

    def paste(self) -> bool:
        return self.open_mime(QApplication.clipboard().mimeData(), "pasted image")

    def open_path(self, path) -> bool:
        """Decode safely (size limits are checked before any pixel is decoded), then read it."""
        try:
            image = load_image(path)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot open image", str(exc))
            return False
        self.open_array(image, Path(path).name)
        return True

    @staticmethod
    def can_open(mime) -> bool:
        return mime is not None and (mime.hasImage() or (mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())))

    def open_mime(self, mime, name: str) -> bool:
        """Clipboard or drop: a local file wins over raw image data (it keeps its name and format)."""
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime is not None and mime.hasUrls() else []
        if files:
            return self.open_path(files[0])
        try:
            if mime is None or not mime.hasImage():
                raise ImageError("there is no image on the clipboard")
            image = qimage_to_array(mime.imageData())
        except HwrError as exc:
            self.errorOccurred.emit("Cannot open image", str(exc))
            return False
        self.open_array(image, name)
        return True

    def reread(self) -> None:
        if self.source is None or not self.session.ready:
            return
        self.statusLabel.setText(f"Reading {self.source_name}…")
        image, predictor, threshold = self.source, self.session.predictor, self.confidenceSpin.value()

        def factory():
            worker = ReadImageWorker(predictor, image, threshold)
            worker.resultReady.connect(self._on_read)
            worker.failed.connect(lambda message: self.errorOccurred.emit("Cannot read image", message))
            return worker
        self.jobs.run(factory)

    def _on_read(self, result) -> None:
        if not self.jobs.is_live():
            return  # a newer request (other image, model or threshold) replaces this one
        self.result = result
        self.view.show_image(self.view.image, result)
        found = len(result.digits)
        rejected = sum(d.digit is None for d in result.digits)
        self.textLabel.setText(result.text if found else "")
        self.statusLabel.setText(f"{self.source_name}: {found} mark{'s' * (found != 1)} found"
                                 + (f", {rejected} not confidently a digit (shown as ?)" if rejected else "")
                                 if found else f"{self.source_name}: no digits found")

    def _confidence_changed(self, value: float) -> None:
        self.settings.setValue("minConfidence", value)
        self.reread()

    def is_busy(self) -> bool:
        return self.jobs.is_running()

    def shutdown(self) -> bool:
        return self.jobs.shutdown()


def _float_setting(settings, key: str, default: float) -> float:
    """A stored number, or the default when it is missing or not a number (hand-edited file)."""
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
