"""Read Image tab: an opened, dropped or pasted image with a box, digit and confidence per mark.

Decoding goes through core.data.images (size limits checked before pixels are decoded); reading
through core.reading.digit_reader in a worker, so a large photo never freezes the window. The view can show
what the reader did (the printed lines it removed, the pieces it considered) and every mark's
likeliest digits, so a user sees why a '?' appeared; clicking a '?' corrects it by hand. The
corrections belong to one reading: a new image, model or threshold clears them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hwr_desktop.core.data.images import MAX_PIXELS, load_image
from hwr_desktop.core.errors import HwrError, ImageError
from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE, REJECTED
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.alternatives_strip import AlternativesStrip
from hwr_desktop.ui.widgets.correction_menu import UNDO, correction_menu
from hwr_desktop.ui.widgets.reading_view import ReadingView, array_to_qimage
from hwr_desktop.ui.widgets.readings_row import ReadingsRow
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
        self.corrections: dict[int, int] = {}   # mark index -> the digit the user chose for its '?'
        self.chosen_text: str | None = None      # a whole reading chosen that has another number of digits
        self.correctionMenu = None
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
        self.view.digitClicked.connect(self.open_correction_menu)
        self.strip = AlternativesStrip()
        self.strip.digitClicked.connect(self.open_correction_menu)
        self.readings = ReadingsRow()
        self.readings.readingChosen.connect(self.choose_reading)
        self.linesCheck = QCheckBox("Show removed lines", objectName="showLinesCheck", checked=True)
        self.linesCheck.setToolTip("Printed lines (ruled or squared paper) the reader removed before reading")
        self.piecesCheck = QCheckBox("Show pieces", objectName="showPiecesCheck", checked=False)
        self.piecesCheck.setToolTip("The parts of the ink the reader considered, as dashed grey boxes")
        for check in (self.linesCheck, self.piecesCheck):
            check.toggled.connect(self._layers_changed)
        self._layers_changed()

        row = QHBoxLayout()
        row.addWidget(self.openButton)
        row.addWidget(self.pasteButton)
        row.addStretch(1)
        row.addWidget(QLabel("Minimum confidence"))
        row.addWidget(self.confidenceSpin)
        layers = QHBoxLayout()
        layers.addWidget(self.linesCheck)
        layers.addWidget(self.piecesCheck)
        layers.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.textLabel)
        layout.addWidget(self.readings)
        layout.addWidget(self.statusLabel)
        layout.addLayout(layers)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.strip)
        session.modelChanged.connect(self.reread)

    def open_array(self, image: np.ndarray, name: str) -> None:
        self.source, self.source_name, self.result, self.corrections = image, name, None, {}
        self.view.show_image(array_to_qimage(image))
        self.strip.show_digits([], {})
        self.readings.show_readings(())
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
        self.show_result(result)

    def show_result(self, result) -> None:
        """A new reading of the image shown: its corrections start empty."""
        self.result, self.corrections, self.chosen_text = result, {}, None
        lines = result.lines_mask is not None and bool(result.lines_mask.any())
        self.linesCheck.setEnabled(lines)
        self.linesCheck.setToolTip("Printed lines (ruled or squared paper) the reader removed before reading"
                                   if lines else "No printed lines were removed from this image")
        self._show_corrections()

    @property
    def corrected_text(self) -> str:
        """The text read, with the digits the user chose in place of their '?'."""
        if self.result is None:
            return ""
        if self.chosen_text is not None:
            return self.chosen_text
        return "".join(str(self.corrections[i]) if i in self.corrections else REJECTED if d.digit is None
                       else str(d.digit) for i, d in enumerate(self.result.digits))

    def open_correction_menu(self, index: int, where: QPoint) -> None:
        """Not exec(): a non-blocking popup keeps the event loop (and readings in progress) running."""
        if self.result is None or not 0 <= index < len(self.result.digits):
            return
        self.correctionMenu = correction_menu(self, self.result.digits[index], self.corrections.get(index))
        self.correctionMenu.triggered.connect(lambda action, i=index: self.correct(i, action.data()))
        self.correctionMenu.popup(where)

    def correct(self, index: int, digit: int) -> None:
        """The user says mark `index` is `digit` (UNDO: back to what was read)."""
        if self.result is None or digit is None:
            return
        self.chosen_text = None
        if digit == UNDO:
            self.corrections.pop(index, None)
        else:
            self.corrections[index] = int(digit)
        self._show_corrections()

    def choose_reading(self, text: str) -> None:
        """The user picks one of the likeliest readings: its digits become corrections of the marks
        (a reading with another number of digits replaces the text shown)."""
        if self.result is None:
            return
        if len(text) == len(self.result.digits):
            self.chosen_text = None
            self.corrections = {i: int(c) for i, (c, d) in enumerate(zip(text, self.result.digits)) if d.digit != int(c)}
        else:
            self.chosen_text, self.corrections = text, {}
        self._show_corrections()

    def _show_corrections(self) -> None:
        result = self.result
        self.view.show_image(self.view.image, result, self.corrections)
        self.strip.show_digits(result.digits, self.corrections)
        self.textLabel.setText(self.corrected_text)
        self.readings.show_readings(result.readings, self.corrected_text)
        found = len(result.digits)
        if not found:
            self.statusLabel.setText(f"{self.source_name}: no digits found")
            return
        rejected = sum(d.digit is None for i, d in enumerate(result.digits) if i not in self.corrections)
        status = f"{self.source_name}: {found} mark{'s' * (found != 1)} found"
        if rejected:
            status += f", {rejected} not confidently a digit (shown as ?; click one to correct it)"
        if self.corrections:
            status += f", {len(self.corrections)} corrected by you"
        before = " before your corrections" if self.corrections else ""   # the model's figure, not ours
        self.statusLabel.setText(f"{status} · number {result.confidence:.0%} sure{before}")

    def _layers_changed(self, _checked: bool = False) -> None:
        self.view.set_layers(self.linesCheck.isChecked(), self.piecesCheck.isChecked())

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
