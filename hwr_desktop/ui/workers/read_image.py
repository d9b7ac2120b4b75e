"""Reading every digit in an image for the Read Image tab (core.reading.number_reading), off the GUI thread."""
from __future__ import annotations

from hwr_desktop.ui.jobs import Worker


class ReadImageWorker(Worker):
    """Segmentation, the digit model and the line reader; result: core.reading.digit_reader.ReadResult.
    The bundled line reader is loaded here on first use (about a second), never on the GUI thread."""

    def __init__(self, predictor, image, min_confidence: float, parent=None):
        super().__init__(parent)
        self.predictor, self.image, self.min_confidence = predictor, image, min_confidence

    def work(self):
        from hwr_desktop.core.reading.line_reader import bundled_line_reader
        from hwr_desktop.core.reading.number_reading import read_number
        return read_number(self.predictor, self.image, bundled_line_reader(), self.min_confidence)
