"""The Inside tab's preparations, off the GUI thread: tracing a network's LayerProbe, searching the
MNIST test images for the patches that excite a channel most, and mapping 2,000 test images to 2-D.
Each result names the model it was made for, so the views can drop results for a model that is no
longer the one shown."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwr_desktop.ui.jobs import Worker


class ProbeWorker(Worker):
    """Result: a core.inside.layer_activations.LayerProbe for the network, traced and warmed up (about a second)."""

    def __init__(self, network, parent=None):
        super().__init__(parent)
        self.network = network

    def work(self):
        from hwr_desktop.core.inside.layer_activations import LayerProbe
        return LayerProbe.for_network(self.network)


@dataclass(frozen=True)
class FoundPatches:
    model: object
    search: object               # core.inside.filter_patches.PatchSearch


class PatchWorker(Worker):
    """The nine MNIST test patches that excite one channel most; `progress` per batch; Stop keeps the
    best found so far (the result says it was stopped)."""

    def __init__(self, model, layer_index: int, channel: int, parent=None):
        super().__init__(parent)
        self.model, self.layer_index, self.channel = model, layer_index, channel

    def work(self) -> FoundPatches:
        from hwr_desktop.core.data.mnist import load_mnist
        from hwr_desktop.core.inside.filter_patches import top_patches
        search = top_patches(self.model, self.layer_index, self.channel, load_mnist().x_test, k=9,
                             stop=self.stop_flag, progress=self.progress.emit)
        return FoundPatches(self.model, search)


@dataclass(frozen=True)
class MappedDigits:
    model: object
    digit_map: object            # core.inside.feature_projection.DigitMap
    images: np.ndarray           # uint8 (N, 28, 28): each point's image, for hover


class DigitMapWorker(Worker):
    """The first 2,000 MNIST test images on the network's 2-D feature map (a few seconds)."""

    def __init__(self, model, parent=None):
        super().__init__(parent)
        self.model = model

    def work(self) -> MappedDigits:
        from hwr_desktop.core.data.mnist import load_mnist
        from hwr_desktop.core.inside.feature_projection import mnist_test_map
        found = mnist_test_map(self.model, stop=self.stop_flag, progress=self.progress.emit)
        return MappedDigits(self.model, found, load_mnist().x_test[found.image_indices])
