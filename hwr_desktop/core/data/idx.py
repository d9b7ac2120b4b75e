"""Reader for the IDX format used by MNIST (http://yann.lecun.com/exdb/mnist/).

Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per dimension,
then the data in C order. Every field is checked, so a bad or truncated file gives a DataError
instead of a wrong array.
"""
from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import DataError

# Type codes from the format description; all multi-byte types are big-endian.
_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_BYTES = 512 * 1024 * 1024  # far above MNIST (47 MB); stops a gzip bomb from eating memory


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse raw (already decompressed) IDX bytes into an array."""
    if len(data) < 4:
        raise DataError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise DataError(f"{name}: bad magic number (not an IDX file)")
    type_code, ndim = data[2], data[3]
    if type_code not in _DTYPES:
        raise DataError(f"{name}: unknown IDX data type 0x{type_code:02x}")
    if not 1 <= ndim <= 4:
        raise DataError(f"{name}: unsupported number of dimensions {ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _DTYPES[type_code]
    # Python integers: a product of four 32-bit sizes overflows int64. A zero-sized array with
    # absurd other sizes ((0, 2**21, 2**21, 2**21)) is refused too; numpy cannot even shape it.
    if math.prod(d for d in shape if d) * dtype.itemsize > MAX_BYTES:
        raise DataError(f"{name}: implausible shape {shape} (over {MAX_BYTES // 2**20} MiB)")
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise DataError(f"{name}: truncated: expected {expected} data bytes for shape {shape}, found {actual}")
    if actual > expected:
        raise DataError(f"{name}: {actual - expected} unexpected bytes after the data for shape {shape}")
    array = np.frombuffer(data, dtype=dtype, offset=header, count=expected // dtype.itemsize)
    return array.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def read_idx_bytes(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes, gunzipping them first when they start with the gzip signature."""
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
                raw = stream.read(MAX_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{name}: corrupt or truncated gzip data ({exc})") from None
        if len(raw) > MAX_BYTES:
            raise DataError(f"{name}: decompresses to more than {MAX_BYTES // 2**20} MiB")
    return parse_idx(raw, name)


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not an IDX file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return read_idx_bytes(raw, path.name)
