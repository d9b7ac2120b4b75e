"""The personal sample store: CRUD, validation, zip export/import, corruption and crash safety."""
import io
import os
import signal
import sqlite3
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from hwr_desktop.core.errors import HwrError, StoreCorruptError, StoreError
from hwr_desktop.core.store import samples as samples_module
from hwr_desktop.core.store.samples import SampleStore, move_aside_corrupt, open_or_recover


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def image(value: int) -> np.ndarray:
    a = np.zeros((28, 28), np.uint8)
    a[4:24, 10:18] = value
    return a


@pytest.fixture
def store(tmp_path):
    with SampleStore(tmp_path / "s.sqlite3") as s:
        yield s


def test_default_location_follows_the_data_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "elsewhere"))
    with SampleStore() as s:
        s.add(image(9), 1)
    assert (tmp_path / "elsewhere" / "samples.sqlite3").is_file()


def test_add_list_get_remove_relabel(store):
    drawing = np.full((120, 90), 255, np.uint8)
    a = store.add(image(200), 3, original=png_bytes(drawing))
    b = store.add(image(100).astype(np.float32) / 255.0, 7)        # floats in [0, 1], as preprocess() gives
    c = store.add(image(50)[..., None], 7, original=drawing)       # (28, 28, 1); an array original is PNG-encoded
    assert (a, b, c) == (1, 2, 3) and len(store) == 3
    listed = store.list()
    assert [(s.id, s.label, s.has_original) for s in listed] == [(1, 3, True), (2, 7, False), (3, 7, True)]
    assert all(s.original is None for s in listed)                 # list() stays light
    np.testing.assert_array_equal(listed[1].image28, image(100))   # float -> uint8 round trip is exact
    assert listed[0].created.endswith("+00:00") and listed[0].to_dict().keys() == {"id", "label", "created", "has_original"}
    assert [s.id for s in store.list(7)] == [2, 3]
    assert store.get(1).original == png_bytes(drawing)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(store.get(3).original))), drawing)
    assert store.count_by_label() == {**{d: 0 for d in range(10)}, 3: 1, 7: 2}

    store.relabel(2, 1)
    assert store.get(2).label == 1 and store.count_by_label()[7] == 1
    assert store.remove([1, 3]) == 2
    x, y = store.arrays()
    assert x.shape == (1, 28, 28) and x.dtype == np.uint8 and y.tolist() == [1]
    assert store.add(image(1), 0) == 4     # ids are never reused


def test_unknown_ids_change_nothing(store):
    store.add_many([(image(10), 1, None), (image(20), 2, None)])
    with pytest.raises(StoreError, match="no sample with id 99"):
        store.remove([1, 99])
    with pytest.raises(StoreError, match="no sample with id 42"):
        store.relabel(42, 3)
    with pytest.raises(StoreError, match="no sample with id 5"):
        store.get(5)
    assert [s.id for s in store.list()] == [1, 2]   # id 1 was not removed: all or nothing


@pytest.mark.parametrize("label", [10, -1, "3", 2.0, True, None])
def test_labels_must_be_digits(store, label):
    with pytest.raises(StoreError, match="digit from 0 to 9"):
        store.add(image(5), label)
    assert len(store) == 0


@pytest.mark.parametrize("bad, message", [
    (np.zeros((27, 28), np.uint8), "28x28"),
    (np.zeros((28, 28, 3), np.uint8), "28x28"),
    (np.full((28, 28), 1.5, np.float32), "between 0 and 1"),
    (np.full((28, 28), np.nan, np.float32), "between 0 and 1"),
    (np.zeros((28, 28), np.int64), "unsupported"),
])
def test_images_must_be_28x28(store, bad, message):
    with pytest.raises(StoreError, match=message):
        store.add(bad, 4)


def test_several_writers_at_first_start_share_one_fresh_store(tmp_path):
    """The GUI and a CLI command may create the store at the same moment: both must end up using it."""
    import threading
    path, failures = tmp_path / "samples.sqlite3", []

    def writer(n):
        try:
            with SampleStore(path) as s:
                s.add(image(n), n)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with SampleStore(path) as s:
        assert sorted(x.label for x in s.list()) == list(range(6))


def test_a_bad_item_in_add_many_adds_nothing(store):
    with pytest.raises(HwrError, match="original image: not a supported image"):
        store.add_many([(image(1), 1, None), (image(2), 2, b"not an image")])
    assert len(store) == 0


