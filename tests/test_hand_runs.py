"""core/store/runs.py: the rules of the run history one by one (issue 33; no TensorFlow, no training).

tests/test_runs_store.py records real runs; these pin what each branch decides (who is still
running, what a damaged row reads as, which fields may be written), fast enough for `make mutation`.
"""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from hwr_desktop.core.errors import StoreError
from hwr_desktop.core.store.runs import (
    CRASHED,
    FINAL_VAL_LOSS,
    FINISHED,
    INTERRUPTED,
    STOPPED,
    Run,
    RunStore,
    process_alive,
    process_started,
)

HOST = socket.gethostname()


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "runs" / "runs.sqlite3") as s:
        yield s


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def test_who_may_still_be_running_a_run():
    assert process_alive(None, HOST) and process_alive(0, HOST)            # no process recorded
    assert process_alive(12345678, "another-machine")                      # another machine's: assumed so
    assert process_alive(os.getpid(), HOST, _iso(0))                        # this process: alive whatever the clock
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid, HOST)                               # gone


# A child that says which signals reached it: process_alive must only ask (signal 0), never signal.
_LISTENER = """import signal, sys, time
signal.signal(signal.SIGHUP, lambda *_: print("HUP", flush=True))
signal.signal(signal.SIGTERM, lambda *_: (print("TERM", flush=True), sys.exit(0)))
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times come from /proc")
def test_a_process_born_more_than_2_s_after_the_run_is_another_one():
    before = time.time()
    child = subprocess.Popen([sys.executable, "-c", _LISTENER], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        born = process_started(child.pid)
        # /proc gives boot time in whole seconds and the start in clock ticks: within a second or so
        assert before - 1.5 <= born <= time.time() + 1.5
        assert process_alive(child.pid, HOST, _iso(born - 1.5))             # within the 2 s slack: the same
        assert not process_alive(child.pid, HOST, _iso(born - 2.5))         # 2.5 s after the run: reused id
        assert process_alive(child.pid, HOST, "not a date")                 # an unreadable start: not judged
        assert process_alive(child.pid, HOST, None)
    finally:
        child.terminate()                                                   # signals arrive in number order
        heard = child.communicate()[0]
    assert heard == "TERM\n"                                               # no HUP (signal 1) before it
    assert process_started(child.pid) is None                               # no such process any more


def test_architecture_name_and_the_json_form():
    assert Run(1, "t", "train", FINISHED, architecture={"name": "net"}, config={"preset": "p"}).architecture_name == "net"
    assert Run(1, "t", "train", FINISHED, config={"preset": "p"}).architecture_name == "p"
    assert Run(1, "t", "train", FINISHED).architecture_name == "?"
    run = Run(2, "t", "fine-tune", STOPPED, history=[{}, {}, {}], metrics={FINAL_VAL_LOSS: 0.1, "val_accuracy": 0.9})
    out = run.to_dict()
    assert out["epochs"] == 3 and out[FINAL_VAL_LOSS] == 0.1 and out["val_accuracy"] == 0.9 and out["model"] is None
    assert run.metric("val_accuracy") == 0.9 and run.metric("missing") is None


def test_only_known_fields_and_kinds_are_written(store):
    with pytest.raises(StoreError, match="unknown run kind 'predict'"):
        store.start("predict", {}, {}, {})
    run_id = store.start("fine-tune", {}, {}, {}, name="run {id}")
    assert store.get(run_id).name == f"run {run_id}" and store.get(run_id).kind == "fine-tune"
    for key in ("id", "colour"):
        with pytest.raises(StoreError, match=f"no run field '{key}'"):
            store._update(run_id, **{key: 1})
    with pytest.raises(StoreError, match="no run with id 99"):
        store.set_history(99, [])
    with pytest.raises(StoreError, match="cannot end as 'paused'"):
        store.finish(run_id, "paused", {})
    store.finish(run_id, STOPPED, {"a": 1}, history=[{"epoch": 1}], error="stopped by the user", params=5)
    run = store.get(run_id)
    assert (run.status, run.metrics, run.history, run.error, run.params) == (
        STOPPED, {"a": 1}, [{"epoch": 1}], "stopped by the user", 5)
    store.finish(run_id, FINISHED, {})                      # without a history: the recorded one stays
    assert store.get(run_id).history == [{"epoch": 1}]
    with pytest.raises(StoreError, match="whole numbers"):
        store.get("one")


def test_damaged_rows_read_as_empty_and_old_names_as_new(store):
    run_id = store.start("train", {}, {}, {})
    store.finish(run_id, FINISHED, {"val_loss": 0.3})
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE runs SET history = 'not json', config = '{', architecture = '[' WHERE id = ?", (run_id,))
    run = store.get(run_id)
    assert run.history == [] and run.config == {} and run.architecture == {}
    assert run.metrics == {FINAL_VAL_LOSS: 0.3}                 # rows from before the rename
    other = store.start("train", {}, {}, {})
    store.finish(other, FINISHED, {"val_loss": 0.3, FINAL_VAL_LOSS: 0.2})
    assert store.get(other).metrics == {FINAL_VAL_LOSS: 0.2}    # the new name wins


def test_a_dead_runs_own_error_is_kept_and_a_finished_run_is_never_judged(store):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    a, b = store.start("train", {}, {}, {}), store.start("train", {}, {}, {})
    store.finish(b, FINISHED, {})
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE runs SET pid = ?, error = 'out of memory' WHERE id = ?", (child.pid, a))
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (child.pid, b))
    assert (store.get(a).status, store.get(a).error) == (CRASHED, "out of memory")
    assert store.get(b).status == FINISHED and store.get(b).error is None
    c = store.start("train", {}, {}, {})
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (child.pid, c))
    assert store.get(c).error == INTERRUPTED


def test_discard_removes_only_a_run_still_running(store):
    a, b = store.start("train", {}, {}, {}), store.start("train", {}, {}, {})
    store.finish(b, FINISHED, {})
    store.discard(a)
    store.discard(b)
    assert [run.id for run in store.list()] == [b] and len(store) == 1
    assert store.get(b).status == FINISHED
    assert store.disk_usage() == 0                               # no models folder yet
    store.models_dir.mkdir(parents=True)
    (store.models_dir / "note.txt").write_bytes(b"x" * 50)      # not a model file: not counted
    (store.models_dir / "7.keras").write_bytes(b"x" * 20)
    assert store.disk_usage() == 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times come from /proc")
def test_a_command_name_with_a_bracket_does_not_confuse_the_start_time(tmp_path):
    # /proc/<pid>/stat is "pid (name) state ...": the name may hold ") ", so it is split at the last ")"
    odd = tmp_path / "x) y"
    odd.symlink_to(sys.executable)
    before = time.time()
    child = subprocess.Popen([str(odd), "-c", "import time; time.sleep(30)"])
    try:
        with open(f"/proc/{child.pid}/stat") as stat:
            assert "(x) y)" in stat.read()
        born = process_started(child.pid)
        assert born is not None and before - 1.5 <= born <= time.time() + 1.5
    finally:
        child.kill()
        child.wait()


def test_the_store_lives_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    assert RunStore.default_path() == tmp_path / "data" / "runs" / "runs.sqlite3"


def test_a_model_file_that_cannot_be_removed_is_reported_after_the_row_is_gone(store):
    run_id = store.start("train", {}, {}, {})
    store.finish(run_id, FINISHED, {})
    store.model_path(run_id).mkdir(parents=True)            # a folder where the file would be: unlink fails
    with pytest.raises(StoreError, match=rf"^run {run_id} deleted, but not its model file: Is a directory$"):
        store.delete(run_id)
    assert len(store) == 0
