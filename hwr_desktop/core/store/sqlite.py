"""What our SQLite stores share (the personal samples, the run history): one file each, every change
one explicit transaction, versioned schemas, damaged files moved aside.

Every change is a BEGIN IMMEDIATE transaction in the default rollback-journal mode with
synchronous=FULL: a crash, a kill or a power cut can lose the change in flight, never one that was
committed, and the store stays one file that is easy to back up. PRAGMA user_version holds the
schema version; a subclass's MIGRATIONS upgrade older files one step at a time. Opening runs
quick_check, so a damaged file is found at once (StoreCorruptError) and can be moved aside.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from hwr_desktop.core.errors import StoreCorruptError, StoreError

BUSY_TIMEOUT = 10.0          # seconds to wait while another process (GUI and CLI at once) is writing


def now_iso() -> str:
    """The stores' timestamps (a run's start and end, a sample's creation): UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def move_aside_corrupt(path: str | Path, what: str = "store") -> Path:
    """Rename a damaged store (and any journal) to `<name>.<timestamp>.corrupt`; returns the backup path."""
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup, n = path.with_name(f"{path.name}.{stamp}.corrupt"), 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.{stamp}-{n}.corrupt")
    try:
        os.replace(path, backup)
        for suffix in ("-journal", "-wal", "-shm"):  # a hot journal belongs with its database
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, backup.with_name(backup.name + suffix))
    except OSError as exc:
        raise StoreError(f"cannot move the damaged {what} {path} aside: {exc.strerror or exc}") from None
    return backup


class SqliteStore:
    """Thread-safe: one connection guarded by a lock, so the GUI and a worker thread can share it.

    Subclasses set WHAT ("sample store"), NOUN ("sample", as in "the sample database"), TABLE and
    COLUMNS (checked after opening), SCHEMA_VERSION and MIGRATIONS (MIGRATIONS[v] turns a version-v
    database into version v + 1; version 0 is a new, empty file), and default_path().
    """
    WHAT, NOUN, TABLE = "store", "store", ""
    COLUMNS: set[str] = set()
    SCHEMA_VERSION = 1
    MIGRATIONS: dict = {}

    @classmethod
    def default_path(cls) -> Path:
        raise NotImplementedError

    def schema(self) -> tuple[int, dict]:
        """(SCHEMA_VERSION, MIGRATIONS), read when a store is opened."""
        return self.SCHEMA_VERSION, self.MIGRATIONS

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else self.default_path()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                         check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the {self.WHAT} {self.path}: {exc}") from None
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def open_or_recover(cls, path: str | Path | None = None):
        """(store, backup): if the store is damaged, back it up (move_aside_corrupt) and start a fresh one."""
        try:
            return cls(path), None
        except StoreCorruptError:
            target = Path(path) if path else cls.default_path()
            backup = move_aside_corrupt(target, cls.WHAT)
            return cls(target), backup

    # -- plumbing ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _guard(self):
        """sqlite3 errors -> StoreError / StoreCorruptError with a message fit for the user."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
                raise StoreError(f"the {self.WHAT} is busy (another HWR Desktop is writing to it); try again") from None
            if any(word in text for word in ("malformed", "not a database", "corrupt")):
                raise StoreCorruptError(f"{self.path}: the {self.NOUN} database is damaged ({text})") from None
            raise StoreError(f"{self.WHAT} {self.path}: {text}") from None

    @contextlib.contextmanager
    def _transaction(self):
        # BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        with self._lock, self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params=()) -> list[tuple]:
        with self._lock, self._guard():
            return self._conn.execute(sql, params).fetchall()

    def _open(self) -> None:
        schema_version, migrations = self.schema()
        with self._lock, self._guard():
            conn = self._conn
            conn.execute("PRAGMA journal_mode=DELETE")   # the first read of the file: garbage fails here
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN")  # one snapshot: another process may be creating the store right now
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                    raise StoreCorruptError(f"{self.path}: the {self.NOUN} database is damaged (integrity check failed)")
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
            if version == 0 and tables - {"sqlite_sequence"}:
                raise StoreCorruptError(f"{self.path}: not a {self.WHAT} (an unrelated SQLite database)")
            if version > schema_version:
                raise StoreError(f"{self.path.name} was written by a newer HWR Desktop (schema {version}); "
                                 "update the app to use it")
        for step in range(version, schema_version):
            with self._transaction() as conn:
                if conn.execute("PRAGMA user_version").fetchone()[0] > step:
                    continue  # another process (the GUI and the CLI at first start) did this step meanwhile
                migrations[step](conn)
                conn.execute(f"PRAGMA user_version = {step + 1}")  # committed together with the migration
        columns = {row[1] for row in self._query(f"PRAGMA table_info({self.TABLE})")}
        if not self.COLUMNS <= columns:
            raise StoreCorruptError(f"{self.path}: not a {self.WHAT} (the {self.TABLE} table is missing or altered)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
