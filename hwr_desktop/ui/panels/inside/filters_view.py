"""What a filter looks for: for a chosen layer with maps and one of its channels, the nine MNIST test
patches (receptive fields) that excite it most, searched over the 10,000 test images in a PatchWorker
with a progress bar and Stop; and the first convolution's kernels drawn as small images (mid grey
is a zero weight, white the kernel's largest positive, black its most negative). Clicking a kernel
chooses its channel."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox, QVBoxLayout

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.filter_patches import first_convolution, first_layer_kernels
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.panels.inside.view import InsideView
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.workers.inside import PatchWorker


class FiltersView(InsideView):
    follows_drawing = False

    def __init__(self, source, parent=None):
        super().__init__(source, parent)
        self.setObjectName("insideFilters")
        self.jobs = JobSlot(self)
        self.jobs.jobEnded.connect(lambda _worker: self._set_running(False))
        self.search = None           # core.inside.filter_patches.PatchSearch shown
        self._model = None           # the model the choosers were filled for
        self.layerCombo = QComboBox(objectName="filterLayer")
        self.layerCombo.setAccessibleName("Layer")
        self.channelSpin = QSpinBox(objectName="filterChannel", minimum=0, maximum=0)
        self.channelSpin.setAccessibleName("Channel")
        self.layerCombo.currentIndexChanged.connect(self._on_layer_changed)
        self.channelSpin.valueChanged.connect(lambda _v: self.find())
        self.stopButton = QPushButton("Stop", objectName="filterStop", enabled=False)
        self.stopButton.clicked.connect(self.jobs.stop)
        self.progressBar = QProgressBar(objectName="filterProgress", minimum=0, maximum=1, value=0)
        self.statusLabel = QLabel("", objectName="filterStatus", wordWrap=True)
        self.patchGrid = ImageGrid(side=72, caption_lines=2, widest_caption="test #10000")
        self.patchGrid.setObjectName("topPatches")
        self.patchGrid.setAccessibleName("The nine test patches that excite the channel most")
        self.kernelsLabel = QLabel("", objectName="kernelsTitle", wordWrap=True)
        self.kernelsGrid = ImageGrid(side=36, caption_lines=1, widest_caption="#00")
        self.kernelsGrid.setObjectName("firstLayerKernels")
        self.kernelsGrid.setAccessibleName("First-layer kernels")
        self.kernelsGrid.tileClicked.connect(self._on_kernel_clicked)
        # What to look at on one row, the search's progress on the next: on one row they were the
        # widest thing in the Inside views, whose minimum width the number strip cannot have.
        choose = QHBoxLayout()
        for label, widget in (("Layer", self.layerCombo), ("Channel", self.channelSpin)):
            choose.addWidget(QLabel(label))
            choose.addWidget(widget, 1 if widget is self.layerCombo else 0)
        searching = QHBoxLayout()
        searching.addWidget(self.progressBar, 1)
        searching.addWidget(self.stopButton)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(searching)
        layout.addWidget(self.statusLabel)
        layout.addWidget(self.patchGrid, 3)
        layout.addWidget(self.kernelsLabel)
        layout.addWidget(self.kernelsGrid, 2)

    def refresh(self) -> None:
        probe = self.probe_or_say(self.statusLabel)
        if probe is None:
            return
        if probe.model is not self._model:
            self._fill(probe)

    def _fill(self, probe) -> None:
        self._model, self.search = probe.model, None
        self.layerCombo.blockSignals(True)
        self.layerCombo.clear()
        for i, layer in enumerate(probe.layers):
            if len(layer.output.shape) == 4 and type(layer).__name__ != "Deskew":
                self.layerCombo.addItem(f"{i + 1}. {layer.name} ({type(layer).__name__}, "
                                        f"{layer.output.shape[-1]} channels)", i)
        self.layerCombo.blockSignals(False)
        try:
            kernels, first = first_layer_kernels(probe.model), first_convolution(probe.model)
            self.kernelsGrid.set_tiles([Tile(k, f"#{i}", key=i) for i, k in enumerate(kernels)])
            self.kernelsLabel.setText(f"The first layer's {len(kernels)} kernels ({probe.layers[first].name}, "
                                      f"{kernels.shape[1]}×{kernels.shape[2]}): grey is zero, white the most "
                                      "positive weight, black the most negative. Click one to search for it.")
        except HwrError as exc:
            self.kernelsGrid.set_tiles([])
            self.kernelsLabel.setText(str(exc))
        self._on_layer_changed()

    def _on_layer_changed(self) -> None:
        index = self.layerCombo.currentData()
        if index is None:
            self.patchGrid.set_tiles([])
            self.statusLabel.setText("This network has no layer with maps.")
            return
        self.channelSpin.blockSignals(True)
        self.channelSpin.setMaximum(int(self.source.probe.layers[index].output.shape[-1]) - 1)
        self.channelSpin.blockSignals(False)
        self.find()

    def _on_kernel_clicked(self, channel) -> None:
        found = self.layerCombo.findData(first_convolution(self._model))
        self.layerCombo.setCurrentIndex(found)
        self.channelSpin.setValue(int(channel))

    def find(self) -> None:
        """Search the test images for the chosen layer and channel (the result replaces any search)."""
        model, index, channel = self._model, self.layerCombo.currentData(), self.channelSpin.value()
        if model is None or index is None:
            return
        self.search = None
        self.patchGrid.set_tiles([])
        self.statusLabel.setText(f"Searching the 10,000 test images for what excites channel {channel}…")
        self._set_running(True)
        self.jobs.start(lambda: PatchWorker(model, index, channel, self), self._on_found, self._on_failed,
                        progress=self._on_progress)

    def _set_running(self, running: bool) -> None:
        self.stopButton.setEnabled(running)
        if running:
            self.progressBar.setValue(0)

    def _on_progress(self, done: int, total: int) -> None:
        self.progressBar.setMaximum(total)
        self.progressBar.setValue(done)

    def _on_found(self, found) -> None:
        search = found.search
        if (found.model, search.layer_index, search.channel) != (self._model, self.layerCombo.currentData(),
                                                                 self.channelSpin.value()):
            return                   # a search for another choice, replaced meanwhile
        # The result is the job's last word: Stop goes grey with it, not a moment later when the
        # thread's end arrives (a test saw the patches shown and Stop still enabled, 2026-12-07).
        self._set_running(False)
        self.search = search
        self.patchGrid.set_tiles([Tile(p.patch, f"{p.value:.3f}\ntest #{p.image_index}", key=p.image_index,
                                       tooltip=f"test image {p.image_index}, position ({p.y}, {p.x}): {p.value:.4f}")
                                  for p in search.patches])
        stopped = f", stopped after {search.searched:,} of {search.total:,} images" if search.stopped else ""
        seen = "deskewed " if search.on_deskewed else ""
        self.statusLabel.setText(f"The {len(search.patches)} {seen}test patches that excite channel {search.channel} "
                                 f"of {self.layerCombo.currentText()} most, with its value there{stopped}.")

    def _on_failed(self, message: str) -> None:
        self.statusLabel.setText(message)
