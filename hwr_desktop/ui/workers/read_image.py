"""Reading every digit in an image for the Read Image tab (core.reading), off the GUI thread."""
from __future__ import annotations

from hwr_desktop.ui.jobs import Worker


class ReadImageWorker(Worker):
    """Segmentation + one batched model call; result: core.reading.ReadResult."""

    def __init__(self, predictor, image, min_confidence: float, parent=None):
        super().__init__(parent)
        self.predictor, self.image, self.min_confidence = predictor, image, min_confidence

    def work(self):
        from hwr_desktop.core.reading import read_image
        return read_image(self.predictor, self.image, self.min_confidence)
