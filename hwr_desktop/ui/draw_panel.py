"""The drawing side of the window: canvas, brush size, Undo and Clear, and live prediction.

Prediction runs on the GUI thread with a direct model call (a few milliseconds): after every
stroke, and while drawing at most every LIVE_INTERVAL_MS.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from hwr_desktop.core.preprocess import preprocess
from hwr_desktop.ui.canvas import DrawingCanvas
from hwr_desktop.ui.prediction_panel import PredictionPanel

LIVE_INTERVAL_MS = 60


class DrawPanel(QWidget):
    predicted = Signal(object)     # core.inference.Prediction or None

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.canvas = DrawingCanvas()
        self.prediction = PredictionPanel()
        self.last_prediction = None
        self.last_latency_ms: float | None = None

        self.brushSlider = QSlider(Qt.Orientation.Horizontal, objectName="brushSlider", minimum=2, maximum=16)
        self.brushSlider.setValue(round(self.canvas.brushSize() * 100))
        self.brushSlider.setToolTip("Brush size ( [ and ] )")
        self.brushSlider.valueChanged.connect(lambda v: self.canvas.setBrushSize(v / 100))
        self.undoButton = QPushButton("Undo", objectName="undoButton")
        self.undoButton.setToolTip("Undo the last stroke (Ctrl+Z)")
        self.clearButton = QPushButton("Clear", objectName="clearButton")
        self.clearButton.setToolTip("Clear the canvas (Delete)")
        self.undoButton.clicked.connect(self.canvas.undo)
        self.clearButton.clicked.connect(self.canvas.clear)

        tools = QHBoxLayout()
        tools.addWidget(QLabel("Brush"))
        tools.addWidget(self.brushSlider, 1)
        tools.addWidget(self.undoButton)
        tools.addWidget(self.clearButton)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(tools)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(self.prediction, 2)

        self._live_timer = QTimer(self, singleShot=True, interval=LIVE_INTERVAL_MS)
        self._live_timer.timeout.connect(self.predict_now)
        self.canvas.drawingChanged.connect(self._schedule_live)
        self.canvas.strokeFinished.connect(self.predict_now)
        self.session.modelChanged.connect(self.predict_now)

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
        self.predicted.emit(self.last_prediction)
