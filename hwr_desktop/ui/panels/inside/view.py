"""What every Inside view shares: it is brought up to date only while it is visible, at most every
INTERVAL_MS while the user draws (so a stroke is shown within about 50 ms: this interval plus one
probe), and at once when it is shown."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

INTERVAL_MS = 30


class InsideView(QWidget):
    follows_drawing = True           # False: only the network matters (e.g. Filters)

    def __init__(self, source, parent=None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.source = source         # ui.panels.inside.probe_source.ProbeSource (None: the view follows its own)
        self.jobs = None             # a view with background work sets its JobSlot here
        self.updates = 0             # times refresh() ran (tests count them)
        self._timer = QTimer(self, singleShot=True, interval=interval_ms)
        self._timer.timeout.connect(self.update_now)
        if source is not None:
            source.probeChanged.connect(self.schedule)
            if self.follows_drawing:
                source.drawingChanged.connect(self.schedule)

    def shutdown(self) -> bool:
        """Closing the window: stop and wait for this view's job, if it has one."""
        return self.jobs.shutdown() if self.jobs is not None else True

    def probe_or_say(self, label):
        """The chosen network's LayerProbe, or None after saying in `label` why there is none yet."""
        probe = self.source.ensure_probe()
        if probe is None:
            label.setText(self.source.error or "Preparing this network…")
        return probe

    def schedule(self) -> None:
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.schedule()

    def update_now(self) -> None:
        self._timer.stop()
        self.updates += 1
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError
