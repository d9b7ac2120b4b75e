"""The run history store (core/store/runs.py) and its recording by the pipeline (core/training/run_recorder.py)."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hwr_desktop.core.errors import StoreError
from hwr_desktop.core.store.runs import CRASHED, FINISHED, INTERRUPTED, RUNNING, STOPPED, RunStore
from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(preset="quick", epochs=2, train_limit=512, val_limit=256)


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "runs" / "runs.sqlite3") as s:
        yield s


def start(store, **kw):
    return store.start("train", {"name": "quick", "layers": [{"type": "Dense", "units": 10}]},
                       {"preset": "quick", "seed": 3, "learning_rate": 0.01, **kw}, {"cpu": "x", "threads": 2},
                       params=1234, macs=5678, name="quick #{id}")


def test_record_update_finish(store):
    run_id = start(store)
    run = store.get(run_id)
    assert (run.status, run.kind, run.name, run.params, run.macs) == (RUNNING, "train", f"quick #{run_id}", 1234, 5678)
    assert run.config["seed"] == 3 and run.history == [] and run.finished is None
    store.set_history(run_id, [{"epoch": 1, "loss": 0.5, "val_accuracy": 0.9}])
    assert store.get(run_id).history[0]["loss"] == 0.5
    store.finish(run_id, FINISHED, {"val_accuracy": 0.91, "test_accuracy": 0.92, "train_seconds": 3.5})
    run = store.get(run_id)
    assert run.status == FINISHED and run.finished and run.metrics["test_accuracy"] == 0.92
    d = run.to_dict()
    assert (d["val_accuracy"], d["test_accuracy"], d["train_seconds"], d["epochs"]) == (0.91, 0.92, 3.5, 1)
    json.dumps(d)
    store.rename(run_id, "  best so far ")
    store.set_notes(run_id, "lr 0.01\nseed 3")
    assert (store.get(run_id).name, store.get(run_id).notes) == ("best so far", "lr 0.01\nseed 3")
    with pytest.raises(StoreError, match="no run with id 99"):
        store.rename(99, "x")
    with pytest.raises(StoreError, match="cannot end as 'running'"):
        store.finish(run_id, RUNNING, {})


def test_stopped_and_crashed_are_kept_as_such(store):
    a, b = start(store), start(store)
    store.finish(a, STOPPED, {"stopped_early": True})
    store.finish(b, CRASHED, {}, error="RuntimeError: boom")
    assert [(r.id, r.status) for r in store.list()] == [(a, STOPPED), (b, CRASHED)]
    assert store.get(b).error == "RuntimeError: boom"


def test_a_running_row_of_a_dead_process_reads_as_crashed(store):
    run_id = start(store)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()                       # its pid is now free: no process has it
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (child.pid, run_id))
    run = store.get(run_id)
    assert run.status == CRASHED and run.error == INTERRUPTED
    other = start(store)               # this process is alive: still running
    assert store.get(other).status == RUNNING
    with pytest.raises(StoreError, match="still running"):
        store.delete(other)
    store.delete(run_id)               # an interrupted run can go
    assert [r.id for r in store.list()] == [other]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process start times come from /proc")
def test_a_pid_reused_by_a_later_process_reads_as_crashed(store):
    from hwr_desktop.core.store.runs import process_started
    run_id = start(store)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert abs(process_started(child.pid) - time.time()) < 5
        with sqlite3.connect(store.path) as conn:       # the run's process had this id an hour ago
            conn.execute("UPDATE runs SET pid = ?, started = ? WHERE id = ?",
                         (child.pid, datetime.fromtimestamp(time.time() - 3600, UTC).isoformat(), run_id))
        assert store.get(run_id).status == CRASHED     # alive, but not the process that started the run
        with sqlite3.connect(store.path) as conn:
            conn.execute("UPDATE runs SET started = ? WHERE id = ?", (datetime.now(UTC).isoformat(), run_id))
        assert store.get(run_id).status == RUNNING     # started with the run: it may still be running it
    finally:
        child.kill()
        child.wait()


def test_delete_removes_row_then_model_file_and_disk_use(store):
    a, b = start(store), start(store)
    store.models_dir.mkdir(parents=True)
    for run_id, size in ((a, 1000), (b, 3000)):
        path = store.model_path(run_id)
        path.write_bytes(b"x" * size)
        store.attach_model(run_id, path)
        store.finish(run_id, FINISHED, {})
    assert store.get(a).model == store.model_path(a) and store.get(a).model_bytes == 1000
    assert store.disk_usage() == 4000
    store.delete(a)
    assert not store.model_path(a).exists() and store.model_path(b).exists()
    assert store.disk_usage() == 3000 and len(store) == 1
    with pytest.raises(StoreError, match=f"no run with id {a}"):
        store.get(a)
    assert start(store) == b + 1       # ids are never reused


def test_a_damaged_store_is_moved_aside(tmp_path):
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store, backup = RunStore.open_or_recover(path)
    with store:
        assert len(store) == 0 and backup.exists() and "corrupt" in backup.name


WRITER = """
import sys
from hwr_desktop.core.store.runs import RunStore
store = RunStore(sys.argv[1])
pause_after = int(sys.argv[2])     # finished runs before one waits mid-run (its 3rd epoch committed); -1: never
i = 0
while True:
    run_id = store.start("train", {"name": "quick", "layers": []}, {"seed": i}, {}, name="r{id}")
    history = []
    for epoch in range(1, 6):
        history.append({"epoch": epoch, "loss": 1.0 / epoch, "pad": "x" * 20000})
        store.set_history(run_id, history)
        if i == pause_after and epoch == 3:
            print("paused", flush=True)
            sys.stdin.readline()       # the test kills it here: certainly mid-run
    store.finish(run_id, "finished", {"val_accuracy": 0.5})
    print(run_id, flush=True)
    i += 1
