"""The user's personal sample store as the GUI sees it: one SampleStore plus a `changed` signal.

The drawing panel adds to it, the My Samples panel shows and edits it, the fine-tune panel reads it;
all of them go through this object so that every view refreshes after any change. Opening uses
core's open_or_recover: a damaged database is moved aside and a fresh one started, and `notice`
tells the user once where the backup went. If even that fails (e.g. a read-only data folder),
the app still starts: `available` is False and every edit raises StoreError with the reason.
All calls happen on the GUI thread (SQLite writes of one sample take milliseconds).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from hwr_desktop.core.errors import HwrError, StoreError


class PersonalSamples(QObject):
    changed = Signal()

    def __init__(self, store=None, notice: str | None = None, error: str | None = None, parent=None):
        super().__init__(parent)
        self.store = store
        self.notice = notice         # for a one-time dialog: the store was damaged and backed up
        self.error = error           # why there is no store at all

    @classmethod
    def open(cls, path: str | Path | None = None, parent=None) -> PersonalSamples:
        from hwr_desktop.core.store.samples import open_or_recover
        try:
            store, backup = open_or_recover(path)
        except HwrError as exc:
            return cls(None, None, f"Your samples cannot be opened: {exc}", parent)
        notice = None
        if backup is not None:
            notice = (f"The file with your handwriting samples was damaged. It was moved aside to\n{backup}\n"
                      f"and a new, empty sample store was started at\n{store.path}")
        return cls(store, notice, None, parent)

    @property
    def available(self) -> bool:
        return self.store is not None

    def _store(self):
        if self.store is None:
            raise StoreError(self.error or "the sample store is closed")
        return self.store

    # ----- reading -----
    def counts(self) -> dict[int, int]:
        return self._store().count_by_label() if self.available else {d: 0 for d in range(10)}

    def total(self) -> int:
        return len(self.store) if self.available else 0

    def samples(self, label: int | None = None) -> list:
        return self._store().list(label) if self.available else []

    def arrays(self):
        return self._store().arrays()

    # ----- changing: each emits `changed` once it is committed -----
    def add(self, image28, label: int, original: bytes | None = None) -> int:
        sample_id = self._store().add(image28, label, original)
        self.changed.emit()
        return sample_id

    def remove(self, ids) -> int:
        count = self._store().remove(ids)
        self.changed.emit()
        return count

    def relabel(self, ids, label: int) -> None:
        try:
            for sample_id in ids:   # one transaction each: if one id has vanished, the others still move
                self._store().relabel(sample_id, label)
        finally:
            self.changed.emit()

    def export_zip(self, path: str | Path) -> int:
        return self._store().export_zip(path)

    def import_zip(self, path: str | Path) -> int:
        count = self._store().import_zip(path)
        self.changed.emit()
        return count

    def shutdown(self) -> bool:
        """Closing the window: release the database file (everything is committed already)."""
        if self.store is not None:
            self.store.close()
            self.store = None
            self.error = "the sample store is closed"
        return True
