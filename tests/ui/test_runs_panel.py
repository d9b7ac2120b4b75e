"""The Runs tab: runs recorded by the GUI's training worker, listed, sorted, overlaid, compared,
renamed, annotated, deleted, exported and opened for drawing."""
import csv
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt

from hwr_desktop.core.store.runs import FINISHED, STOPPED, RunStore
from hwr_desktop.core.training.loop import TrainingConfig
from hwr_desktop.ui.panels.runs_panel import RunsPanel
from hwr_desktop.ui.widgets.run_curves import SECONDS

TEST_COLUMN = 9


def history(epochs: int, top: float, seconds: float) -> list[dict]:
    return [{"epoch": e, "loss": 1.0 / e, "accuracy": top - 0.02 / e, "val_loss": 1.2 / e,
             "val_accuracy": top - 0.03 / e, "seconds": seconds} for e in range(1, epochs + 1)]


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "runs" / "runs.sqlite3") as s:
        yield s


def add_run(store, lr: float, seed: int, test: float, epochs: int = 3, status=FINISHED, model_bytes: int = 0) -> int:
    layers = [{"type": "Conv2D", "filters": 32}, {"type": "Dense", "units": 10}]
    run_id = store.start("train", {"name": "quick", "layers": layers},
                         {"preset": "quick", "learning_rate": lr, "seed": seed, "epochs": epochs}, {"cpu": "test"},
                         params=1000 + seed, name="quick #{id}")
    if model_bytes:
        store.models_dir.mkdir(parents=True, exist_ok=True)
        store.model_path(run_id).write_bytes(b"m" * model_bytes)
        store.attach_model(run_id, store.model_path(run_id))
    store.finish(run_id, status, {"val_accuracy": test - 0.001, "test_accuracy": test, "train_seconds": 2.0 * epochs},
                 history(epochs, test, 2.0 + seed))
    return run_id


def test_the_gui_training_worker_records_its_run(qtbot, tmp_path, monkeypatch):
    from hwr_desktop.ui.workers.training import TrainingWorker
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    worker = TrainingWorker(TrainingConfig(preset="quick", epochs=2, train_limit=512, val_limit=256, seed=4))
    epochs = []
    worker.epochDone.connect(epochs.append)       # the recorder forwards every callback to the worker
    with qtbot.waitSignal(worker.resultReady, timeout=180000) as result:
        worker.start()
    worker.wait()
    outcome = result.args[0]
    assert len(epochs) == 2 and outcome.run_id is not None
    with RunStore() as store:
        run = store.get(outcome.run_id)
    assert run.status == FINISHED and run.kind == "train" and run.config["seed"] == 4
    assert [h["val_accuracy"] for h in run.history] == [e.val_accuracy for e in epochs]
    assert run.metrics["test_accuracy"] == pytest.approx(outcome.report.accuracy)
    assert run.model is not None and run.model.is_file()

    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.refresh()
    assert [r.id for r in panel.runs] == [run.id]


def test_the_panel_lists_sorts_overlays_and_compares(qtbot, store):
    a = add_run(store, 0.001, 1, 0.95)
    b = add_run(store, 0.003, 2, 0.99, epochs=4)
    c = add_run(store, 0.003, 3, 0.97, status=STOPPED)
    panel = RunsPanel(store.path)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.proxy.rowCount() == 3
    panel.table.sortByColumn(TEST_COLUMN, Qt.SortOrder.AscendingOrder)
    assert [panel.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 2) for r in range(3)] == [a, c, b]
    assert panel.proxy.index(0, TEST_COLUMN).data() == "95.00%"
    panel.table.sortByColumn(TEST_COLUMN, Qt.SortOrder.DescendingOrder)
    assert panel.proxy.index(0, TEST_COLUMN).data() == "99.00%"
    assert "stopped" in {panel.proxy.index(r, 3).data() for r in range(3)}

    panel.select_runs([a, b])
    assert panel.selected_ids() == [b, a]                       # table order: best test first
    curves = panel.curves.curves
    assert {key for key in curves if key[1] == "val_loss"} == {(a, "val_loss"), (b, "val_loss")}
    xs, ys = curves[(b, "val_accuracy")].getData()
    assert list(xs) == [1, 2, 3, 4] and ys[-1] == pytest.approx(0.99 - 0.03 / 4)
    panel.axisCombo.setCurrentIndex(panel.axisCombo.findData(SECONDS))
    xs, _ = panel.curves.curves[(b, "val_accuracy")].getData()
    assert np.allclose(xs, [4.0, 8.0, 12.0, 16.0])              # 4 s per epoch, cumulated
    diff = {row[0]: row[1:] for row in panel.diff_rows()}
    assert diff["config.learning_rate"] == ("0.003", "0.001") and diff["config.seed"] == ("2", "1")
    assert "config.preset" not in diff and "architecture[0].filters" not in diff
    panel.diffAll.setChecked(True)
    assert ("architecture[0].filters", "32", "32") in panel.diff_rows()

    panel.select_runs([a, b, c])
    assert len([k for k in panel.curves.curves if k[1] == "val_accuracy"]) == 3


