"""Main window (placeholder until the GUI issue fills it)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow


class MainWindow(QMainWindow):
    def __init__(self, model_path=None):
        super().__init__()
        self.setWindowTitle("HWR Desktop")
        self.setCentralWidget(QLabel("HWR Desktop"))
        self.resize(900, 640)
