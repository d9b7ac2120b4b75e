"""`hwr-desktop runs`: a run trained from the command line is recorded and can be listed, shown,
compared, exported and deleted."""
import csv
import json

import pytest

from tests.test_cli import run

LIST_KEYS = {"id", "started", "kind", "name", "architecture", "config", "history", "val_accuracy", "test_accuracy",
             "train_seconds", "params", "model"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def train(capsys, *extra):
    code, out, err = run(capsys, "train", "--preset", "quick", "--train-limit", "512", "--epochs", "1", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_cli_runs_are_recorded_listed_shown_compared_and_deleted(capsys, data_dir, tmp_path):
    first = train(capsys, "--out", str(tmp_path / "a.keras"))
    second = train(capsys, "--learning-rate", "0.003", "--seed", "7", "--out", str(tmp_path / "b.keras"))

    code, out, err = run(capsys, "runs", "list", "--json")
    assert code == 0, err
    runs = json.loads(out)
    assert len(runs) == 2 and all(LIST_KEYS <= r.keys() for r in runs)
    a, b = runs
    assert (a["kind"], a["status"], a["name"]) == ("train", "finished", f"quick #{a['id']}")
    assert a["test_accuracy"] == pytest.approx(first["test_accuracy"])
    assert b["val_accuracy"] == pytest.approx(second["val_accuracy"])
    assert b["config"]["learning_rate"] == 0.003 and b["config"]["seed"] == 7 and a["config"]["seed"] == 0
    assert len(a["history"]) == 1 and a["params"] > 0 and a["architecture"]["layers"]
    model = data_dir / "runs" / "models" / f"{a['id']}.keras"
    assert a["model"] == str(model) and model.is_file()

    code, out, _ = run(capsys, "runs", "list")
    assert code == 0 and f"quick #{a['id']}" in out and "2 runs; their model files take" in out

    code, out, _ = run(capsys, "runs", "show", str(b["id"]), "--json")
    assert code == 0 and json.loads(out)["config"]["learning_rate"] == 0.003
    code, out, _ = run(capsys, "runs", "show", str(b["id"]))
    assert code == 0 and "epoch 1:" in out and "parameters" in out

    code, out, _ = run(capsys, "runs", "compare", str(a["id"]), str(b["id"]), "--json")
    doc = json.loads(out)
    diffs = {d["key"]: (d["a"], d["b"]) for d in doc["differences"]}
    assert diffs["config.seed"] == (0, 7) and diffs["config.learning_rate"][1] == 0.003
    assert "config.preset" not in diffs and doc["figures"]["test_accuracy"][0] == a["test_accuracy"]
    code, out, _ = run(capsys, "runs", "compare", str(a["id"]), str(b["id"]))
    assert code == 0 and "config.seed" in out and "test_accuracy" in out and "config.epochs" not in out

    code, out, _ = run(capsys, "runs", "export-csv", str(tmp_path / "runs.csv"))
    assert code == 0
    rows = list(csv.DictReader(open(tmp_path / "runs.csv", encoding="utf-8")))
    assert [int(r["id"]) for r in rows] == [a["id"], b["id"]] and float(rows[1]["Test"]) == b["test_accuracy"]

    code, out, _ = run(capsys, "runs", "delete", str(a["id"]))
    assert code == 0 and not model.exists()
    code, out, _ = run(capsys, "runs", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == [b["id"]]


def test_unknown_run_ids_are_one_line_errors(capsys, data_dir):
    for argv in (("show", "999"), ("delete", "999"), ("compare", "1", "999"), ("show", "abc")):
        code, out, err = run(capsys, "runs", *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and "run" in err, argv
    code, out, _ = run(capsys, "runs", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_the_final_calibrated_val_loss_and_the_per_epoch_one_are_named_apart(capsys, data_dir, tmp_path):
    """`runs show` printed the last epoch's val_loss (during training, temperature 1) and `runs compare` the
    final calibrated one, both as "val_loss" (0.0804 against 0.0309 for one run)."""
    trained = train(capsys, "--out", str(tmp_path / "a.keras"))
    code, out, _ = run(capsys, "runs", "list", "--json")
    (listed,) = json.loads(out)
    run_id = str(listed["id"])
    code, out, _ = run(capsys, "runs", "show", run_id, "--json")
    shown = json.loads(out)
    final = shown["val_loss_calibrated"]
    assert "val_loss" not in shown and "val_loss" not in shown["metrics"]
    assert shown["metrics"]["val_loss_calibrated"] == final and shown["test_loss"] == pytest.approx(trained["test_loss"])
    epoch_val_loss = shown["history"][-1]["val_loss"]
    assert final != pytest.approx(epoch_val_loss, abs=1e-4)      # the two figures do differ

    code, out, _ = run(capsys, "runs", "compare", run_id, run_id, "--json")
    figures = json.loads(out)["figures"]
    assert figures["val_loss_calibrated"] == [final, final] and "val_loss" not in figures
    code, out, _ = run(capsys, "runs", "show", run_id)
    assert f"final model (calibrated): val_loss_calibrated {final:.4f}, test_loss {shown['test_loss']:.4f}" in out
    assert "per epoch, during training (uncalibrated):" in out and f"val_loss {epoch_val_loss:.4f}" in out
    code, out, _ = run(capsys, "runs", "export-csv", str(tmp_path / "runs.csv"))
    (row,) = list(csv.DictReader(open(tmp_path / "runs.csv", encoding="utf-8")))
    assert float(row["val_loss_calibrated"]) == final and "val_loss" not in row


def test_rows_recorded_before_the_split_read_their_final_val_loss_under_the_new_name(data_dir):
    from hwr_desktop.core.store.runs import RunStore
    with RunStore() as store:
        run_id = store.start("train", {"name": "quick", "layers": []}, {}, {})
        store.finish(run_id, "finished", {"val_loss": 0.0309, "test_loss": 0.02})
        shown = store.get(run_id).to_dict()
    assert shown["val_loss_calibrated"] == 0.0309 and "val_loss" not in shown["metrics"]
