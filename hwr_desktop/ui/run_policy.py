"""Which long runs may happen at the same time: training and fine-tuning never do.

Both want every core of a small machine, and run together each would take more than twice as
long. The panels that start such runs join one ExclusiveRuns; it listens to their start and end
signals and tells every other member why it has to wait (the text its Start button shows), and
that it may start again once the run has ended.
"""
from __future__ import annotations

from PySide6.QtCore import QObject


class ExclusiveRuns(QObject):
    """At most one run among the members. A member has `set_busy_elsewhere(reason: str | None)`."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._members: dict[object, tuple[str, str]] = {}   # panel -> (what runs, what the user may do)
        self.running = None              # the member whose run is under way

    def join(self, member, started, ended, running_text: str, verb: str) -> None:
        """started / ended: the member's signals. running_text names its run for the others
        ("Fine-tuning"), verb what waiting for it delays ("train")."""
        self._members[member] = (running_text, verb)
        started.connect(lambda: self._started(member))
        ended.connect(lambda: self._ended(member))

    def reason_blocked(self, member) -> str | None:
        """Why `member` cannot start now, or None if it may."""
        if self.running is None or self.running is member:
            return None
        return f"{self._members[self.running][0]} is running; {self._members[member][1]} when it has finished."

    def _started(self, member) -> None:
        self.running = member
        self._tell_others()

    def _ended(self, member) -> None:
        if self.running is member:
            self.running = None
            self._tell_others()

    def _tell_others(self) -> None:
        for member in self._members:
            if member is not self.running:
                member.set_busy_elsewhere(self.reason_blocked(member))
