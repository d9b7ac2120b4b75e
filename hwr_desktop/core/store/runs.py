"""The run history: every training and fine-tuning run, from the GUI or the CLI, in one SQLite file.

`runs/runs.sqlite3` in the user data folder (HWR_DESKTOP_DATA_DIR moves it) holds one row per run:
when and how it was started (kind, architecture, config with its seed, the machine), its per-epoch
history (written after every epoch), its final figures, a user name and notes, and its status:
running, finished, stopped or crashed. A row left 'running' by a process that has gone (killed,
power cut) reads as crashed ("interrupted"). The run's model is `runs/models/<id>.keras`, written
atomically (core/models/modelfile.py) before the row points at it; deleting a run removes the row, then
the file. Transactions, schema versions and damaged files: core/store/sqlite.py. Recording is
core/training/run_recorder.py's; diffs and CSV are core/store/runs_report.py's.
"""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hwr_desktop.core.errors import StoreError
from hwr_desktop.core.store.sqlite import SqliteStore, now_iso

FILE_NAME = "runs.sqlite3"
KINDS = ("train", "fine-tune")
RUNNING, FINISHED, STOPPED, CRASHED = "running", "finished", "stopped", "crashed"
STATUSES = (RUNNING, FINISHED, STOPPED, CRASHED)
# The final model's validation loss, with its calibration temperature. Not the history's per-epoch
# `val_loss` (measured during training, at temperature 1): the two differ, so they are named apart.
# Rows written before the split stored it as "val_loss"; they are read under the new name.
FINAL_VAL_LOSS = "val_loss_calibrated"
INTERRUPTED = "interrupted (the process ended without finishing the run)"
JSON_COLUMNS = ("architecture", "config", "history", "metrics", "machine")


def runs_dir() -> Path:
    from hwr_desktop.core.paths import data_dir
    return data_dir() / "runs"


def _create_v1(conn) -> None:
    conn.execute("""CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,   -- a deleted run's id is never handed out again
        started TEXT NOT NULL,
        finished TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('train', 'fine-tune')),
        status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'stopped', 'crashed')),
        name TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        architecture TEXT NOT NULL DEFAULT '{}',
        config TEXT NOT NULL DEFAULT '{}',
        history TEXT NOT NULL DEFAULT '[]',
        metrics TEXT NOT NULL DEFAULT '{}',
        machine TEXT NOT NULL DEFAULT '{}',
        params INTEGER,
        macs INTEGER,
        model TEXT,                             -- the model file's name in runs/models, once written
        model_bytes INTEGER,
        error TEXT,
        pid INTEGER,
        host TEXT)""")


MIGRATIONS = {0: _create_v1}
FIELDS = ("id", "started", "finished", "kind", "status", "name", "notes", *JSON_COLUMNS, "params", "macs",
          "model", "model_bytes", "error", "pid", "host")


def process_started(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), from Linux's /proc; None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        ticks = int(stat.rsplit(")", 1)[1].split()[19])     # field 22, after the command name in ()
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def process_alive(pid: int | None, host: str | None, started: str | None = None) -> bool:
    """Whether the process that started a run may still be running it (another machine's: assumed so).
    A process with the same id that started after the run did is another one: the id was reused."""
    if not pid or host != socket.gethostname() or pid == os.getpid():
        return True
    born = process_started(pid)
    if born is not None and started:
        try:
            if born > datetime.fromisoformat(started).timestamp() + 2:    # 2 s: clock-tick rounding
                return False
        except ValueError:
            pass
    if os.name == "nt":   # os.kill(pid, 0) would terminate the process on Windows
        import ctypes
        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)   # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:      # it exists but is not ours (EPERM)
        return True
    return True


@dataclass
class Run:
    id: int
    started: str
    kind: str
    status: str
    name: str = ""
    notes: str = ""
    finished: str | None = None
    architecture: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)
    params: int | None = None
    macs: int | None = None
    model: Path | None = None         # the model file, when the run kept one
    model_bytes: int | None = None
    error: str | None = None

    @property
    def architecture_name(self) -> str:
        return str(self.architecture.get("name") or self.config.get("preset") or "?")

    def metric(self, key: str):
        return self.metrics.get(key)

    def to_dict(self) -> dict:
        """The JSON form (`runs list --json`, `runs show --json`)."""
        m = self.metrics
        return {"id": self.id, "name": self.name, "started": self.started, "finished": self.finished,
                "kind": self.kind, "status": self.status, "notes": self.notes, "architecture": self.architecture,
                "config": self.config, "history": self.history, "epochs": len(self.history),
                "val_accuracy": m.get("val_accuracy"), "test_accuracy": m.get("test_accuracy"),
                FINAL_VAL_LOSS: m.get(FINAL_VAL_LOSS), "test_loss": m.get("test_loss"),
                "train_seconds": m.get("train_seconds"), "images_per_second": m.get("images_per_second"),
                "stopped_early": m.get("stopped_early"), "params": self.params, "macs": self.macs,
                "metrics": m, "machine": self.machine, "model": str(self.model) if self.model else None,
                "model_bytes": self.model_bytes, "error": self.error}


