"""Exporting the current model to ONNX, TFLite or SavedModel, checked on MNIST test (core.export.convert)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal

from hwr_desktop.ui import gui_gc
from hwr_desktop.ui.jobs import Worker


class ExportWorker(Worker):
    """Result: core.export.convert.ExportReport. Stop is honoured between the stages and batches of the check."""
    stageProgress = Signal(str, int, int)     # stage (convert, reference, check, write), done, total

    def __init__(self, model, info, fmt: str, out: Path, quantize: str | None = None, parent=None):
        super().__init__(parent)
        self.model, self.info, self.fmt, self.out, self.quantize = model, info, fmt, Path(out), quantize

    def work(self):
        from hwr_desktop.core.export.convert import export_model
        with gui_gc.paused():      # a GUI-thread collection can deadlock with the converter (ui/gui_gc.py)
            return export_model((self.model, self.info), self.fmt, self.out, self.quantize,
                                progress=self.stageProgress.emit, stop=self.stop_flag)
