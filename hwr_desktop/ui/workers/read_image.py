"""Reading every digit in an image for the Read Image tab (core.reading.number_reader), off the GUI thread."""
from __future__ import annotations

from hwr_desktop.ui.jobs import Worker


class ReadImageWorker(Worker):
    """Segmentation, the digit model and the sequence reader; result: core.reading.digit_reader.ReadResult.
    The bundled sequence reader is loaded here on first use (about a second), never on the GUI thread."""

    def __init__(self, predictor, image, min_confidence: float, parent=None, memo=None, paper=None):
        super().__init__(parent)
        self.predictor, self.image, self.min_confidence = predictor, image, min_confidence
        self.memo = memo      # core.reading.crop_memo.CropMemo: number mode keeps one between its reads
        self.paper = paper    # number mode's strip: blank_paper(), which then is not estimated

    def work(self):
        from hwr_desktop.core.reading.number_reader import bundled_reader, read_number
        # A newer stroke or image stops this read at its next step (ReadStopped, which the base drops).
        return read_number(self.predictor, self.image, bundled_reader(), self.min_confidence, memo=self.memo,
                           stop=self.stop_flag, paper=self.paper)
