"""The personal sample store: the user's own labelled digits, kept in one SQLite file.

Each sample holds the 28x28 image the model trains on (uint8, light ink on black, as MNIST), the
original drawing or image file it came from (so a later, better preprocessing can be re-run on
it), its label and when it was added. Transactions, schema versions (MIGRATIONS) and damaged files
are handled as in every store of ours (core/store/sqlite.py).
"""
from __future__ import annotations

import io
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import StoreError
from hwr_desktop.core.store import sqlite as sqlite_store
from hwr_desktop.core.store.samples_zip import MAX_ORIGINAL_BYTES, read_sample_zip, write_sample_zip
from hwr_desktop.core.store.sqlite import SqliteStore, now_iso

FILE_NAME = "samples.sqlite3"
SCHEMA_VERSION = 1
COLUMNS = {"id", "label", "image28", "original", "created"}


def default_store_path() -> Path:
    from hwr_desktop.core.paths import data_dir
    return data_dir() / FILE_NAME


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: a removed id is never handed out again
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        image28 BLOB NOT NULL CHECK (length(image28) = 784),
        original BLOB,
        created TEXT NOT NULL)""")
    conn.execute("CREATE INDEX samples_by_label ON samples (label)")


# MIGRATIONS[v] turns a version-v database into version v + 1; version 0 is a new, empty file.
MIGRATIONS = {0: _create_v1}


@dataclass(frozen=True)
class Sample:
    id: int
    label: int
    created: str                    # ISO 8601, UTC
    image28: np.ndarray = field(repr=False)                # (28, 28) uint8
    has_original: bool = False
    original: bytes | None = field(default=None, repr=False)  # filled in by get(); list() leaves it out

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "created": self.created, "has_original": self.has_original}


def check_label(label) -> int:
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
        raise StoreError(f"a label must be a digit from 0 to 9, not {label!r}")
    return int(label)


def to_uint8_image(image) -> np.ndarray:
    """A 28x28 sample image, uint8 or floats in [0, 1] (what preprocess() returns), as uint8."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.shape != (28, 28):
        raise StoreError(f"a sample image must be 28x28, not {'x'.join(map(str, a.shape)) or 'a scalar'}")
    if a.dtype == np.uint8:
        return a.copy()
    if np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0:
            raise StoreError("a float sample image must hold values between 0 and 1")
        return np.round(a * 255.0).astype(np.uint8)
    raise StoreError(f"unsupported sample image type {a.dtype}")


def original_bytes(original) -> bytes | None:
    """The source drawing or image as file bytes: PNG-encodes arrays, checks that bytes are a safe image."""
    if original is None:
        return None
    from hwr_desktop.core.data.images import load_image_bytes
    if isinstance(original, np.ndarray):
        from PIL import Image
        buffer = io.BytesIO()
        try:
            Image.fromarray(np.ascontiguousarray(original)).save(buffer, format="PNG")
        except (TypeError, ValueError, OSError) as exc:
            raise StoreError(f"cannot store the original image ({exc})") from None
        return buffer.getvalue()
    data = bytes(original)
    if len(data) > MAX_ORIGINAL_BYTES:
        raise StoreError(f"the original image is too large ({len(data) // 2**20} MiB)")
    load_image_bytes(data, "original image")  # refuses anything that is not a supported, safe image
    return data


def move_aside_corrupt(path: str | Path) -> Path:
    """Rename a damaged sample store (and any journal) to `<name>.<timestamp>.corrupt`; returns the backup."""
    return sqlite_store.move_aside_corrupt(path, SampleStore.WHAT)


def open_or_recover(path: str | Path | None = None) -> tuple[SampleStore, Path | None]:
    """Open the store; if it is damaged, back it up (see move_aside_corrupt) and start a fresh one."""
    return SampleStore.open_or_recover(path)


