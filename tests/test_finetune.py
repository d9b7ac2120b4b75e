"""Fine-tuning on personal samples (core and CLI), with a synthetic writer the base model misreads.

The writer: continental digits (a 1 with a long up-stroke, a 7 crossed at mid-height) written
with a strong slant, made from MNIST *validation* digits and prepared by the app's own
preprocessing, as a drawing would be. Figures are measured against the bundled model.
"""
import json
import threading

import numpy as np
import pytest
from PIL import Image

from hwr_desktop.cli import main
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.store.samples import SampleStore
from hwr_desktop.core.training import finetune as finetune_module
from hwr_desktop.core.training.finetune import FinetuneConfig, finetune, split_personal
from hwr_desktop.core.training.loop import TrainingCallbacks
from hwr_desktop.devtools.synthetic import slanted_writer as writer_style
from hwr_desktop.resources import default_model_path
from tests.conftest import draw_digit_like

PER_DIGIT = 6           # samples the user adds per digit
HELD_OUT = 600          # other digits in the same hand, never seen by fine-tuning


@pytest.fixture(autouse=True)
def _own_sample_store(tmp_path, monkeypatch):
    """A fresh, empty sample store for every test (conftest's data folder is shared by the session)."""
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "userdata"))


@pytest.fixture(scope="module")
def small_mnist(mnist):
    """MNIST with a 1,000-image test set: enough for the mechanics tests, a tenth of the evaluation time."""
    import dataclasses
    return dataclasses.replace(mnist, x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000])


@pytest.fixture(scope="module")
def writer(mnist):
    """(x_personal, y_personal, x_held, y_held): 6 samples per digit, and 600 held-out digits."""
    source = np.arange(1000, len(mnist.x_val))  # the first 1000 validation images score fine-tuning epochs
    personal = np.concatenate([source[mnist.y_val[source] == d][:PER_DIGIT] for d in range(10)])
    held = source[~np.isin(source, personal)][:HELD_OUT]
    make = lambda idx: np.stack([writer_style(mnist.x_val[i], int(mnist.y_val[i])) for i in idx])  # noqa: E731
    return make(personal), mnist.y_val[personal], make(held), mnist.y_val[held]


def errors(model, x, y) -> int:
    from hwr_desktop.core.models.evaluation import predict_logits
    return int((predict_logits(model, x).argmax(axis=1) != y).sum())


def test_finetuning_learns_a_new_hand_without_forgetting_mnist(writer, tmp_path):
    from hwr_desktop.core.models.modelfile import load_model
    x_personal, y_personal, x_held, y_held = writer
    base, metadata = load_model(default_model_path())
    errors_before = errors(base, x_held, y_held)
    assert errors_before >= 0.2 * HELD_OUT    # the base model misreads this hand (measured: 150 of 600)

    with SampleStore(tmp_path / "samples.sqlite3") as store:
        store.add_many(zip(x_personal, y_personal.tolist(), [None] * len(y_personal)))
        result = finetune((base, metadata), store, FinetuneConfig(seed=0))
    errors_after = errors(result.model, x_held, y_held)
    print(f"\nwriter style: base errors {errors_before}/{HELD_OUT}, after {errors_after}; "
          f"MNIST {result.mnist_accuracy_before:.4f} -> {result.mnist_accuracy_after:.4f}; "
          f"held-out personal {result.personal_accuracy_before} -> {result.personal_accuracy_after}; "
          f"{result.train_seconds:.1f} s")
    assert errors_after <= errors_before / 2                      # at least half of the errors fixed
    assert result.mnist_accuracy_after >= 0.995 and result.kept   # without forgetting MNIST
    assert result.personal_samples == 60 and result.personal_train + result.personal_held_out == 60
    assert result.personal_accuracy_after >= result.personal_accuracy_before
    assert len(result.history) == result.config.epochs and not result.stopped
    assert errors(base, x_held, y_held) == errors_before          # the caller's model is left as it was


def test_held_out_split_is_stratified_and_keeps_training_data_per_digit():
    labels = np.array([d for d in range(10) for _ in range(6)] + [3] * 4 + [9])  # digit 3: 10, digit 9: 7
    train, held = split_personal(np.append(labels, 5), 0.2, seed=1)
    assert len(np.intersect1d(train, held)) == 0 and len(train) + len(held) == len(labels) + 1
    held_counts = np.bincount(np.append(labels, 5)[held], minlength=10)
    assert held_counts.tolist() == [1, 1, 1, 2, 1, 1, 1, 1, 1, 1]
    lone = np.array([4])                                        # a digit with one sample trains, is not held out
    assert [len(a) for a in split_personal(lone, 0.2, 0)] == [1, 0]
    assert len(split_personal(labels, 0.0, 0)[1]) == 0


@pytest.fixture(scope="module")
def tiny(tiny_model_file):
    from hwr_desktop.core.models.modelfile import load_model
    return load_model(tiny_model_file)


