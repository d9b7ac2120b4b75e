"""A model the user opens: its LiteRT twin is made in a child process (core/export/litert_cache.py),
kept in the user cache under the .keras file's SHA-256, used from the next open on, and never
trusted when the app did not write it."""
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from hwr_desktop.core.export.litert_cache import (
    SWITCH,
    WORKING_PREFIX,
    convert_in_background,
    convert_to_cache,
    sweep_leftovers,
    twin_accepted,
)
from hwr_desktop.core.models.inference import Predictor
from hwr_desktop.core.models.litert_model import cache_paths, cached_twin, sha256_of, twin_paths
from hwr_desktop.core.paths import litert_cache_dir
from hwr_desktop.resources import default_model_path


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """A user data folder (and so cache) of each test's own: a twin planted here must not reach
    other tests, which open copies of the bundled model and expect Keras."""
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "userdata"))


def test_a_user_model_is_converted_once_keyed_by_its_sha256_and_then_opens_through_litert(
        tiny_model_file, tmp_path, mnist, monkeypatch):
    user = tmp_path / "mine.keras"
    shutil.copy(tiny_model_file, user)
    first = Predictor.from_file(user)
    assert first.backend == "keras" and Predictor.litert_twin(user) is None
    monkeypatch.setenv(SWITCH, "1")
    done = []
    thread = convert_in_background(user, lambda path, error: done.append((path, error)))
    thread.join()
    [(path, error)] = done
    assert error is None
    sha = sha256_of(user)
    assert path == litert_cache_dir() / f"{sha}.tflite" and path.is_file()
    record = json.loads(cache_paths(sha)[1].read_text())
    assert record["source_sha256"] == sha and record["tflite_sha256"] == sha256_of(path)
    assert record["agreement"] == 1.0 and record["n"] == 10_000 and record["source"] == "mine.keras"
    assert sorted(p.name for p in litert_cache_dir().iterdir() if sha in p.name) == [f"{sha}.tflite", f"{sha}.tflite.json"]

    second = Predictor.from_file(user)                       # the second open: LiteRT, no Keras model loaded
    assert second.backend == "litert" and not second.has_keras_model
    assert second.info.temperature == first.info.temperature and second.info.outputs == first.info.outputs
    images = np.asarray(mnist.x_val[:1000], np.float32) / 255.0
    p_keras, p_lite = first.probabilities(images), second.probabilities(images)
    assert np.array_equal(p_keras.argmax(axis=1), p_lite.argmax(axis=1))
    assert np.abs(p_keras - p_lite).max() <= 1e-5

    stamp = path.stat().st_mtime_ns
    assert convert_to_cache(user) == path and path.stat().st_mtime_ns == stamp   # not made again
    user.write_bytes(user.read_bytes() + b"\0")               # another file: another SHA-256, no twin yet
    assert Predictor.litert_twin(user) is None


def _planted(tmp_path):
    """The bundled model copied to a user folder, and its shipped twin planted in the cache as if
    the app had made it."""
    user = tmp_path / "copy.keras"
    shutil.copy(default_model_path(), user)
    sha = sha256_of(user)
    tflite, record = cache_paths(sha)
    tflite.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(twin_paths(default_model_path())[0], tflite)
    document = json.loads(twin_paths(default_model_path())[1].read_text())
    document.update(source_sha256=sha, tflite_sha256=sha256_of(tflite))
    record.write_text(json.dumps(document))
    return user, tflite, record


def test_a_cached_twin_is_used_only_as_the_app_wrote_it(tmp_path):
    user, tflite, record = _planted(tmp_path)
    assert cached_twin(user) == tflite and Predictor.from_file(user).backend == "litert"
    tflite.write_bytes(tflite.read_bytes()[:-1] + b"\1")     # changed after the app wrote it
    assert cached_twin(user) is None and Predictor.from_file(user, backend="auto").backend == "keras"
    shutil.copy(twin_paths(default_model_path())[0], tflite)
    record.unlink()                                          # no record of the app's: never loaded
    assert cached_twin(user) is None
    record.write_text("{not json")
    assert cached_twin(user) is None


def test_a_missing_or_unreadable_file_has_no_twin_and_keras_says_why(tmp_path):
    from hwr_desktop.core.errors import HwrError
    assert cached_twin(tmp_path / "gone.keras") is None and cached_twin(tmp_path) is None
    with pytest.raises(HwrError):            # ModelFileError's one sentence, not a FileNotFoundError
        Predictor.from_file(tmp_path / "gone.keras")


def test_a_twin_that_differs_from_keras_is_refused():
    def report(agreement, diff):
        return SimpleNamespace(agreement=agreement, max_prob_diff=diff)
    assert twin_accepted(report(1.0, 1e-6)) is None
    assert "differs" in twin_accepted(report(0.9999, 1e-6))
    assert "differs" in twin_accepted(report(1.0, 2e-5))


def test_nothing_converts_while_the_switch_is_off(tmp_path, monkeypatch):
    monkeypatch.setenv(SWITCH, "0")
    assert convert_in_background(tmp_path / "mine.keras") is None


def test_an_unfinished_conversions_folder_is_swept_once_old(tmp_path):
    import os
    import time
    old, fresh = tmp_path / f"{WORKING_PREFIX}old", tmp_path / f"{WORKING_PREFIX}fresh"
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "twin.tflite").write_bytes(b"half")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    sweep_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{WORKING_PREFIX}fresh"]   # another app may be converting
