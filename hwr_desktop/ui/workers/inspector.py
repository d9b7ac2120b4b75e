"""Preparing the Inside tab's explanations for a model (core.inside.why), off the GUI thread."""
from __future__ import annotations

from hwr_desktop.ui.jobs import Worker


class InspectorWorker(Worker):
    """Builds a core.inside.why.Inspector and traces its graphs once (about a second); result: the Inspector."""

    def __init__(self, model, outputs_are_probabilities: bool, parent=None):
        super().__init__(parent)
        self.model, self.outputs_are_probabilities = model, outputs_are_probabilities

    def work(self):
        import numpy as np

        from hwr_desktop.core.inside.why import Inspector
        inspector = Inspector(self.model, self.outputs_are_probabilities)
        blank = np.zeros((28, 28), np.float32)
        inspector.feature_maps(blank)
        inspector.saliency(blank, target=0)
        inspector.grad_cam(blank, target=0)
        return inspector
