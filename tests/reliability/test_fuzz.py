"""Property-based fuzzing: any bytes, any array -> a valid result or one of our clear errors.

Counts of inputs tried are set by max_examples below and quoted in the README.
"""
import gzip
import io
import struct

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from hwr_desktop.core.data.idx import read_idx_bytes
from hwr_desktop.core.data.images import load_image_bytes
from hwr_desktop.core.data.preprocess import SIZE, preprocess
from hwr_desktop.core.errors import DataError, ImageError

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def idx_header(type_code: int, dims: list[int]) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


@FUZZ
@given(st.binary(max_size=2048))
def test_idx_any_bytes(data):
    try:
        array = read_idx_bytes(data)
    except DataError as exc:
        assert str(exc)
    else:
        assert isinstance(array, np.ndarray)


@FUZZ
@given(type_code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
       dims=st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=6),
       body=st.binary(max_size=512), gzipped=st.booleans())
def test_idx_plausible_headers_with_wrong_sizes(type_code, dims, body, gzipped):
    data = idx_header(type_code, dims) + body
    if gzipped:
        data = gzip.compress(data)
    try:
        array = read_idx_bytes(data)
    except DataError:
        return
    assert array.shape == tuple(dims)


@FUZZ
@given(st.binary(max_size=4096))
def test_image_any_bytes(data):
    try:
        image = load_image_bytes(data, "fuzz")
    except ImageError as exc:
        assert str(exc).startswith("fuzz")
    else:
        assert image.dtype == np.uint8 and image.ndim in (2, 3)


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@FUZZ
@given(st.data())
def test_image_mutated_real_files(data):
    """Real PNG/JPEG/GIF/BMP/TIFF/WebP files with bytes flipped or cut off."""
    fmt = data.draw(st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"]))
    buffer = io.BytesIO()
    Image.fromarray(np.arange(24 * 24, dtype=np.uint8).reshape(24, 24)).save(buffer, format=fmt)
    raw = bytearray(buffer.getvalue())
    for _ in range(data.draw(st.integers(0, 6))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    raw = raw[: data.draw(st.integers(0, len(raw)))]
    try:
        image = load_image_bytes(bytes(raw), "mutated")
    except ImageError:
        return
    assert image.ndim in (2, 3) and image.size > 0


ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.int64, np.float32, np.float64, np.bool_, np.int8]),
    shape=st.one_of(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=40),
                    st.tuples(st.integers(1, 64), st.integers(1, 64), st.sampled_from([1, 2, 3, 4]))),
    elements=None)


@FUZZ
@given(ARRAYS)
def test_preprocess_any_array(array):
    try:
        out = preprocess(array)
    except ImageError as exc:
        assert str(exc)
        return
    if out is not None:
        assert out.image.shape == (SIZE, SIZE) and out.image.dtype == np.float32
        assert np.isfinite(out.image).all() and 0.0 <= out.image.min() and out.image.max() <= 1.0
        x0, y0, x1, y1 = out.box
        assert 0 <= x0 < x1 <= array.shape[1] and 0 <= y0 < y1 <= array.shape[0]