class SampleStore(SqliteStore):
    """Thread-safe: one connection guarded by a lock, so the GUI and a worker thread can share it."""
    WHAT, NOUN, TABLE, COLUMNS = "sample store", "sample", "samples", COLUMNS

    @classmethod
    def default_path(cls) -> Path:
        return default_store_path()

    def schema(self) -> tuple[int, dict]:
        return SCHEMA_VERSION, MIGRATIONS     # the module's, read at open (tests raise the version)

    # -- samples ----------------------------------------------------------------------------------
    def add(self, image28, label: int, original=None) -> int:
        """Store one sample; returns its id once the transaction is committed (durable on return)."""
        return self.add_many([(image28, label, original)])[0]

    def add_many(self, items) -> list[int]:
        """Store (image28, label, original[, created]) items all together or, on any bad item, none."""
        rows = []
        for item in items:
            image, label, original, *rest = item
            rows.append((check_label(label), to_uint8_image(image).tobytes(), original_bytes(original),
                         rest[0] if rest and rest[0] else now_iso()))
        with self._transaction() as conn:
            return [conn.execute("INSERT INTO samples (label, image28, original, created) VALUES (?, ?, ?, ?)",
                                 row).lastrowid for row in rows]

    @staticmethod
    def _sample(row, original=None) -> Sample:
        sample_id, label, image, created, has_original = row
        return Sample(sample_id, label, created, np.frombuffer(image, np.uint8).reshape(28, 28).copy(),
                      bool(has_original), original)

    def list(self, label: int | None = None) -> list[Sample]:
        """All samples (or one digit's), oldest first, without the original files."""
        where, params = ("WHERE label = ?", (check_label(label),)) if label is not None else ("", ())
        rows = self._query(f"SELECT id, label, image28, created, original IS NOT NULL FROM samples {where} "
                           "ORDER BY id", params)
        return [self._sample(row) for row in rows]

    def get(self, sample_id: int) -> Sample:
        rows = self._query("SELECT id, label, image28, created, original IS NOT NULL, original FROM samples "
                           "WHERE id = ?", (int(sample_id),))
        if not rows:
            raise StoreError(f"no sample with id {sample_id}")
        return self._sample(rows[0][:5], rows[0][5])

    def remove(self, ids) -> int:
        """Delete samples by id: all of them, or none if any id is unknown."""
        ids = [int(i) for i in ids]
        with self._transaction() as conn:
            missing = [i for i in ids if conn.execute("DELETE FROM samples WHERE id = ?", (i,)).rowcount == 0]
            if missing:  # raising rolls back the deletions already made
                raise StoreError(f"no sample with id {', '.join(map(str, missing))}")
        return len(ids)

    def relabel(self, sample_id: int, label: int) -> None:
        label = check_label(label)
        with self._transaction() as conn:
            if conn.execute("UPDATE samples SET label = ? WHERE id = ?", (label, int(sample_id))).rowcount == 0:
                raise StoreError(f"no sample with id {sample_id}")

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM samples")[0][0]

    def count_by_label(self) -> dict[int, int]:
        counts = dict(self._query("SELECT label, COUNT(*) FROM samples GROUP BY label"))
        return {d: counts.get(d, 0) for d in range(10)}

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y): uint8 (N, 28, 28) images and int64 labels, oldest first, as training wants them."""
        rows = self._query("SELECT image28, label FROM samples ORDER BY id")
        x = np.frombuffer(b"".join(r[0] for r in rows), np.uint8).reshape(len(rows), 28, 28).copy()
        return x, np.array([r[1] for r in rows], np.int64)

    def rows_for_export(self):
        """(id, label, created, image28 bytes, original bytes | None) of every sample, oldest first."""
        return self._query("SELECT id, label, created, image28, original FROM samples ORDER BY id")

    def export_zip(self, path: str | Path) -> int:
        return write_sample_zip(self, path)

    def import_zip(self, path: str | Path) -> int:
        """Add the samples of an exported zip; returns how many were new (exact duplicates are skipped)."""
        items = read_sample_zip(path)   # validates everything before anything is written
        with self._lock:
            known = {(label, image) for label, image in self._query("SELECT label, image28 FROM samples")}
            fresh = [item for item in items if (item[1], item[0].tobytes()) not in known]
            return len(self.add_many(fresh))
