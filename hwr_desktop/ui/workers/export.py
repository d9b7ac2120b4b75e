"""Exporting the current model to ONNX, TFLite or SavedModel, checked on MNIST test, in a process of its own.

The model is saved to a temporary .keras file here and exported by a spawned child
(core.export.in_subprocess): a converter running beside the GUI thread can deadlock with it.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import Signal

from hwr_desktop.ui import gui_gc
from hwr_desktop.ui.jobs import Worker


class ExportWorker(Worker):
    """Result: core.export.convert.ExportReport. Stop is honoured between the stages and batches of the check."""
    stageProgress = Signal(str, int, int)     # stage (convert, reference, check, write), done, total

    def __init__(self, model, info, fmt: str, out: Path, quantize: str | None = None, parent=None,
                 source_name: str | None = None):
        super().__init__(parent)
        self.model, self.info, self.fmt, self.out, self.quantize = model, info, fmt, Path(out), quantize
        self.source_name = source_name

    def work(self):
        from hwr_desktop.core.export.in_subprocess import export_in_subprocess
        from hwr_desktop.core.models.modelfile import save_model
        with tempfile.TemporaryDirectory(prefix="hwr-desktop-export-") as folder:
            with gui_gc.paused():      # saving is TensorFlow work on this thread too (ui/gui_gc.py)
                saved = save_model(self.model, Path(folder) / "model.keras", self.info)
            name = self.source_name or getattr(self.model, "name", "model")
            return export_in_subprocess(saved, self.fmt, self.out, self.quantize,
                                        progress=self.stageProgress.emit, stop=self.stop_flag, source_name=name)
