"""How the digits are arranged: the features the classifier reads of the first 2,000 MNIST test
images, projected to 2-D (PCA; core.inside.feature_projection, in a DigitMapWorker), coloured by digit,
mistakes ringed, and the current drawing as a star that moves with every stroke (its features come
from the same LayerProbe call as Every layer's). Hovering a point shows its image beside the map."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.panels.inside.view import InsideView
from hwr_desktop.ui.widgets.lazy_slot import LazySlot
from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
from hwr_desktop.ui.workers.inside import DigitMapWorker

SIDE = 112


class DigitMapView(InsideView):
    def __init__(self, source, parent=None):
        super().__init__(source, parent)
        self.setObjectName("insideMap")
        self.jobs = JobSlot(self)
        self.mapped = None               # ui.workers.inside.MappedDigits for the current network
        self.hovered_row: int | None = None
        self._asked_for = None           # the model a map was last asked for
        self.statusLabel = QLabel("", objectName="mapStatus", wordWrap=True)
        self.plotSlot = LazySlot(self._make_plot)      # pyqtgraph: made when shown (ui/widgets/lazy_slot.py)
        self.hoverImage = QLabel(objectName="mapHoverImage")
        self.hoverImage.setFixedSize(SIDE, SIDE)
        self.hoverImage.setPixmap(gray_pixmap(None, SIDE))
        self.hoverLabel = QLabel("Point at a digit on the map to see it.", objectName="mapHoverText",
                                 wordWrap=True)
        self.hoverLabel.setFixedWidth(SIDE + 40)
        self.drawingLabel = QLabel("", objectName="mapDrawing", wordWrap=True)
        self.drawingLabel.setFixedWidth(SIDE + 40)
        side = QVBoxLayout()
        side.addWidget(self.hoverImage, alignment=Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.hoverLabel)
        side.addSpacing(12)
        side.addWidget(self.drawingLabel)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.plotSlot, 1)
        row.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(self.statusLabel)
        layout.addLayout(row, 1)

    @property
    def plot(self):
        return self.plotSlot.get()

    def _make_plot(self):
        from hwr_desktop.ui.widgets.digit_map_plot import DigitMapPlot
        plot = DigitMapPlot()
        plot.setObjectName("digitMap")
        plot.hovered.connect(self.show_nearest)
        return plot

    def refresh(self) -> None:
        probe = self.probe_or_say(self.statusLabel)
        if probe is None:
            return
        if self.mapped is None or self.mapped.model is not probe.model:
            if self._asked_for is not probe.model:
                self._asked_for, self.mapped = probe.model, None
                self.plot.set_points([], [], [])
                self.plot.set_marker(None)
                self.jobs.start(lambda: DigitMapWorker(probe.model, self), self._on_mapped, self._on_failed,
                                progress=self._on_progress)
            return
        self._place_drawing()

    def _on_progress(self, done: int, total: int) -> None:
        self.statusLabel.setText(f"Mapping {total:,} test digits: {done:,} done…")

    def _on_failed(self, message: str) -> None:
        if self.jobs.is_live():
            self.statusLabel.setText(message)

    def _on_mapped(self, mapped) -> None:
        if not self.jobs.is_live() or mapped.model is not self._asked_for:
            return
        self.mapped, found = mapped, mapped.digit_map
        self.plot.set_points(found.points, found.labels, found.mistakes)
        self.statusLabel.setText(
            f"{len(found.points):,} MNIST test digits as the classifier sees them (the output of "
            f"{found.layer_name}), projected to 2-D by PCA ({found.projection.explained.sum():.0%} of the variance); "
            f"colour is the true digit, {int(found.mistakes.sum())} mistakes are ringed, the star is your drawing.")
        self._place_drawing()

    def _place_drawing(self) -> None:
        activations = self.source.activations()
        if activations is None or self.mapped is None:
            self.plot.set_marker(None)
            self.drawingLabel.setText("Draw a digit to see where it lands.")
            return
        found = self.mapped.digit_map
        features = activations[found.layer_index].values if found.layer_index >= 0 else self.source.image
        position = found.place(features)
        self.plot.set_marker(position)
        row = found.nearest(*position)
        self.drawingLabel.setText(f"Your drawing (★) lands nearest to test #{int(found.image_indices[row])}, "
                                  f"a {int(found.labels[row])} (shown above until you point at another).")
        self.show_nearest(*position)

    def show_nearest(self, x: float, y: float) -> None:
        """Show the image of the point nearest to map position (x, y)."""
        if self.mapped is None:
            return
        found = self.mapped.digit_map
        row = found.nearest(x, y)
        self.hovered_row = row
        self.hoverImage.setPixmap(gray_pixmap(self.mapped.images[row] / 255.0, SIDE))
        label, predicted = int(found.labels[row]), int(found.predictions[row])
        verdict = f"read as {predicted}: a mistake" if label != predicted else "read correctly"
        self.hoverLabel.setText(f"Test #{int(found.image_indices[row])}: a {label}, {verdict}.")
