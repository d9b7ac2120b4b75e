"""Reading the bundled MNIST files for the Dataset tab (cached in the core after the first time)."""
from __future__ import annotations

from hwr_desktop.ui.jobs import Worker


class DatasetWorker(Worker):
    """Reads and verifies MNIST; result: core.data.mnist.MnistSplits."""

    def work(self):
        from hwr_desktop.core.data.mnist import load_mnist
        return load_mnist()
