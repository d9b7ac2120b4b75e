"""The drawing side of the window: canvas, brush size, Undo and Clear, live prediction, and
"Add to my samples".

Prediction runs on the GUI thread with a direct model call (a few milliseconds): after every
stroke, and while drawing at most every LIVE_INTERVAL_MS.

Adding a sample stores the 28x28 image the prediction was made from (the same preprocessing,
not a second run of it) and the drawing as PNG, under the label in sampleLabelSpin. That label
follows the prediction until the user picks another digit: a digit key while the canvas (or the
spin box) has focus, so correcting a misread digit is one key press, then Enter or Ctrl+Enter.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QBuffer, QEvent, QIODevice, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget

from hwr_desktop.core.data.preprocess import preprocess
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.reading.crop_memo import CropMemo
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.canvas import DrawingCanvas, NumberCanvas
from hwr_desktop.ui.widgets.digit_images_row import DigitImagesRow
from hwr_desktop.ui.widgets.prediction_view import PredictionView
from hwr_desktop.ui.widgets.square_area import SquareArea

LIVE_INTERVAL_MS = 60
KEEP = -2                          # the digit menu's "Keep as my sample" (correction_menu's UNDO is -1)
DIGIT_KEYS = {getattr(Qt.Key, f"Key_{d}"): d for d in range(10)}
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def digit_of(event) -> int | None:
    """The digit of a plain (or keypad) digit key press, else None."""
    plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier
    return DIGIT_KEYS.get(event.key()) if plain else None


class DrawingPanel(QWidget):
    predicted = Signal(object)     # core.models.inference.Prediction or None
    sampleAdded = Signal(int, int)  # sample id, label
    errorOccurred = Signal(str, str)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("drawingPanel")
        self.session = session
        self.samples = None            # ui.personal_samples.PersonalSamples, see attach_samples()
        self.canvas = DrawingCanvas()
        # Focus on click, so that digit keys typed right after drawing reach the canvas.
        self.canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.prediction = PredictionView()
        self.last_prediction = None
        self.last_latency_ms: float | None = None
        self.label_chosen = False      # the user picked the label: stop following the prediction

        self.brushSlider = QSlider(Qt.Orientation.Horizontal, objectName="brushSlider", minimum=2, maximum=16)
        self.brushSlider.setValue(round(self.canvas.brushSize() * 100))
        self.brushSlider.setToolTip("Brush size ( [ and ] )")
        self.brushSlider.setAccessibleName("Brush size")
        self.brushSlider.valueChanged.connect(self._set_brush)
        self.undoButton = QPushButton("Undo", objectName="undoButton")
        self.undoButton.setToolTip("Undo the last stroke (Ctrl+Z)")
        self.clearButton = QPushButton("Clear", objectName="clearButton")
        self.clearButton.setToolTip("Clear the canvas (Delete)")
        self.undoButton.clicked.connect(self.undo)
        self.clearButton.clicked.connect(self.clear)
        # Number mode: a wide strip for a whole number, beside (not instead of) the digit's square;
        # each keeps its own drawing, and switching shows one or the other in the same place.
        self.numberCanvas = NumberCanvas()
        self.numberCanvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.numberCanvas.hide()
        self.numberModeButton = QPushButton("Number", objectName="numberModeButton", checkable=True)
        self.numberModeButton.setToolTip("Write a whole number on a wide strip instead of one digit")
        self.numberModeButton.setAccessibleName("Number mode")
        self.numberModeButton.toggled.connect(self.set_number_mode)
        # Under the strip: each digit's 28x28 image as the network saw it (number mode only).
        self.digitImages = DigitImagesRow()
        self.digitImages.hide()
        # Clicking a digit (its box on the strip or its image) lists its alternatives; choosing one
        # corrects it in the number shown, and the menu can keep it as a personal sample, labelled.
        self.number_corrections: dict[int, int] = {}   # digit index -> the digit the user chose
        self.digitMenu = None
        self.digitImages.digitClicked.connect(self.open_digit_menu)
        self.numberCanvas.digitClicked.connect(self.open_digit_menu)

        self.sampleLabelSpin = QSpinBox(objectName="sampleLabelSpin", minimum=0, maximum=9)
        self.sampleLabelSpin.setToolTip("The digit your drawing shows. It follows the prediction; "
                                        "type a digit (0-9) to correct it.")
        self.sampleLabelSpin.setAccessibleName("Sample label")
        self.sampleLabelSpin.valueChanged.connect(self._on_label_edited)
        self.addSampleAction = QAction("Add to My Samples", self, objectName="addSampleAction")
        self.addSampleAction.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.addSampleAction.setStatusTip("Keep this drawing, with its label, to fine-tune the model on your hand")
        self.addSampleAction.triggered.connect(self.add_sample)
        self.addAction(self.addSampleAction)   # the shortcut works wherever the focus is in the window
        self.addSampleButton = QPushButton("Add to my samples", objectName="addSampleButton")
        self.addSampleButton.setToolTip("Keep this drawing under the chosen label (Enter on the canvas, Ctrl+Enter)")
        self.addSampleButton.clicked.connect(self.add_sample)
        self.sampleStatus = QLabel("", objectName="sampleStatus", wordWrap=True)
        for widget in (self.canvas, self.sampleLabelSpin):
            widget.installEventFilter(self)

        tools = QHBoxLayout()
        tools.addWidget(QLabel("Brush"))
        tools.addWidget(self.brushSlider, 1)
        tools.addWidget(self.undoButton)
        tools.addWidget(self.clearButton)
        tools.addWidget(self.numberModeButton)
        self.sampleRow = QWidget(objectName="sampleRow")   # the single digit's label and "Add": hidden in number mode
        add_row = QHBoxLayout(self.sampleRow)
        add_row.setContentsMargins(0, 0, 0, 0)
        add_row.addWidget(QLabel("Label"))
        add_row.addWidget(self.sampleLabelSpin)
        add_row.addWidget(self.addSampleButton, 1)
        controls = QWidget(objectName="canvasControls")
        below = QVBoxLayout(controls)
        below.setContentsMargins(0, 0, 0, 0)
        below.addWidget(self.digitImages)
        below.addLayout(tools)
        below.addWidget(self.sampleRow)
        below.addWidget(self.sampleStatus)
        # The canvas is the largest thing here: a square as big as the pane allows, its controls
        # under it; the prediction beside it takes only the width it needs. In number mode the
        # prediction (the number's text alone: no bars, no single model input) goes above the strip,
        # which so gets the whole width of the pane.
        self.canvasArea = SquareArea(self.canvas, controls)
        layout = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        layout.addWidget(self.canvasArea, 1)
        layout.addWidget(self.prediction, 0)

        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_INTERVAL_MS)
        self._live_timer.timeout.connect(self.predict_now)
        self.canvas.drawingChanged.connect(self._schedule_live)
        self.canvas.strokeFinished.connect(self.predict_now)
        self.session.modelChanged.connect(self.refresh)
        # A number is read by the same code path as `hwr-desktop read` and Read Image (read_number with
        # the bundled sequence reader), off the GUI thread: a read takes longer than a stroke. A newer
        # stroke supersedes a read in flight (JobSlot drops the stale result and starts the newest).
        self.number_jobs = JobSlot(self)
        # What the digit model said of each crop of the strip: the next pen lift changes one digit, and
        # the other crops need no second look (core/reading/crop_memo.py). It forgets on a new model.
        self.number_memo = CropMemo()
        self.session.modelChanged.connect(self.number_memo.clear)
        self.last_reading = None       # core.reading.digit_reader.ReadResult of the strip, or None
        self._read_side = 1
        self.numberCanvas.strokeFinished.connect(self.read_number_now)
        self._update_add_enabled()

    def restore_settings(self, settings) -> None:
        try:
            self.brushSlider.setValue(int(settings.value("brushSize", self.brushSlider.value())))
        except (TypeError, ValueError):
            pass                               # a hand-edited value: keep the default

    def save_settings(self, settings) -> None:
        settings.setValue("brushSize", self.brushSlider.value())

    def attach_samples(self, samples) -> None:
        """Give the panel the personal sample store (the main window opens it after building the panel)."""
        self.samples = samples
        self._update_add_enabled()

    # ----- the two modes -----
    def number_mode(self) -> bool:
        return self.numberModeButton.isChecked()

    def shown_canvas(self) -> DrawingCanvas:
        """The canvas on screen: the digit's square, or the number strip in number mode."""
        return self.numberCanvas if self.number_mode() else self.canvas

    def set_number_mode(self, on: bool) -> None:
        if self.numberModeButton.isChecked() != on:
            self.numberModeButton.setChecked(on)      # toggled comes back here
            return
        shown = self.shown_canvas()
        self._arrange(on)
        self.canvasArea.show_square(shown, shown.ASPECT)
        if on and self.last_reading is not None and self.numberCanvas.digits():
            self._show_number()        # the strip is as it was read: its reading and corrections stand
        else:
            self.refresh()

    def _arrange(self, number: bool) -> None:
        """Number mode hides what only a single digit needs (its bars, its model input, its label and
        Add) and puts the answer above the strip; the single-digit layout comes back unchanged."""
        view = self.prediction
        for widget in (view.bars, view.preview, view.previewCaption, self.sampleRow):
            widget.setVisible(not number)
        self.digitImages.setVisible(number)
        view.setTitle("Number read" if number else "Prediction")
        self.layout().setDirection(QBoxLayout.Direction.BottomToTop if number else QBoxLayout.Direction.LeftToRight)
        self.layout().activate()      # the strip has its size now, before the next stroke is written on it
        self._update_add_enabled()

    def refresh(self) -> None:
        """Predict the digit or read the number, whichever canvas is shown."""
        if self.number_mode():
            self.read_number_now()
        else:
            self.predict_now()

    # ----- reading the number strip -----
    def read_number_now(self) -> None:
        """Read the strip on a worker thread; an empty strip or a model still loading says so at once."""
        if self.numberCanvas.isEmpty() or not self.session.ready:
            self.number_jobs.stop()
            self.last_reading, self.number_corrections = None, {}
            self.digitImages.show_digits([], {})
            self._show_reading(None, "Write a number" if self.numberCanvas.isEmpty() else "Loading model…")
            return
        from hwr_desktop.core.data.preprocess import blank_paper
        from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE
        from hwr_desktop.ui.workers.read_image import ReadImageWorker
        predictor, image = self.session.predictor, self.numberCanvas.reading_array()
        self._read_side = image.shape[0]   # the boxes of this reading are in this image's pixels
        # The strip's paper is known (black ink on white, no noise): the reader models none, which
        # was a third of a read's time, and reads the same (300 images compared, 2026-12-07).
        self.number_jobs.start(lambda: ReadImageWorker(predictor, image, DEFAULT_MIN_CONFIDENCE, memo=self.number_memo,
                                                       paper=blank_paper()),
                               self._on_number_read, self._on_number_failed)

    def _on_number_read(self, result) -> None:
        if not self.number_jobs.is_live() or not self.number_mode():
            return                             # superseded by a newer stroke, or the square is shown
        self.last_reading, self.number_corrections = result, {}
        self._show_number()

    def _show_number(self) -> None:
        result = self.last_reading
        self.numberCanvas.setDigits(result.digits, self.number_corrections, self._read_side)
        self.digitImages.show_digits(result.digits, self.number_corrections)
        self._show_reading(result, "No digits found")

    @property
    def number_text(self) -> str:
        """The number read, with the digits the user corrected."""
        if self.last_reading is None:
            return ""
        return "".join(str(self.number_corrections[i]) if i in self.number_corrections else
                       "?" if d.digit is None else str(d.digit) for i, d in enumerate(self.last_reading.digits))

    def open_digit_menu(self, index: int, where: QPoint) -> None:
        """A digit's alternatives, then every digit, then "Keep as my sample"; a popup, not exec(), so
        reads in flight go on. A choice made on a reading a newer one replaced is dropped."""
        from hwr_desktop.ui.widgets.correction_menu import correction_menu
        result = self.last_reading
        if result is None or not 0 <= index < len(result.digits):
            return
        digit, corrected = result.digits[index], self.number_corrections.get(index)
        menu = correction_menu(self, digit, corrected)
        label = corrected if corrected is not None else digit.digit
        menu.addSeparator()
        keep = menu.addAction(f"&Keep as my sample ({label if label is not None else 'choose a digit first'})")
        keep.setData(KEEP)
        keep.setEnabled(label is not None and digit.image is not None and self.samples is not None
                        and self.samples.available)
        menu.triggered.connect(lambda action, i=index, r=result: self._digit_chosen(r, i, action.data()))
        self.digitMenu = menu
        menu.popup(where)

    def _digit_chosen(self, result, index: int, choice) -> None:
        from hwr_desktop.ui.widgets.correction_menu import UNDO
        if result is not self.last_reading or choice is None:
            return
        if choice == KEEP:
            self.keep_digit(index)
            return
        if choice == UNDO or choice == result.digits[index].digit:
            self.number_corrections.pop(index, None)
        else:
            self.number_corrections[index] = int(choice)
        self._show_number()

    def correct_digit(self, index: int, digit: int) -> None:
        """The user says digit `index` of the number is `digit`."""
        if self.last_reading is not None and 0 <= index < len(self.last_reading.digits):
            self._digit_chosen(self.last_reading, index, digit)

    def keep_digit(self, index: int) -> int | None:
        """Keep digit `index` (its 28x28 image as the reader saw it, and its piece of the strip as the
        original) in My samples under its label: the user's correction, else the digit read."""
        digit = self.last_reading.digits[index]
        label = self.number_corrections.get(index, digit.digit)
        if label is None or digit.image is None or self.samples is None:
            return None
        try:
            sample_id = self.samples.add(digit.image, label, self._strip_png(digit.box))
            count = self.samples.counts()[label]
        except HwrError as exc:
            self.errorOccurred.emit("Cannot add the sample", str(exc))
            return None
        self.sampleStatus.setText(f"Digit {index + 1} saved as {label} — {count} sample{'s' if count != 1 else ''} of {label}")
        self.sampleAdded.emit(sample_id, label)
        return sample_id

    def _strip_png(self, box) -> bytes:
        k = self.numberCanvas.image().height() / self._read_side
        x0, y0, x1, y1 = (round(v * k) for v in box)
        pad = max(2, (y1 - y0) // 4)
        crop = self.numberCanvas.image().copy(QRect(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad))
        return _png(crop)

    def _on_number_failed(self, message: str) -> None:
        if self.number_jobs.is_live():
            self.errorOccurred.emit("Cannot read the number", message)

    def _show_reading(self, result, note: str) -> None:
        view = self.prediction
        view.bars.setProbabilities(None)
        view._set_preview(None)
        if result is None or not result.digits:
            view.predictionLabel.setText("")
            view.confidenceLabel.setText(note)
            return
        view.predictionLabel.setText(self.number_text)
        others = [f"{text} {p:.0%}" for text, p in result.readings[1:] if text != result.text]
        also = f"\nelse {' · '.join(others)}" if others else ""
        view.confidenceLabel.setText(f"{result.confidence:.0%} sure{also}")

    def shutdown(self) -> bool:
        """Closing the window: wait for a number read in flight."""
        return self.number_jobs.shutdown()

    def undo(self) -> None:
        self.shown_canvas().undo()

    def clear(self) -> None:
        self.shown_canvas().clear()

    def _set_brush(self, value: int) -> None:
        for canvas in (self.canvas, self.numberCanvas):
            canvas.setBrushSize(value / 100)

    def _schedule_live(self) -> None:
        if not self._live_timer.isActive():
            self._live_timer.start()

    def change_brush(self, step: int) -> None:
        self.brushSlider.setValue(self.brushSlider.value() + step)

    def predict_now(self) -> None:
        """Preprocess the canvas (the shared core pipeline) and predict; updates label, bars, preview."""
        self._live_timer.stop()
        start = time.perf_counter()
        if self.canvas.isEmpty():
            self.last_prediction = None
            self.label_chosen = False          # a new drawing starts: follow its prediction again
            self.prediction.show_prediction(None, "Draw a digit")
        elif not self.session.ready:
            prepared = preprocess(self.canvas.to_array())
            self.prediction.show_prediction(None, "Loading model…")
            self.prediction._set_preview(prepared.image if prepared else None)
            self.last_prediction = None
        else:
            self.last_prediction = self.session.predictor.predict_image(self.canvas.to_array())
            note = "No digit found" if self.last_prediction.digit is None else ""
            self.prediction.show_prediction(self.last_prediction, note)
        self.last_latency_ms = (time.perf_counter() - start) * 1000
        self._follow_prediction()
        self.predicted.emit(self.last_prediction)

    # ----- "Add to my samples" -----
    def _follow_prediction(self) -> None:
        digit = self.last_prediction.digit if self.last_prediction is not None else None
        if digit is not None and not self.label_chosen:
            self.sampleLabelSpin.blockSignals(True)    # not the user's choice: keep following
            self.sampleLabelSpin.setValue(digit)
            self.sampleLabelSpin.blockSignals(False)
        self._update_add_enabled()

    def _on_label_edited(self, _value: int) -> None:
        self.label_chosen = True

    def set_label(self, digit: int) -> None:
        """The user's label for the current drawing (a digit key press)."""
        self.sampleLabelSpin.setValue(digit)
        self.label_chosen = True
        self.sampleLabelSpin.selectAll()

    def can_add(self) -> bool:
        return (self.samples is not None and self.samples.available and self.last_prediction is not None
                and self.last_prediction.prepared is not None)

    def _update_add_enabled(self) -> None:
        enabled = self.can_add() and not self.number_mode()   # in number mode a digit is kept from its menu
        self.addSampleButton.setEnabled(enabled)
        self.addSampleAction.setEnabled(enabled)

    def drawing_png(self) -> bytes:
        """The canvas as a grayscale PNG (the original kept with the sample, for later re-processing)."""
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.canvas.image().convertToFormat(QImage.Format.Format_Grayscale8).save(buffer, "PNG")
        return bytes(buffer.data())

    def add_sample(self) -> int | None:
        """Store the current drawing under the chosen label, clear the canvas; the new id, or None."""
        if self._live_timer.isActive():
            self.predict_now()                 # the stored image must be the current drawing's
        if not self.can_add():
            return None
        label = self.sampleLabelSpin.value()
        try:
            sample_id = self.samples.add(self.last_prediction.prepared.image, label, self.drawing_png())
            count = self.samples.counts()[label]
        except HwrError as exc:
            self.errorOccurred.emit("Cannot add the sample", str(exc))
            return None
        self.canvas.clear()
        self.sampleStatus.setText(f"Saved as {label} — {count} sample{'s' if count != 1 else ''} of {label}")
        self.sampleAdded.emit(sample_id, label)
        return sample_id

    def eventFilter(self, watched, event) -> bool:
        # Digit keys set the label and Enter adds, on the canvas and in the spin box (where typing
        # a digit would otherwise be appended to the one shown and rejected).
        if event.type() == QEvent.Type.KeyPress:
            digit = digit_of(event)
            if digit is not None:
                self.set_label(digit)
                return True
            if event.key() in ENTER_KEYS and event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == \
                    Qt.KeyboardModifier.NoModifier:
                self.add_sample()
                return True
        return super().eventFilter(watched, event)


def _png(image: QImage) -> bytes:
    """An image as a grayscale PNG."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_Grayscale8).save(buffer, "PNG")
    return bytes(buffer.data())