def test_not_enough_or_bad_samples_are_clear_errors(tiny):
    x = np.zeros((5, 28, 28), np.uint8)
    with pytest.raises(HwrError, match="at least 10 personal samples"):
        finetune(tiny, (x, np.arange(5)))
    with pytest.raises(HwrError, match="uint8"):
        finetune(tiny, (np.zeros((12, 28, 28), np.float32), np.zeros(12)))
    with pytest.raises(HwrError, match="0 to 9"):
        finetune(tiny, (np.zeros((12, 28, 28), np.uint8), np.full(12, 11)))


def test_stop_flag_ends_finetuning_within_a_batch_and_nothing_is_kept(tiny, writer, small_mnist):
    x_personal, y_personal, _, _ = writer
    stop = threading.Event()

    class StopAfterThree(TrainingCallbacks):
        batches = 0

        def on_batch(self, info):
            StopAfterThree.batches += 1
            if info.step == 3:
                stop.set()
    weights = [w.copy() for w in tiny[0].get_weights()]
    result = finetune(tiny, (x_personal, y_personal), FinetuneConfig(replay_size=2000), StopAfterThree(), stop,
                      data=small_mnist)
    assert result.stopped and not result.kept and StopAfterThree.batches == 3 and result.history == []
    assert all(np.array_equal(a, b) for a, b in zip(weights, tiny[0].get_weights()))  # the base model is untouched


def test_a_model_below_the_mnist_minimum_is_not_kept(tiny, writer, small_mnist):
    x_personal, y_personal, _, _ = writer
    result = finetune(tiny, (x_personal, y_personal), FinetuneConfig(epochs=1, replay_size=1000), data=small_mnist)
    assert result.mnist_accuracy_after < 0.995 and not result.kept   # the tiny model is ~96 %
    assert "below the 99.50% minimum" in result.reason
    assert [h.epoch for h in result.history] == [1] and 0.0 <= result.history[0].personal_accuracy <= 1.0


# -- CLI ------------------------------------------------------------------------------------------
def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def digit_pngs(tmp_path, mnist):
    """12 drawings per digit 0, 1, 2 (dark ink on white, like a scan), as {digit: [paths]}."""
    files = {}
    for d in range(3):
        files[d] = []
        for i in np.flatnonzero(mnist.y_val == d)[:4]:
            path = tmp_path / f"d{d}_{i}.png"
            Image.fromarray(draw_digit_like(mnist.x_val[i], scale=5)).save(path)
            files[d].append(str(path))
    return files


def test_samples_add_list_remove(capsys, digit_pngs):
    code, out, err = run(capsys, "samples", "add", "--label", "1", *digit_pngs[1], "--json")
    assert code == 0, err
    added = json.loads(out)
    assert [a["label"] for a in added] == [1] * 4 and [a["file"] for a in added] == digit_pngs[1]
    code, out, _ = run(capsys, "samples", "add", "--label", "2", digit_pngs[2][0])
    assert code == 0 and "added sample" in out
    code, out, _ = run(capsys, "samples", "list", "--json")
    listed = json.loads(out)
    assert [s["label"] for s in listed] == [1, 1, 1, 1, 2]
    assert {"id", "label", "created"} <= listed[0].keys() and all(s["has_original"] for s in listed)
    with SampleStore() as store:   # the CLI's image went through the shared preprocessing
        assert store.list()[0].image28.shape == (28, 28) and store.list()[0].image28.max() == 255
    ids = [str(s["id"]) for s in listed]
    code, out, _ = run(capsys, "samples", "remove", ids[0], ids[4])
    assert code == 0 and "removed 2" in out
    code, out, _ = run(capsys, "samples", "list", "--json")
    assert [s["id"] for s in json.loads(out)] == [int(i) for i in ids[1:4]]
    code, out, _ = run(capsys, "samples", "list")
    assert code == 0 and "3 samples" in out and "1:3" in out


@pytest.mark.parametrize("argv, message", [
    (["samples", "add", "--label", "12", "IMG"], "digit from 0 to 9"),
    (["samples", "add", "--label", "x", "IMG"], "digit from 0 to 9"),
    (["samples", "add", "--label", "3", "MISSING"], "no such file"),
    (["samples", "add", "--label", "3", "BLANK"], "no digit found"),
    (["samples", "remove", "999"], "no sample with id 999"),
    (["samples", "remove", "abc"], "whole numbers"),
    (["finetune", "--out", "OUT"], "at least 10 personal samples"),
    (["finetune", "--out", "model.h5"], ".keras"),
    (["finetune", "--epochs", "0", "--out", "OUT"], "at least 1"),
])
def test_samples_and_finetune_errors_exit_2_and_change_nothing(capsys, tmp_path, digit_pngs, argv, message):
    blank = tmp_path / "blank.png"
    Image.new("L", (60, 60), 255).save(blank)
    names = {"IMG": digit_pngs[0][0], "BLANK": str(blank), "MISSING": str(tmp_path / "missing.png"),
             "OUT": str(tmp_path / "out.keras")}
    code, out, err = run(capsys, *[names.get(a, a) for a in argv])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""
    with SampleStore() as store:
        assert len(store) == 0
    assert not (tmp_path / "out.keras").exists()


