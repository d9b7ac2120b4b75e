"""Watch it learn: during a training run (Training tab), the first layer's kernels and the 2-D map of
1,000 validation digits, one frame per epoch (core.inside.learning_frames.LearningRecorder, made on the
training thread). The newest frame is shown as it arrives while the view is visible (else when it is
next shown: drawing 1,000 points at the end of an epoch stalled a training window's event loop by
17-41 ms for a hidden tab); the slider goes back through the run.
The frames can be saved as an animated GIF or a PNG strip (core.inside.learning_frames)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.learning_frames import save_gif, save_png_strip
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.widgets.lazy_slot import LazySlot

HINT = ("Train a model (Training tab): at every epoch its first-layer kernels and a map of 1,000 validation "
        "digits appear here, so you can watch the filters form and the digits separate.")


class LearningView(QWidget):
    errorOccurred = Signal(str, str)     # title, message

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("insideLearning")
        self.frames: list = []           # core.inside.learning_frames.LearningFrame, in epoch order
        self.shown: int | None = None    # the index of the frame shown
        self._follow_newest = False      # a newest frame to show when the view is next shown
        self.captionLabel = QLabel(HINT, objectName="learningCaption", wordWrap=True)
        self.epochSlider = QSlider(Qt.Orientation.Horizontal, objectName="learningEpoch", minimum=0, maximum=0)
        self.epochSlider.setAccessibleName("Epoch shown")
        self.epochSlider.valueChanged.connect(self.show_frame)
        self.gifButton = QPushButton("Save GIF…", objectName="saveGifButton")
        self.stripButton = QPushButton("Save PNG strip…", objectName="saveStripButton")
        self.gifButton.clicked.connect(lambda: self._save_dialog("GIF", "learning.gif", "GIF images (*.gif)"))
        self.stripButton.clicked.connect(lambda: self._save_dialog("PNG", "learning.png", "PNG images (*.png)"))
        self.kernelsGrid = ImageGrid(side=40, caption_lines=1, widest_caption="#00")
        self.kernelsGrid.setObjectName("learningKernels")
        self.kernelsGrid.setAccessibleName("First-layer kernels at this epoch")
        self.plotSlot = LazySlot(self._make_plot)      # pyqtgraph: made when shown (ui/widgets/lazy_slot.py)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Epoch"))
        controls.addWidget(self.epochSlider, 1)
        controls.addWidget(self.gifButton)
        controls.addWidget(self.stripButton)
        pictures = QHBoxLayout()
        kernels = QVBoxLayout()
        kernels.addWidget(QLabel("First-layer kernels (grey: zero weight)", wordWrap=True))   # wraps: the tab fits 1200 px
        kernels.addWidget(self.kernelsGrid, 1)
        digits = QVBoxLayout()
        digits.addWidget(QLabel("1,000 validation digits (PCA of the classifier's features)", wordWrap=True))
        digits.addWidget(self.plotSlot, 1)
        pictures.addLayout(kernels, 2)
        pictures.addLayout(digits, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.captionLabel)
        layout.addLayout(controls)
        layout.addLayout(pictures, 1)
        self._update_controls()

    @property
    def plot(self):
        return self.plotSlot.get()

    @staticmethod
    def _make_plot():
        from hwr_desktop.ui.widgets.digit_map_plot import DigitMapPlot
        plot = DigitMapPlot(point_size=4, annotated=False)
        plot.setObjectName("learningMap")
        return plot

    def reset(self) -> None:
        """A new training run: forget the last run's frames."""
        self.frames, self.shown, self._follow_newest = [], None, False
        self.kernelsGrid.set_tiles([])
        if self.plotSlot.built():
            self.plot.set_points([], [])
        self.captionLabel.setText("Training: the first frame comes at the end of the first epoch.")
        self._update_controls()

    def add_frame(self, frame) -> None:
        """A frame from the training worker; shown at once if the newest one was shown."""
        follow = self.shown is None or self.shown == len(self.frames) - 1
        self.frames.append(frame)
        self._update_controls()
        if follow:
            self._follow_newest = True
            if self.isVisible():
                self._show_newest()

    def _show_newest(self) -> None:
        self._follow_newest = False
        self.epochSlider.setValue(len(self.frames) - 1)
        self.show_frame(len(self.frames) - 1)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._follow_newest and self.frames:
            self._show_newest()

    def _update_controls(self) -> None:
        self.epochSlider.setMaximum(max(0, len(self.frames) - 1))
        for widget in (self.epochSlider, self.gifButton, self.stripButton):
            widget.setEnabled(bool(self.frames))

    def show_frame(self, index: int) -> None:
        if not 0 <= index < len(self.frames) or index == self.shown:
            return
        frame, self.shown = self.frames[index], index
        kernels = frame.kernels if frame.kernels is not None else []
        self.kernelsGrid.set_tiles([Tile(k, f"#{i}", key=i) for i, k in enumerate(kernels)])
        self.plot.set_points(frame.points, frame.labels)
        self.captionLabel.setText(f"Epoch {frame.epoch} of {frame.epochs}: validation accuracy "
                                  f"{frame.val_accuracy:.1%} ({len(self.frames)} frame"
                                  f"{'s' if len(self.frames) > 1 else ''} recorded)")

    # ----- saving -----
    def _save_dialog(self, kind: str, name: str, filter_text: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Save the frames as {kind}", name, filter_text)
        if path:
            self.save(path, kind)

    def save(self, path, kind: str = "GIF") -> bool:
        """Write the frames as an animated GIF or a PNG strip; errors go to errorOccurred."""
        try:
            (save_gif if kind == "GIF" else save_png_strip)(self.frames, path)
        except HwrError as exc:
            self.errorOccurred.emit("Cannot save the frames", str(exc))
            return False
        return True