class RunStore(SqliteStore):
    WHAT, NOUN, TABLE, COLUMNS = "run history", "run history", "runs", set(FIELDS)
    SCHEMA_VERSION, MIGRATIONS = 1, MIGRATIONS

    @classmethod
    def default_path(cls) -> Path:
        return runs_dir() / FILE_NAME

    @property
    def models_dir(self) -> Path:
        return self.path.parent / "models"

    def model_path(self, run_id: int) -> Path:
        return self.models_dir / f"{int(run_id)}.keras"

    # -- writing ----------------------------------------------------------------------------------
    def start(self, kind: str, architecture: dict, config: dict, machine: dict, params: int | None = None,
              macs: int | None = None, name: str = "") -> int:
        """A new run, status 'running'; returns its id. `name` may hold '{id}'."""
        if kind not in KINDS:
            raise StoreError(f"unknown run kind {kind!r}")
        with self._transaction() as conn:
            run_id = conn.execute(
                "INSERT INTO runs (started, kind, status, architecture, config, machine, params, macs, pid, host) "
                "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                (now_iso(), kind, json.dumps(architecture), json.dumps(config), json.dumps(machine), params, macs,
                 os.getpid(), socket.gethostname())).lastrowid
            conn.execute("UPDATE runs SET name = ? WHERE id = ?", (name.replace("{id}", str(run_id)), run_id))
        return run_id

    def _update(self, run_id: int, **values) -> None:
        for key in values:
            if key not in FIELDS or key == "id":
                raise StoreError(f"no run field {key!r}")
        values = {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in values.items()}
        with self._transaction() as conn:
            sets = ", ".join(f"{k} = ?" for k in values)
            if conn.execute(f"UPDATE runs SET {sets} WHERE id = ?", (*values.values(), int(run_id))).rowcount == 0:
                raise StoreError(f"no run with id {run_id}")

    def set_history(self, run_id: int, history: list[dict]) -> None:
        self._update(run_id, history=history)

    def attach_model(self, run_id: int, path: Path) -> None:
        """Point the run at its model file (written atomically beforehand, at model_path(run_id))."""
        self._update(run_id, model=Path(path).name, model_bytes=Path(path).stat().st_size)

    def finish(self, run_id: int, status: str, metrics: dict, history: list[dict] | None = None,
               error: str | None = None, **values) -> None:
        if status not in STATUSES or status == RUNNING:
            raise StoreError(f"a run cannot end as {status!r}")
        if history is not None:
            values["history"] = history
        self._update(run_id, status=status, metrics=metrics, error=error, finished=now_iso(), **values)

    def rename(self, run_id: int, name: str) -> None:
        self._update(run_id, name=str(name).strip())

    def set_notes(self, run_id: int, notes: str) -> None:
        self._update(run_id, notes=str(notes))

    def discard(self, run_id: int) -> None:
        """Remove a run that never started (refused before its network was built): no model file yet."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM runs WHERE id = ? AND status = 'running'", (int(run_id),))

    def delete(self, run_id: int) -> None:
        """Remove the row (committed first: a kill in between leaves only a stray file), then its model."""
        run = self.get(run_id)
        if run.status == RUNNING:
            raise StoreError(f"run {run_id} is still running; stop it first")
        with self._transaction() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (int(run_id),))
        try:
            self.model_path(run_id).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"run {run_id} deleted, but not its model file: {exc.strerror or exc}") from None

    # -- reading ----------------------------------------------------------------------------------
    def _run(self, row: tuple) -> Run:
        values = dict(zip(FIELDS, row, strict=True))
        for key in JSON_COLUMNS:
            try:
                values[key] = json.loads(values[key])
            except (TypeError, ValueError):
                values[key] = [] if key == "history" else {}
        if isinstance(values["metrics"], dict) and "val_loss" in values["metrics"]:
            values["metrics"].setdefault(FINAL_VAL_LOSS, values["metrics"].pop("val_loss"))
        pid, host = values.pop("pid"), values.pop("host")
        if values["status"] == RUNNING and not process_alive(pid, host, values["started"]):
            values["status"], values["error"] = CRASHED, values["error"] or INTERRUPTED
        model = values["model"]
        values["model"] = self.models_dir / model if model and (self.models_dir / model).is_file() else None
        return Run(**values)

    def list(self) -> list[Run]:
        """All runs, oldest first."""
        return [self._run(row) for row in self._query(f"SELECT {', '.join(FIELDS)} FROM runs ORDER BY id")]

    def get(self, run_id) -> Run:
        try:
            run_id = int(run_id)
        except (TypeError, ValueError):
            raise StoreError(f"run ids are whole numbers, not {run_id!r}") from None
        rows = self._query(f"SELECT {', '.join(FIELDS)} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"no run with id {run_id}")
        return self._run(rows[0])

    def __len__(self) -> int:
        return self._query("SELECT COUNT(*) FROM runs")[0][0]

    def disk_usage(self) -> int:
        """Bytes taken by the runs' model files (what deleting runs frees)."""
        if not self.models_dir.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.models_dir.glob("*.keras") if p.is_file())