def test_samples_add_refuses_bad_files_one_by_one_and_adds_the_rest(capsys, tmp_path, digit_pngs):
    """As predict and read: one blank or missing file among good ones costs that file only (a line on
    stderr each, exit 2); it once made the whole call add nothing."""
    blank, missing = tmp_path / "blank.png", tmp_path / "missing.png"
    Image.new("L", (60, 60), 255).save(blank)
    good = digit_pngs[0][:2]
    code, out, err = run(capsys, "samples", "add", "--label", "0", good[0], str(blank), str(missing), good[1])
    assert code == 2
    assert err.splitlines() == [f"hwr-desktop: error: {blank}: no digit found in the image",
                                f"hwr-desktop: error: {missing}: no such file"]
    assert [line.split(" from ")[1] for line in out.splitlines()] == good
    with SampleStore() as store:
        assert [s.label for s in store.list()] == [0, 0]
    code, out, err = run(capsys, "samples", "add", "--label", "1", str(blank), digit_pngs[1][0], "--json")
    doc = json.loads(out)
    assert code == 2 and err == "" and [d["file"] for d in doc] == [str(blank), digit_pngs[1][0]]
    assert "no digit found" in doc[0]["error"] and "id" not in doc[0] and doc[1]["label"] == 1
    with SampleStore() as store:
        assert [s.label for s in store.list()] == [0, 0, 1] and store.list()[2].id == doc[1]["id"]


@pytest.fixture
def twelve_samples(capsys, digit_pngs):
    for d, files in digit_pngs.items():
        assert run(capsys, "samples", "add", "--label", str(d), *files)[0] == 0


def test_finetune_cli_refuses_to_save_a_model_below_the_mnist_minimum(capsys, tmp_path, tiny_model_file,
                                                                      twelve_samples):
    out_path = tmp_path / "mine.keras"
    code, out, err = run(capsys, "finetune", "--model", str(tiny_model_file), "--epochs", "1", "--replay", "500",
                         "--out", str(out_path), "--json")
    doc = json.loads(out)
    assert code == 2 and not out_path.exists() and doc["model"] is None and doc["kept"] is False
    assert doc["test_accuracy"] < 0.995 and doc["personal_samples"] == 12
    assert "not saved" in err and "below the 99.50% minimum" in err


def test_finetune_cli_saves_model_with_metadata(capsys, tmp_path, tiny_model_file, twelve_samples, monkeypatch):
    from hwr_desktop.core.models.modelfile import load_model
    monkeypatch.setattr(finetune_module, "MIN_MNIST_ACCURACY", 0.5)   # the tiny stand-in model is only ~96 %
    out_path = tmp_path / "mine.keras"
    code, out, err = run(capsys, "finetune", "--model", str(tiny_model_file), "--epochs", "2", "--replay", "500",
                         "--out", str(out_path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == str(out_path) and doc["kept"] and doc["epochs"] == 2
    assert 0.9 < doc["test_accuracy"] <= 1.0 and doc["personal_samples"] == 12 and doc["train_seconds"] > 0
    assert doc["personal_held_out"] == 3 and doc["personal_train"] == 9
    model, metadata = load_model(out_path)
    assert metadata["preset"] == "quick" and metadata["personal_samples"] == 12
    assert metadata["metrics"]["test_accuracy"] == doc["test_accuracy"]
    assert metadata["config"]["preset"] == "quick"    # the base model's training recipe is kept
    assert metadata["finetune"]["config"]["epochs"] == 2 and metadata["finetune"]["config"]["replay_size"] == 500
    assert metadata["finetune"]["base_model"] == str(tiny_model_file) and len(metadata["history"]) == 2


def test_samples_relabel_takes_the_digit_as_the_readme_writes_it(capsys, digit_pngs):
    """README: `samples relabel ID D`; the command once needed --label (`relabel 4 8` failed)."""
    code, out, _ = run(capsys, "samples", "add", "--label", "1", *digit_pngs[1][:2], "--json")
    first, second = (a["id"] for a in json.loads(out))
    code, out, err = run(capsys, "samples", "relabel", str(first), "8")
    assert code == 0 and out == f"sample {first} is now digit 8\n"
    code, out, err = run(capsys, "samples", "relabel", str(second), "--label", "7")
    assert code == 0 and out == f"sample {second} is now digit 7\n"
    with SampleStore() as store:
        assert [(s.id, s.label) for s in store.list()] == [(first, 8), (second, 7)]
    for argv in ([str(first)], [str(first), "3", "--label", "4"], [str(first), "12"]):
        code, out, err = run(capsys, "samples", "relabel", *argv)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, argv
    with SampleStore() as store:
        assert [s.label for s in store.list()] == [8, 7]
