"""A reusable, scrolling grid of small grey images with captions; wrong answers get a red frame.

Used for the mistakes gallery, the Predictions and Dataset tabs, My Samples and the feature maps.
Built on QListWidget's icon mode, which already wraps tiles to the width, scrolls, and shows
tooltips. Each tile keeps a key (e.g. a test-set index) so callers and tests know what is shown.
Tiles are the images as the model sees them (light ink on black) in every palette; the red of wrong
answers comes from ui/widgets/theme.py and is redrawn when the palette changes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QIcon, QPainter, QPen
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem

from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
from hwr_desktop.ui.widgets.theme import bad_colour

KEY_ROLE = Qt.ItemDataRole.UserRole


@dataclass
class Tile:
    image: np.ndarray            # 2-D floats in [0, 1] (or uint8 0..255): light ink on black
    caption: str = ""
    key: object = None
    wrong: bool = False
    tooltip: str = ""


class ImageGrid(QListWidget):
    tileClicked = Signal(object)     # the tile's key

    def __init__(self, side: int = 56, caption_lines: int = 2, widest_caption: str = "0 → 0  100%", parent=None):
        super().__init__(parent)
        self.side = side
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)   # re-wrap tiles when the width changes
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIconSize(QSize(side, side))
        metrics = self.fontMetrics()
        text_height = metrics.lineSpacing() * caption_lines
        text_width = metrics.horizontalAdvance(widest_caption) + 10 if caption_lines else 0
        self.setGridSize(QSize(max(side + 12, text_width), side + text_height + 10))
        self.setSpacing(2)
        self.itemClicked.connect(lambda item: self.tileClicked.emit(item.data(KEY_ROLE)))
        self._tiles: list[Tile] = []

    def wrong_colour(self):
        return bad_colour(self.palette())

    def set_tiles(self, tiles: list[Tile]) -> None:
        self._tiles = list(tiles)
        self.setUpdatesEnabled(False)     # one repaint for the whole page, not one per tile
        self.clear()
        for tile in tiles:
            item = QListWidgetItem(self._icon(tile), tile.caption)
            item.setData(KEY_ROLE, tile.key)
            item.setData(Qt.ItemDataRole.UserRole + 1, tile.wrong)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            if tile.wrong:
                item.setForeground(QBrush(self.wrong_colour()))
            item.setToolTip(tile.tooltip or tile.caption.replace("\n", " · "))
            self.addItem(item)
        self.setUpdatesEnabled(True)
        self.scrollToTop()

    def _icon(self, tile: Tile) -> QIcon:
        image = np.asarray(tile.image)
        image = image / 255.0 if image.dtype == np.uint8 else image
        pixmap = gray_pixmap(image, self.side)
        if tile.wrong:
            painter = QPainter(pixmap)
            painter.setPen(QPen(self.wrong_colour(), 3))
            painter.drawRect(1, 1, pixmap.width() - 3, pixmap.height() - 3)
            painter.end()
        return QIcon(pixmap)

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and self._tiles:
            current = self.currentRow()
            self.set_tiles(self._tiles)     # the wrong answers' red is baked into icons and items
            self.setCurrentRow(current)
        super().changeEvent(event)

    # ----- what is shown (used by the panels' callers and the tests) -----
    def keys(self) -> list:
        return [self.item(i).data(KEY_ROLE) for i in range(self.count())]

    def captions(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def wrong_flags(self) -> list[bool]:
        return [bool(self.item(i).data(Qt.ItemDataRole.UserRole + 1)) for i in range(self.count())]