def test_export_import_round_trip(store, tmp_path):
    drawing = png_bytes(np.random.default_rng(0).integers(0, 255, (64, 48), dtype=np.uint8))
    jpeg = io.BytesIO()
    Image.new("RGB", (30, 40), "white").save(jpeg, format="JPEG")
    store.add(image(255), 0, original=drawing)
    store.add(image(128), 9)
    store.add(image(64), 5, original=jpeg.getvalue())
    path = tmp_path / "mine.zip"
    assert store.export_zip(path) == 3
    names = set(zipfile.ZipFile(path).namelist())
    assert {"labels.csv", "images/000001.png", "originals/000001.png", "originals/000003.jpg"} <= names
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]   # the temporary file is gone

    with SampleStore(tmp_path / "other.sqlite3") as other:
        assert other.import_zip(path) == 3
        before, after = store.list(), other.list()
        assert [(s.label, s.created, s.has_original) for s in after] == [(s.label, s.created, s.has_original) for s in before]
        for s, t in zip(before, after):
            np.testing.assert_array_equal(s.image28, t.image28)
            assert store.get(s.id).original == other.get(t.id).original
        assert other.import_zip(path) == 0 and len(other) == 3        # importing twice adds no duplicates


def test_export_needs_a_zip_name_in_an_existing_folder(store, tmp_path):
    with pytest.raises(StoreError, match=r"\.zip"):
        store.export_zip(tmp_path / "x.csv")
    with pytest.raises(StoreError, match="does not exist"):
        store.export_zip(tmp_path / "missing" / "x.zip")


def _zip(path, files: dict) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return str(path)


GOOD = png_bytes(image(90))


@pytest.mark.parametrize("files, message", [
    ({"images/a.png": GOOD}, "no labels.csv"),
    ({"labels.csv": "name,digit\na,1\n"}, "columns file and label"),
    ({"labels.csv": "file,label\nimages/a.png,1\nimages/b.png,12\n", "images/a.png": GOOD, "images/b.png": GOOD},
     "line 3: label must be a digit"),
    ({"labels.csv": "file,label\nimages/a.png,1\nimages/c.png,2\n", "images/a.png": GOOD}, "'images/c.png' is not in the zip"),
    ({"labels.csv": "file,label\nimages/a.png,1\nimages/b.png,2\n", "images/a.png": GOOD,
      "images/b.png": png_bytes(np.zeros((30, 28), np.uint8))}, "must be 28x28"),
    ({"labels.csv": "file,label\nimages/a.png,1\nimages/b.png,2\n", "images/a.png": GOOD, "images/b.png": GOOD[:60]},
     r"images/b\.png: (corrupt or truncated|not a supported image)"),
    ({"labels.csv": "file,label,created\nimages/a.png,1,yesterday\n", "images/a.png": GOOD}, "ISO 8601"),
    ({"labels.csv": "file,label,original\nimages/a.png,1,o.png\n", "images/a.png": GOOD, "o.png": b"junk"},
     "not a supported image"),
])
def test_a_bad_zip_imports_nothing(store, tmp_path, files, message):
    store.add(image(7), 7)
    with pytest.raises(HwrError, match=message):
        store.import_zip(_zip(tmp_path / "bad.zip", files))
    assert len(store) == 1


