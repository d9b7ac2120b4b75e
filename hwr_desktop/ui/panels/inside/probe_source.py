"""What the Inside views look into: the network chosen (the model, or one member of an ensemble), its
LayerProbe (traced in a ProbeWorker), and the current drawing's activations of every layer.

The probe is prepared only when a view asks for it (a view asks only while it is visible), after
the session has loaded a bundled model's Keras network in the background (the views say "Loading
TensorFlow…" meanwhile, as this source's `error`: why nothing can be shown yet). A
drawing's activations are computed once, on the GUI thread (one traced call, about 5 ms), and
shared by every view that shows them.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from hwr_desktop.core.errors import HwrError
from hwr_desktop.ui.jobs import JobSlot
from hwr_desktop.ui.workers.inside import ProbeWorker


class ProbeSource(QObject):
    networksChanged = Signal()       # a new model: a new list of networks to choose from
    probeChanged = Signal()          # the chosen network changed, or its probe is ready (or cannot be)
    drawingChanged = Signal()        # a new prediction from the canvas

    def __init__(self, session, draw_panel, parent=None):
        super().__init__(parent)
        self.session = session
        self.jobs = JobSlot(self)
        self.networks: list = []     # core.inside.layer_activations.Network
        self.index = 0
        self.probe = None            # LayerProbe for networks[index], once traced
        self.error = ""              # why the chosen network cannot be shown (yet)
        self.image: np.ndarray | None = None    # the drawing's 28x28 model input (None: nothing drawn)
        self._model = None           # the session model `networks` were found in
        self._predictor = None       # the session predictor it came from (asking a LiteRT one for its model loads Keras)
        self._cached = (None, None, None)       # (probe, image, activations)
        session.modelChanged.connect(self._on_model_changed)
        session.kerasReady.connect(self.probeChanged)     # the views ask again, and get further
        draw_panel.predicted.connect(self._on_predicted)

    @property
    def network(self):
        return self.networks[self.index] if self.index < len(self.networks) else None

    def _on_predicted(self, prediction) -> None:
        ok = prediction is not None and prediction.digit is not None and prediction.prepared is not None
        self.image = prediction.prepared.image if ok else None
        self.drawingChanged.emit()

    def _on_model_changed(self) -> None:
        if self.session.predictor is self._predictor:
            return
        self._model = self._predictor = None
        self.jobs.stop()
        self.networks, self.index, self.probe, self.error = [], 0, None, ""
        self.networksChanged.emit()
        self.probeChanged.emit()

    def choose(self, index: int) -> None:
        if index == self.index or not 0 <= index < len(self.networks):
            return
        self.jobs.stop()
        self.index, self.probe, self.error = index, None, ""
        self.probeChanged.emit()

    def ensure_probe(self):
        """The chosen network's LayerProbe, or None while it is prepared (or cannot be: see `error`)."""
        if not self.session.ready:
            self.error = "No model loaded."
            return None
        model = self.session.keras_model()
        if model is None:
            self.error = self.session.keras_status()   # loading in the background, or failed
            return None
        if model is not self._model:
            from hwr_desktop.core.inside.layer_activations import member_networks
            self._model, self._predictor = model, self.session.predictor
            try:
                self.networks, self.error = member_networks(model, self.session.info), ""
            except HwrError as exc:
                self.networks, self.error = [], str(exc)
            self.index, self.probe = 0, None
            self.networksChanged.emit()
        if self.probe is not None or self.error or self.jobs.is_live():
            return self.probe
        network = self.network
        self.jobs.start(lambda: ProbeWorker(network, self), lambda probe: self._on_probe(network, probe),
                        self._on_failed)
        return None

    def _on_probe(self, network, probe) -> None:
        if self.jobs.is_live() and network is self.network:
            self.probe = probe
            self.probeChanged.emit()

    def _on_failed(self, message: str) -> None:
        if self.jobs.is_live():
            self.error = message
            self.probeChanged.emit()

    def activations(self):
        """Every layer's LayerActivation for the current drawing, or None (no drawing, no probe yet)."""
        probe = self.ensure_probe()
        if probe is None or self.image is None:
            return None
        cached_probe, cached_image, found = self._cached
        if cached_probe is not probe or cached_image is not self.image:
            found = probe.probe(self.image)
            self._cached = (probe, self.image, found)
        return found

    def seen_image(self, activations) -> np.ndarray:
        """The 28x28 image the network's first layers see: the drawing, or its deskewed copy."""
        if activations and activations[0].type == "Deskew":
            return activations[0].values[..., 0]
        return self.image

    def shutdown(self) -> bool:
        return self.jobs.shutdown()
