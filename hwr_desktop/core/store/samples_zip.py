"""Export and import of personal samples as a zip: 28x28 PNGs, the original files, and labels.csv.

Layout: `labels.csv` (columns file, label, created, original), `images/<id>.png` (the 28x28 image,
8-bit grayscale) and `originals/<id>.<ext>` (the drawing or image it came from, when kept).
Writing is atomic (temporary file, fsync, rename: core/files.py). Reading validates every row,
image and limit before returning anything, so a bad zip imports nothing and says what is wrong
with it.
"""
from __future__ import annotations

import csv
import io
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from hwr_desktop.core.errors import HwrError, StoreError
from hwr_desktop.core.files import replacing
from hwr_desktop.core.store.sqlite import now_iso

MAX_ORIGINAL_BYTES = 20 * 2**20   # an original image file kept with a sample (store and zip alike)


CSV_NAME = "labels.csv"
FIELDS = ["file", "label", "created", "original"]
MAX_SAMPLES = 100_000
MAX_TOTAL_BYTES = 2 * 2**30       # uncompressed; refuses zip bombs before anything is inflated
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "BMP": "bmp", "GIF": "gif", "WEBP": "webp", "TIFF": "tif"}


def _png(image28: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.frombuffer(image28, np.uint8).reshape(28, 28), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _extension(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as img:
            return EXTENSIONS.get(img.format, "bin")
    except Exception:  # stored originals were checked on the way in; never fail an export over a name
        return "bin"


def write_sample_zip(store, path: str | Path) -> int:
    """Write every sample of `store` to `path` (.zip); returns the number of samples written."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        raise StoreError(f"{path.name}: the export file must end in .zip")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise StoreError(f"cannot export to {path}: folder {directory} does not exist")
    rows = store.rows_for_export()
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(FIELDS)
    try:
        with replacing(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for sample_id, label, created, image28, original in rows:
                name = f"images/{sample_id:06d}.png"
                archive.writestr(name, _png(image28))
                original_name = ""
                if original is not None:
                    original_name = f"originals/{sample_id:06d}.{_extension(original)}"
                    archive.writestr(original_name, original)
                writer.writerow([name, label, created, original_name])
            archive.writestr(CSV_NAME, table.getvalue())
    except OSError as exc:
        raise StoreError(f"cannot export to {path}: {exc.strerror or exc}") from None
    return len(rows)


def _image28(data: bytes, name: str) -> np.ndarray:
    from hwr_desktop.core.data.images import load_image_bytes
    from hwr_desktop.core.data.preprocess import to_gray
    pixels = load_image_bytes(data, name)
    if pixels.shape[:2] != (28, 28):
        raise StoreError(f"{name}: a sample image must be 28x28 pixels, not {pixels.shape[1]}x{pixels.shape[0]}")
    if pixels.ndim == 2 and pixels.dtype == np.uint8:
        return pixels.copy()
    return np.round(to_gray(pixels) * 255.0).astype(np.uint8)


def _row(archive: zipfile.ZipFile, names: set[str], row: dict, where: str) -> tuple:
    label_text = (row.get("label") or "").strip()
    if len(label_text) != 1 or label_text not in "0123456789":
        raise StoreError(f"{where}: label must be a digit from 0 to 9, not {label_text!r}")
    name = (row.get("file") or "").strip()
    if name not in names:
        raise StoreError(f"{where}: image {name!r} is not in the zip")
    image = _image28(archive.read(name), name)
    original = None
    original_name = (row.get("original") or "").strip()
    if original_name:
        if original_name not in names:
            raise StoreError(f"{where}: original {original_name!r} is not in the zip")
        if archive.getinfo(original_name).file_size > MAX_ORIGINAL_BYTES:
            raise StoreError(f"{where}: original {original_name!r} is too large")
        from hwr_desktop.core.data.images import load_image_bytes
        original = archive.read(original_name)
        load_image_bytes(original, original_name)
    created = (row.get("created") or "").strip()
    if created:
        try:
            datetime.fromisoformat(created)
        except ValueError:
            raise StoreError(f"{where}: created {created!r} is not an ISO 8601 date") from None
    return image, int(label_text), original, created or now_iso()


def read_sample_zip(path: str | Path) -> list[tuple]:
    """[(image28 uint8, label, original bytes | None, created)] from an exported zip, all validated."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
                raise StoreError(f"{path.name}: refused: the zip unpacks to more than {MAX_TOTAL_BYTES // 2**30} GiB")
            names = {info.filename for info in infos}
            if CSV_NAME not in names:
                raise StoreError(f"{path.name}: not a sample export (no {CSV_NAME} inside)")
            reader = csv.DictReader(io.StringIO(archive.read(CSV_NAME).decode("utf-8-sig")))
            if not {"file", "label"} <= set(reader.fieldnames or []):
                raise StoreError(f"{path.name}: {CSV_NAME} needs the columns file and label")
            items = []
            for line, row in enumerate(reader, start=2):
                if len(items) >= MAX_SAMPLES:
                    raise StoreError(f"{path.name}: more than {MAX_SAMPLES} samples")
                items.append(_row(archive, names, row, f"{path.name}: {CSV_NAME} line {line}"))
    except HwrError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError,
            UnicodeDecodeError, csv.Error, KeyError) as exc:
        raise StoreError(f"{path.name}: not a readable sample zip ({str(exc)[:200] or type(exc).__name__})") from None
    return items