def test_not_a_zip_and_missing_file(store, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(StoreError, match="not a readable sample zip"):
        store.import_zip(junk)
    with pytest.raises(StoreError, match="no such file"):
        store.import_zip(tmp_path / "nope.zip")
    assert len(store) == 0


def test_garbage_file_is_detected_backed_up_and_replaced(tmp_path):
    path = tmp_path / "samples.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(StoreCorruptError, match="damaged"):
        SampleStore(path)
    fresh, backup = open_or_recover(path)
    with fresh:
        assert backup.name.startswith("samples.sqlite3.") and backup.name.endswith(".corrupt")
        assert backup.read_bytes() == garbage and len(fresh) == 0
        fresh.add(image(3), 3)
        assert len(fresh) == 1


def test_damaged_pages_are_detected(tmp_path):
    path = tmp_path / "samples.sqlite3"
    with SampleStore(path) as s:
        s.add_many([(image(i % 256), i % 10, None) for i in range(300)])
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    for start in range(2 * page, len(data), page):     # scribble over the header of every page but the first
        data[start:start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptError):
        SampleStore(path)


def test_an_unrelated_database_is_not_taken_over(tmp_path):
    path = tmp_path / "samples.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(StoreCorruptError, match="not a sample store"):
        SampleStore(path)
    backup = move_aside_corrupt(path)
    assert not path.exists() and backup.exists()


def test_schema_version_and_migration_hook(tmp_path, monkeypatch):
    path = tmp_path / "samples.sqlite3"
    with SampleStore(path) as s:
        s.add(image(10), 4)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == samples_module.SCHEMA_VERSION == 1

    def add_note_column(conn):
        conn.execute("ALTER TABLE samples ADD COLUMN note TEXT DEFAULT ''")
    monkeypatch.setattr(samples_module, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(samples_module.MIGRATIONS, 1, add_note_column)
    with SampleStore(path) as s:
        assert [x.label for x in s.list()] == [4]         # data survives the upgrade
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert "note" in {row[1] for row in conn.execute("PRAGMA table_info(samples)")}

    monkeypatch.setattr(samples_module, "SCHEMA_VERSION", 1)  # an older app meets the newer file
    with pytest.raises(StoreError, match="newer HWR Desktop") as info:
        SampleStore(path)
    assert not isinstance(info.value, StoreCorruptError)    # nothing to back up: the file is fine


WRITER = """
import os, signal, sys
import numpy as np
from hwr_desktop.core.store.samples import SampleStore
store = SampleStore(sys.argv[1])
original, crash_at = bytes.fromhex(sys.argv[2]), int(sys.argv[3])
i = 0
while True:
    image = np.full((28, 28), i % 256, np.uint8)
    if i == crash_at:  # die inside a transaction whose pages have already spilled into the database file
        with store._transaction() as conn:
            conn.execute("PRAGMA cache_size = 2")
            conn.execute("INSERT INTO samples (label, image28, original, created) VALUES (?, ?, ?, ?)",
                         (i % 10, image.tobytes(), os.urandom(2_000_000), "2024-01-01T00:00:00+00:00"))
            os.kill(os.getpid(), signal.SIGKILL)
    sample_id = store.add(image, i % 10, original=original)
    print(sample_id, flush=True)   # printed only once add() has returned, i.e. the sample is committed
    i += 1
"""


def _run_writer(path, original: bytes, crash_at: int, kill_after: int | None = None) -> tuple[list[int], int]:
    """Run WRITER; kill it after `kill_after` printed ids (or let it crash itself). (committed ids, status)."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path), original.hex(), str(crash_at)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    committed = []
    try:
        for line in child.stdout:
            committed.append(int(line))
            if kill_after is not None and len(committed) >= kill_after:
                os.kill(child.pid, signal.SIGKILL)   # wherever it is now: usually inside the next add()
                break
    finally:
        rest, err = child.communicate(timeout=120)
    committed += [int(x) for x in rest.split()]
    assert child.returncode == -signal.SIGKILL, err[-2000:]
    return committed, child.returncode


def _check_survivors(path, committed: list[int], original: bytes) -> int:
    assert committed == list(range(1, len(committed) + 1))
    with SampleStore(path) as s:   # opens cleanly: SQLite rolls back the interrupted transaction
        stored = s.list()
        ids = [x.id for x in stored]
        assert ids[:len(committed)] == committed                    # every committed sample survived
        for x in stored:                                            # and each row is whole and consistent
            assert x.label == (x.id - 1) % 10 and (x.image28 == (x.id - 1) % 256).all()
            assert s.get(x.id).original == original
        with s._lock:
            assert s._conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return len(ids) - len(committed)


@pytest.fixture(scope="module")
def noise_png():
    return png_bytes(np.random.default_rng(0).integers(0, 255, (160, 160), dtype=np.uint8))  # ~25 KB


def test_a_crash_inside_a_write_loses_nothing_committed(tmp_path, noise_png):
    path = tmp_path / "samples.sqlite3"
    committed, _ = _run_writer(path, noise_png, crash_at=25)
    assert len(committed) == 25
    journal = path.with_name(path.name + "-journal")
    assert journal.is_file() and journal.stat().st_size > 0   # it really died mid-write: a hot journal is left
    assert _check_survivors(path, committed, noise_png) == 0  # the half-written sample is rolled back, all others kept
    assert not journal.exists()


@pytest.mark.parametrize("kill_after", [3, 30])
def test_killing_the_process_at_any_moment_loses_nothing_committed(tmp_path, noise_png, kill_after):
    path = tmp_path / "samples.sqlite3"
    committed, _ = _run_writer(path, noise_png, crash_at=-1, kill_after=kill_after)
    assert len(committed) >= kill_after
    assert _check_survivors(path, committed, noise_png) in (0, 1)   # at most the add in flight, and then whole
