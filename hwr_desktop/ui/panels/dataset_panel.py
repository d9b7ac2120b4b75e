"""Dataset tab: page through the MNIST images the models learn from and are tested on.

The training images are shown split as the app trains on them: 55,000 for training and the fixed
5,000 validation images (core.data.mnist) used to pick the best epoch. MNIST is read in a
DatasetWorker the first time the tab is shown.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.workers.dataset import DatasetWorker

PAGE_SIZE = 64
SPLITS = (("test", "Test images"), ("train", "Training images"), ("val", "Validation images"))


class DatasetPanel(QWidget):
    errorOccurred = Signal(str, str)     # title, message

    def __init__(self, page_size: int = PAGE_SIZE, parent=None):
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        self.page_size = page_size
        self.data = None                 # core.data.mnist.MnistSplits once loaded
        self.matches = np.zeros(0, np.int64)   # indices in the split that pass the filter
        self.page = 0
        self.jobs = JobSlot(self)

        self.splitCombo = QComboBox(objectName="splitCombo")
        for key, title in SPLITS:
            self.splitCombo.addItem(title, key)
        self.splitCombo.setAccessibleName("Dataset split")
        self.digitFilter = QComboBox(objectName="digitFilter")
        self.digitFilter.setAccessibleName("Digit filter")
        self.digitFilter.addItem("All digits", None)
        for d in range(10):
            self.digitFilter.addItem(f"Only {d}s", d)
        self.prevButton = QPushButton("◀ Previous", objectName="prevPageButton")
        self.nextButton = QPushButton("Next ▶", objectName="nextPageButton")
        # Wraps rather than widening the view ("Page 1 of 157 · 1–64 of 10,000 images" between the
        # buttons): the views' minimum width is what the number strip cannot have.
        self.pageLabel = QLabel("", objectName="pageLabel", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.grid = ImageGrid(side=48, caption_lines=1, widest_caption="0 · #00000")
        self.grid.setObjectName("datasetGrid")
        self.grid.setAccessibleName("MNIST images")
        self.splitCombo.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.digitFilter.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.prevButton.clicked.connect(lambda: self.show_page(self.page - 1))
        self.nextButton.clicked.connect(lambda: self.show_page(self.page + 1))

        filters = QHBoxLayout()
        filters.addWidget(self.splitCombo, 1)
        filters.addWidget(self.digitFilter, 1)
        pages = QHBoxLayout()
        pages.addWidget(self.prevButton)
        pages.addWidget(self.pageLabel, 1)
        pages.addWidget(self.nextButton)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.grid, 1)
        layout.addLayout(pages)
        self._set_paging_enabled(False)
        self.pageLabel.setText("MNIST loads when this tab is shown.")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.load()

    def load(self) -> None:
        """Read MNIST in the background (once)."""
        if self.data is not None or self.jobs.is_running():
            return
        self.pageLabel.setText("Loading MNIST…")

        self.jobs.start(lambda: DatasetWorker(self), self._on_loaded, self._on_failed)

    def shutdown(self) -> bool:
        return self.jobs.shutdown()

    def _on_failed(self, message: str) -> None:
        self.pageLabel.setText("MNIST could not be read; it is tried again when this tab is shown.")
        self.errorOccurred.emit("Cannot read MNIST", message)

    def _on_loaded(self, data) -> None:
        self.data = data
        self.apply_filter()

    # ----- filtering and paging -----
    def split(self) -> str:
        return self.splitCombo.currentData()

    def digit(self) -> int | None:
        return self.digitFilter.currentData()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(images, labels) of the selected split."""
        d = self.data
        return {"train": (d.x_train, d.y_train), "val": (d.x_val, d.y_val), "test": (d.x_test, d.y_test)}[self.split()]

    def apply_filter(self) -> None:
        if self.data is None:
            return
        _, labels = self.arrays()
        digit = self.digit()
        self.matches = np.arange(len(labels)) if digit is None else np.flatnonzero(labels == digit)
        self.show_page(0)

    def page_count(self) -> int:
        return max(1, -(-len(self.matches) // self.page_size))

    def show_page(self, page: int) -> None:
        if self.data is None:
            return
        self.page = min(max(0, page), self.page_count() - 1)
        images, labels = self.arrays()
        shown = self.matches[self.page * self.page_size:(self.page + 1) * self.page_size]
        split_title = self.splitCombo.currentText().lower()
        self.grid.set_tiles([Tile(images[i], f"{labels[i]} · #{i}", key=int(i),
                                  tooltip=f"{split_title} #{i}: labelled {labels[i]}") for i in shown])
        what = "images" if self.digit() is None else f"images of {self.digit()}"
        first = self.page * self.page_size + 1 if len(shown) else 0
        self.pageLabel.setText(f"Page {self.page + 1} of {self.page_count()} · {first:,}–"
                               f"{first + len(shown) - 1 if len(shown) else 0:,} of {len(self.matches):,} {what}")
        self._set_paging_enabled(True)

    def _set_paging_enabled(self, enabled: bool) -> None:
        self.prevButton.setEnabled(enabled and self.page > 0)
        self.nextButton.setEnabled(enabled and self.page < self.page_count() - 1)

    def shown_indices(self) -> list[int]:
        return self.grid.keys()
