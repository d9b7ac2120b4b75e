import gzip
import shutil
import struct

import numpy as np
import pytest

from hwr_desktop.core.data.idx import parse_idx, read_idx, read_idx_bytes
from hwr_desktop.core.data.mnist import FILES, SHA256, VALIDATION_SIZE, load_mnist, mnist_dir, read_verified
from hwr_desktop.core.errors import DataError


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    return bytes([0, 0, type_code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()


def test_idx_reads_good_file(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    np.testing.assert_array_equal(read_idx(path), array)


def test_idx_big_endian_int32():
    array = np.array([1, -2, 70000], dtype=">i4")
    out = parse_idx(idx_bytes(array, 0x0C))
    assert out.tolist() == [1, -2, 70000]


@pytest.mark.parametrize("mangle, message", [
    (lambda b: b"\x01" + b[1:], "magic"),
    (lambda b: b[:2] + b"\x42" + b[3:], "data type"),
    (lambda b: b[:3] + b"\x07" + b[4:], "dimensions"),
    (lambda b: b[:-5], "truncated"),
    (lambda b: b[:9], "truncated"),
    (lambda b: b + b"xx", "unexpected bytes"),
    (lambda b: b"", "too short"),
])
def test_idx_rejects_bad_files(mangle, message):
    good = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(DataError, match=message):
        parse_idx(mangle(good))


@pytest.mark.parametrize("dims", [
    (0, 2**21, 2**21, 2**21),      # zero elements, but numpy cannot shape it (found by the fuzz test)
    (2**32 - 1,) * 4,              # the byte count overflows int64
])
def test_idx_refuses_implausible_shapes_in_one_clear_error(dims):
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    with pytest.raises(DataError, match="implausible shape"):
        parse_idx(header)


def test_idx_rejects_truncated_gzip():
    data = gzip.compress(idx_bytes(np.zeros((50, 28, 28), np.uint8)))
    with pytest.raises(DataError, match="gzip"):
        read_idx_bytes(data[: len(data) // 2])


def test_idx_directory_and_missing(tmp_path):
    with pytest.raises(DataError, match="directory"):
        read_idx(tmp_path)
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "missing")


def test_bundled_files_match_their_checksums():
    for name in FILES.values():
        read_verified(mnist_dir() / name, SHA256[name])


def test_checksum_mismatch_is_refused(tmp_path):
    for name in FILES.values():
        shutil.copy(mnist_dir() / name, tmp_path / name)
    corrupt = tmp_path / FILES["test_labels"]
    data = bytearray(corrupt.read_bytes())
    data[100] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        load_mnist(str(tmp_path))
    (tmp_path / FILES["train_images"]).unlink()
    with pytest.raises(DataError, match="missing"):
        load_mnist(str(tmp_path))


def test_mnist_split_is_fixed_and_disjoint(mnist):
    assert mnist.x_train.shape == (60000 - VALIDATION_SIZE, 28, 28)
    assert mnist.x_val.shape == (VALIDATION_SIZE, 28, 28)
    assert mnist.x_test.shape == (10000, 28, 28) and mnist.x_test.dtype == np.uint8
    # Known first labels of the test set (7 2 1 0 4) and of our fixed validation split.
    assert mnist.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert mnist.y_val[:8].tolist() == [3, 3, 2, 0, 1, 5, 0, 7]
    assert np.bincount(mnist.y_val, minlength=10).min() > 400
    train_rows = {row.tobytes() for row in mnist.x_train[:: 50]}
    assert not any(row.tobytes() in train_rows for row in mnist.x_val[:500])
