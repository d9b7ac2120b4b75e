"""Per-epoch training history (as stored in model metadata) as columns and as a CSV file."""
from __future__ import annotations

import csv
from pathlib import Path

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.files import replacing

# The order a reader expects; EpochInfo.to_dict() writes these, older or foreign files may lack some.
KNOWN_FIELDS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def history_fields(history: list[dict]) -> list[str]:
    """Known fields present in any row, in the usual order, then any others alphabetically."""
    present = {key for row in history for key in row}
    return [f for f in KNOWN_FIELDS if f in present] + sorted(present - set(KNOWN_FIELDS))


def history_column(history: list[dict], field: str) -> tuple[list[float], list[float]]:
    """(epochs, values) for one field, skipping rows that lack it."""
    xs, ys = [], []
    for i, row in enumerate(history, start=1):
        if row.get(field) is not None:
            xs.append(float(row.get("epoch", i)))
            ys.append(float(row[field]))
    return xs, ys


def write_history_csv(history: list[dict], path: str | Path) -> Path:
    """One row per epoch; raises HwrError if there is nothing to write or the file cannot be written."""
    if not history:
        raise HwrError("there is no training history to export")
    path = Path(path)
    fields = history_fields(history)
    try:
        with replacing(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(history)
    except OSError as exc:
        raise HwrError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