def test_rename_notes_delete_export_and_open(qtbot, store, tmp_path):
    a = add_run(store, 0.001, 1, 0.95, model_bytes=5000)
    b = add_run(store, 0.002, 2, 0.96, model_bytes=7000)
    panel = RunsPanel(store.path)
    qtbot.addWidget(panel)
    panel.refresh()
    assert "12,000 bytes" in panel.usageLabel.text() or "11.7 KiB" in panel.usageLabel.text()
    assert panel.rename(a, "lower lr") and panel.set_notes(a, "try 0.001 again")
    with RunStore(store.path) as again:                         # persisted, not only shown
        assert (again.get(a).name, again.get(a).notes) == ("lower lr", "try 0.001 again")
    assert "lower lr" in {panel.proxy.index(r, 0).data() for r in range(2)}
    panel.select_runs([a])
    assert panel.notesLabel.text() == "Notes: try 0.001 again" and panel.buttons["open"].isEnabled()

    with qtbot.waitSignal(panel.openModelRequested) as opened:
        panel.open_selected()
    assert opened.args == [str(store.model_path(a))]

    panel.export_csv(tmp_path / "runs.csv")
    rows = list(csv.DictReader(open(tmp_path / "runs.csv", encoding="utf-8")))
    assert [r["Name"] for r in rows] == ["lower lr", f"quick #{b}"] and rows[0]["notes"] == "try 0.001 again"

    assert panel.delete_runs([a])
    assert [r.id for r in panel.runs] == [b] and not store.model_path(a).exists()
    assert "1 runs" in panel.usageLabel.text() and "6.8 KiB" in panel.usageLabel.text()
    errors = []
    panel.errorOccurred.connect(lambda title, message: errors.append(message))
    assert not panel.rename(a, "gone")
    assert errors == [f"no run with id {a}"]


def test_the_runs_tab_opens_a_runs_model_for_drawing(window, qtbot, good_model_file):
    with RunStore() as store:
        run_id = add_run(store, 0.001, 1, 0.99)
        store.models_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(good_model_file, store.model_path(run_id))
        store.attach_model(run_id, store.model_path(run_id))
    panel = window.runs_panel
    window.show_view(panel)                         # showing the tab re-reads the store
    assert run_id in [r.id for r in panel.runs]
    panel.select_runs([run_id])
    panel.open_selected()
    qtbot.waitUntil(lambda: window.session.path == store.model_path(run_id), timeout=30000)
    assert window.session.ready


def test_the_runs_can_be_sorted_from_the_keyboard(qtbot, store):
    from PySide6.QtTest import QTest
    a, b = add_run(store, 0.001, 1, 0.95), add_run(store, 0.003, 2, 0.99)
    panel = RunsPanel(store.path)
    qtbot.addWidget(panel)
    panel.refresh()
    header = panel.table.horizontalHeader()
    header.setSortIndicator(TEST_COLUMN - 1, Qt.SortOrder.AscendingOrder)
    QTest.keyClick(header, Qt.Key.Key_Right)                   # the next column: Test
    assert header.sortIndicatorSection() == TEST_COLUMN
    assert [panel.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 2) for r in range(2)] == [a, b]
    QTest.keyClick(header, Qt.Key.Key_Space)                   # the other way
    assert [panel.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 2) for r in range(2)] == [b, a]
