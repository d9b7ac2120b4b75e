"""What is read out of the run history: the table's columns, two runs' differences, CSV export.

Shared by `hwr-desktop runs` and the Runs tab, so both say the same thing.
"""
from __future__ import annotations

import csv
from pathlib import Path

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.files import replacing
from hwr_desktop.core.store.runs import FINAL_VAL_LOSS

# The final figures (FINAL_VAL_LOSS, test_loss) are the calibrated model's, never a history row's.
# The table: (heading, key in Run.to_dict()); the CSV has these first, then the rest of the figures.
TABLE_COLUMNS = (("Name", "name"), ("Date", "started"), ("Kind", "kind"), ("Status", "status"),
                 ("Architecture", "architecture_name"), ("Params", "params"), ("Epochs", "epochs"),
                 ("Time (s)", "train_seconds"), ("Validation", "val_accuracy"), ("Test", "test_accuracy"))
CSV_EXTRA = ("id", "finished", "test_loss", FINAL_VAL_LOSS, "images_per_second", "macs", "stopped_early",
             "model_bytes", "notes")
COMPARED_FIGURES = ("status", "epochs", "val_accuracy", "test_accuracy", FINAL_VAL_LOSS, "test_loss", "train_seconds",
                    "images_per_second", "params", "macs")


def row_values(run) -> dict:
    """The table's values of one run (core.store.runs.Run), by key."""
    return {**run.to_dict(), "architecture_name": run.architecture_name}


def flatten(value, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": [1, {"c": 2}]}} -> {"a.b[0]": 1, "a.b[1].c": 2}: nested settings as comparable lines."""
    if isinstance(value, dict):
        if not value and prefix:
            return {prefix: {}}
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and not all(isinstance(v, (int, float, str, bool, type(None))) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def diff_runs(a, b, everything: bool = False) -> list[tuple[str, object, object]]:
    """(key, a's value, b's value) for every architecture and config setting that differs (or all).
    The config's own copy of the design (TrainingConfig.architecture) is left out: `architecture` says it."""
    left = flatten({"architecture": a.architecture.get("layers", []),
                    "config": {k: v for k, v in a.config.items() if k != "architecture"}})
    right = flatten({"architecture": b.architecture.get("layers", []),
                     "config": {k: v for k, v in b.config.items() if k != "architecture"}})
    missing = object()
    rows = []
    for key in sorted(left.keys() | right.keys(), key=_natural):
        x, y = left.get(key, missing), right.get(key, missing)
        if everything or x != y:
            rows.append((key, None if x is missing else x, None if y is missing else y))
    return rows


def _natural(key: str):
    """architecture[2] before architecture[10]; config after architecture."""
    import re
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def compare_figures(a, b) -> list[tuple[str, object, object]]:
    da, db = a.to_dict(), b.to_dict()
    return [(key, da.get(key), db.get(key)) for key in COMPARED_FIGURES]


def format_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def write_runs_csv(runs, path: str | Path) -> Path:
    """One row per run: the table's columns, then the other figures."""
    path = Path(path)
    keys = [key for _, key in TABLE_COLUMNS] + list(CSV_EXTRA)
    try:
        with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([heading for heading, _ in TABLE_COLUMNS] + list(CSV_EXTRA))
            for run in runs:
                values = row_values(run)
                writer.writerow(["" if values.get(k) is None else values.get(k) for k in keys])
    except OSError as exc:
        raise HwrError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