"""


def test_a_writer_killed_at_any_moment_leaves_a_readable_store(tmp_path):
    path = tmp_path / "runs.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    committed, crashed = [], 0
    # Killed by what it has done, never after a delay: the 1st writer while it waits mid-run (a crashed
    # run for certain), the others as soon as they report their 2nd and 3rd finished run (wherever
    # they are in the next one by then: between commits, inside one, or before it started).
    for kill in range(1, 4):
        pause_after = 1 if kill == 1 else -1
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(pause_after)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=env, text=True)
        lines = []
        while not lines or (lines[-1] != "paused" if kill == 1 else len(lines) < kill):
            line = proc.stdout.readline()
            assert line, "the writer ended on its own"
            lines.append(line.strip())
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        committed += [int(line) for line in lines + out.split() if line.isdigit()]
        with RunStore(path) as store:         # opens: quick_check passes, a hot journal is rolled back
            runs = {r.id: r for r in store.list()}
            assert all(runs[i].status == FINISHED for i in committed)
            # The run in flight reads as crashed (its process is gone), with the epochs it committed;
            # or, killed between its last commit and the print, as finished.
            in_flight = [r for i, r in runs.items() if i not in committed]
            assert all(r.status in (CRASHED, FINISHED) for r in in_flight)
            assert all(r.error == INTERRUPTED for r in in_flight if r.status == CRASHED)
            crashed = sum(r.status == CRASHED for r in runs.values())
            assert crashed <= kill
            assert all([h["epoch"] for h in r.history] == list(range(1, len(r.history) + 1)) for r in runs.values())
            with sqlite3.connect(path) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert committed and crashed


class Counting(TrainingCallbacks):
    def __init__(self):
        self.batches = self.epochs = 0

    def on_batch(self, info):
        self.batches += 1

    def on_epoch(self, info):
        self.epochs += 1


def test_train_model_records_a_finished_run_with_its_model(tmp_path):
    from hwr_desktop.core.models.modelfile import load_model
    from hwr_desktop.core.training.pipeline import train_model
    callbacks = Counting()
    trained = train_model(TrainingConfig(**TINY, seed=5), callbacks)
    assert callbacks.epochs == 2 and callbacks.batches > 0       # the caller's callbacks still get everything
    with RunStore() as store:
        run = store.get(trained.run_id)
    assert run.status == FINISHED and run.kind == "train" and run.name == f"quick #{run.id}"
    assert run.config["seed"] == 5 and run.config["learning_rate"] > 0 and run.config["train_limit"] == 512
    assert [h["epoch"] for h in run.history] == [1, 2]
    assert run.params == trained.model.count_params() > 0 and run.macs > run.params
    # the network as the design it was built from (core/network/design.py)
    assert run.architecture == {"name": "quick", "layers": trained.result.config.architecture["layers"]}
    m = run.metrics
    assert m["test_accuracy"] == pytest.approx(trained.report.accuracy)
    assert m["val_accuracy"] == trained.result.val_accuracy and len(m["val_per_digit"]) == 10
    assert len(m["test_per_digit"]) == 10 and 0 < m["test_ece"] < 1 and m["calibration"]["temperature"] > 0
    assert m["images_per_second"] > 0 and m["train_seconds"] > 0 and m["stopped_early"] is False
    assert run.machine["threads"] == os.cpu_count() and run.machine["cpu"]
    assert run.model is not None and run.model_bytes == run.model.stat().st_size
    model, info = load_model(run.model)
    assert info.metrics.test_accuracy == m["test_accuracy"]


def test_a_stopped_run_and_a_crashed_run_are_recorded(monkeypatch):
    from hwr_desktop.core.training import pipeline
    stop = threading.Event()

    class StopAfterFirstEpoch(TrainingCallbacks):
        def on_epoch(self, info):
            stop.set()
    trained = pipeline.train_model(TrainingConfig(**TINY), StopAfterFirstEpoch(), stop=stop)
    with RunStore() as store:
        run = store.get(trained.run_id)
    assert run.status == STOPPED and len(run.history) == 1 and run.metrics["stopped_early"] is True
    assert run.model is not None                      # the epoch it did finish is kept

    def boom(*args, **kwargs):
        raise RuntimeError("calibration exploded")
    monkeypatch.setattr("hwr_desktop.core.models.calibration.calibrate", boom)
    with RunStore() as store:
        before = {r.id for r in store.list()}
    with pytest.raises(RuntimeError, match="exploded"):
        pipeline.train_model(TrainingConfig(**{**TINY, "epochs": 1}))
    with RunStore() as store:
        (new,) = [r for r in store.list() if r.id not in before]
    assert new.status == CRASHED and "calibration exploded" in new.error and len(new.history) == 1


def test_a_store_that_cannot_be_written_never_costs_the_training(monkeypatch, tmp_path):
    from hwr_desktop.core.training.pipeline import train_model
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(blocked))
    with pytest.warns(RuntimeWarning, match="not recorded in the run history"):
        trained = train_model(TrainingConfig(**{**TINY, "epochs": 1}))
    assert trained.report is not None and trained.run_id is None
    trained = train_model(TrainingConfig(**{**TINY, "epochs": 1}), record=False)   # opting out: no warning
    assert trained.run_id is None


def test_finetune_model_records_a_fine_tune_run(tiny_model_file, mnist):
    import dataclasses

    from hwr_desktop.core.models.modelfile import load_model
    from hwr_desktop.core.training.finetune import FinetuneConfig
    from hwr_desktop.core.training.pipeline import finetune_model
    small = dataclasses.replace(mnist, x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000],
                                x_val=mnist.x_val[:1000], y_val=mnist.y_val[:1000])
    samples = (mnist.x_val[-30:], mnist.y_val[-30:])
    base = load_model(tiny_model_file)
    callbacks = Counting()
    tuned = finetune_model(base, samples, FinetuneConfig(epochs=2, replay_size=256, val_size=200, seed=9,
                                                         min_mnist_accuracy=0.0),
                           callbacks, data=small, base_name="tiny.keras")
    assert tuned.result.kept and callbacks.epochs == 2
    with RunStore() as store:
        run = store.get(tuned.run_id)
    assert run.kind == "fine-tune" and run.status == FINISHED and run.name == f"quick fine-tune #{run.id}"
    assert run.config["seed"] == 9 and run.config["base_model"] == "tiny.keras" and run.config["replay_size"] == 256
    assert [h["epoch"] for h in run.history] == [1, 2] and "personal_accuracy" in run.history[0]
    assert run.metrics["test_accuracy"] == tuned.result.mnist_accuracy_after
    assert len(run.metrics["val_per_digit"]) == 10 and 0 < run.metrics["val_accuracy"] <= 1
    assert run.architecture["name"] == "quick" and run.params == base[0].count_params()
    assert run.model is not None and load_model(run.model)[1].finetune["base_model"] == "tiny.keras"

    stop = threading.Event()
    stop.set()                                       # stopped before it starts: nothing kept, recorded as stopped
    tuned = finetune_model(base, samples, FinetuneConfig(epochs=1, replay_size=256), stop=stop, data=small)
    with RunStore() as store:
        run = store.get(tuned.run_id)
    assert run.status == STOPPED and run.model is None and run.history == []


def test_a_foreign_network_is_recorded_by_name_and_parameters():
    import keras

    from hwr_desktop.core.training.run_recorder import _architecture_of
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)
    outputs = keras.layers.Add()([keras.layers.Dense(10)(flat), keras.layers.Dense(10)(flat)])
    model = keras.Model(inputs, outputs)
    assert _architecture_of(model, "theirs") == ({"name": "theirs", "layers": []}, model.count_params(), None)


def test_the_diff_names_what_differs_in_architecture_and_config(store):
    from hwr_desktop.core.store.runs_report import diff_runs
    layers = [{"type": "Conv2D", "filters": 32, "kernel_size": 3}, {"type": "Dense", "units": 10}]
    a = store.start("train", {"name": "a", "layers": layers}, {"seed": 1, "architecture": {"layers": layers}}, {})
    wider = [{**layers[0], "filters": 64}, layers[1], {"type": "Dropout", "rate": 0.2}]
    b = store.start("train", {"name": "b", "layers": wider}, {"seed": 1, "architecture": {"layers": wider}}, {})
    rows = diff_runs(store.get(a), store.get(b))
    assert rows == [("architecture[0].filters", 32, 64), ("architecture[2].rate", None, 0.2),
                    ("architecture[2].type", None, "Dropout")]
    assert ("config.seed", 1, 1) in diff_runs(store.get(a), store.get(b), everything=True)


def test_a_refused_fine_tune_is_not_a_run(tiny_model_file, mnist):
    """Too few personal samples is refused before any network is built: the user gets the one-line error
    and the history stays as it was (it once kept "quick fine-tune #N crashed" with 0 parameters)."""
    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.training.pipeline import finetune_model
    with RunStore() as store:
        before = [(r.id, r.status) for r in store.list()]
    with pytest.raises(HwrError, match=r"at least 10 personal samples \(there are 4\)"):
        finetune_model(tiny_model_file, (mnist.x_val[:4], mnist.y_val[:4]))
    with RunStore() as store:
        assert [(r.id, r.status) for r in store.list()] == before


def test_a_run_that_fails_after_it_started_is_still_recorded_as_crashed(monkeypatch):
    from hwr_desktop.core.training import pipeline

    class Boom(TrainingCallbacks):
        def on_epoch(self, info):
            raise RuntimeError("epoch handler exploded")
    with RunStore() as store:
        before = {r.id for r in store.list()}
    with pytest.raises(RuntimeError, match="exploded"):
        pipeline.train_model(TrainingConfig(**{**TINY, "epochs": 1}), Boom())
    with RunStore() as store:
        (new,) = [r for r in store.list() if r.id not in before]
    assert new.status == CRASHED and new.params and new.params > 0


def test_the_bench_gui_probes_never_write_the_users_history(tmp_path, monkeypatch):
    """The probes drive the real Training panel, which records its runs: they get throw-away user data
    and settings folders (bench --quick once left "quick #3 stopped" in the user's run history)."""
    from hwr_desktop.devtools.bench import probe_environment
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", "/home/someone/.local/share/hwr-desktop")
    monkeypatch.setenv("HWR_DESKTOP_CONFIG_DIR", "/home/someone/.config/hwr-desktop")
    env = probe_environment(tmp_path)
    for key in ("HWR_DESKTOP_DATA_DIR", "HWR_DESKTOP_CONFIG_DIR"):
        assert Path(env[key]).parent == tmp_path
    assert env["QT_QPA_PLATFORM"] == "offscreen" and env["PATH"] == os.environ["PATH"]
