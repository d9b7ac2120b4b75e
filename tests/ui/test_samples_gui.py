"""Personal handwriting in the GUI: add samples from the canvas, the My Samples browser, zip export and
import, a damaged store at start-up, and fine-tuning from the Training tab (progress, Stop, kept or not)."""
import dataclasses
import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QMessageBox, QPushButton

from hwr_desktop.core.data.preprocess import preprocess
from hwr_desktop.core.store.samples import SampleStore
from hwr_desktop.core.training.finetune import FinetuneConfig
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke, line

TINY = dict(epochs=1, replay_size=500, batch_size=64, val_size=200)   # ~3 s with a 1,000-image test set


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    """A fresh, empty sample store per test (the conftest data folder is shared by the whole session)."""
    monkeypatch.setenv("HWR_DESKTOP_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.fixture(scope="module")
def small_mnist(mnist):
    return dataclasses.replace(mnist, x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000])


def stored(window) -> list[tuple[int, int]]:
    """(id, label) of every sample, read from the database file itself, not through the GUI."""
    with SampleStore(window.personal.store.path) as store:
        return [(s.id, s.label) for s in store.list()]


def draw(window, digit: int) -> None:
    for stroke in SHAPES[digit]:
        draw_stroke(window.draw_panel.canvas, stroke)


def add_mnist_samples(window, mnist, count: int, start: int = 0) -> list[int]:
    """`count` different validation digits straight into the store (as if imported); labels cycle 0-9."""
    picks = [int(np.flatnonzero(mnist.y_val == i % 10)[i // 10]) for i in range(start, start + count)]
    return [window.personal.add(mnist.x_val[i], int(mnist.y_val[i])) for i in picks]


def test_add_stores_the_predicted_label_the_model_input_and_the_drawing(window, qtbot):
    panel = window.draw_panel
    button = window.findChild(QPushButton, "addSampleButton")
    assert not button.isEnabled() and not panel.addSampleAction.isEnabled()    # nothing drawn yet
    draw(window, 7)
    assert panel.sampleLabelSpin.value() == 7 and button.isEnabled()
    model_input = panel.last_prediction.prepared.image.copy()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    assert stored(window) == [(1, 7)]
    with SampleStore(window.personal.store.path) as store:
        sample = store.get(1)
    np.testing.assert_array_equal(sample.image28, np.round(model_input * 255).astype(np.uint8))
    drawing = np.asarray(Image.open(io.BytesIO(sample.original)))
    side = panel.canvas.image().width()
    assert drawing.shape == (side, side) and drawing.dtype == np.uint8           # the whole canvas, grayscale
    assert np.abs(preprocess(drawing).image - model_input).mean() < 0.01          # ...and it is this drawing
    assert panel.canvas.isEmpty() and not button.isEnabled()
    assert panel.sampleStatus.text() == "Saved as 7 — 1 sample of 7"

    draw(window, 7)                                           # the second one with the menu shortcut
    action = window.findChild(QAction, "addSampleAction")
    assert "Ctrl+Return" in [s.toString() for s in action.shortcuts()]
    panel.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert stored(window) == [(1, 7), (2, 7)] and panel.sampleStatus.text() == "Saved as 7 — 2 samples of 7"


def test_a_digit_key_corrects_the_label_before_adding(window, qtbot):
    panel, canvas = window.draw_panel, window.draw_panel.canvas
    draw(window, 1)
    assert panel.sampleLabelSpin.value() == 1
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_4)                      # one key press: "this is my 4"
    assert panel.sampleLabelSpin.value() == 4
    draw_stroke(canvas, line(0.3, 0.55, 0.7, 0.55))           # the prediction changes; the chosen label stays
    assert panel.sampleLabelSpin.value() == 4
    qtbot.keyClick(canvas, Qt.Key.Key_Return)                 # Enter on the canvas adds
    assert stored(window) == [(1, 4)] and canvas.isEmpty()
    draw(window, 7)                                           # a new drawing follows its prediction again
    assert panel.sampleLabelSpin.value() == 7
    panel.sampleLabelSpin.setFocus()
    qtbot.keyClick(panel.sampleLabelSpin, Qt.Key.Key_2)       # typing in the spin box replaces the digit
    qtbot.keyClick(panel.sampleLabelSpin, Qt.Key.Key_Enter)
    assert stored(window) == [(1, 4), (2, 2)] and panel.sampleStatus.text() == "Saved as 2 — 1 sample of 2"


def tile_image(grid, row: int) -> np.ndarray:
    """The thumbnail as drawn (56 px, nearest-neighbour from 28x28), back at 28x28."""
    pixmap = grid.item(row).icon().pixmap(grid.side, grid.side)
    gray = pixmap.toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    data = np.frombuffer(gray.constBits(), np.uint8).reshape(gray.height(), gray.bytesPerLine())[:, :gray.width()]
    return data[::2, ::2].copy()   # the QImage owning the buffer goes away on return


def test_browser_shows_counts_and_thumbnails_and_deletes_and_relabels(window, qtbot, mnist):
    draw(window, 7)
    window.draw_panel.add_sample()
    ids = add_mnist_samples(window, mnist, 4)                 # digits 0, 1, 2, 3
    browser = window.findChild(object, "mySamplesPanel")
    window.show_view(browser)
    assert browser.digitButtons[10].text() == "All · 5" and browser.digitButtons[7].text() == "7 · 1"
    assert [browser.digitButtons[d].text() for d in (0, 3, 5)] == ["0 · 1", "3 · 1", "5 · 0"]
    assert browser.shown_ids() == [ids[3], ids[2], ids[1], ids[0], 1]          # newest first
    assert browser.grid.captions()[0] == f"3 · #{ids[3]}"
    with SampleStore(window.personal.store.path) as store:
        np.testing.assert_array_equal(tile_image(browser.grid, 0), store.get(ids[3]).image28)

    qtbot.mouseClick(browser.digitButtons[7], Qt.MouseButton.LeftButton)      # filter: only 7s
    assert browser.shown_ids() == [1] and "1 sample of 7." in browser.summaryLabel.text()
    qtbot.mouseClick(browser.digitButtons[10], Qt.MouseButton.LeftButton)

    draw(window, 1)                                           # the Delete key in the grid must not clear this
    delete = window.findChild(QPushButton, "deleteSampleButton")
    assert not delete.isEnabled()
    browser.select_ids([ids[0]])
    assert delete.isEnabled()
    browser.grid.setFocus()
    qtbot.keyClick(browser.grid, Qt.Key.Key_Delete)
    assert [i for i, _ in stored(window)] == [1, ids[1], ids[2], ids[3]] and not window.draw_panel.canvas.isEmpty()
    assert browser.statusLabel.text() == "Deleted 1 sample." and browser.digitButtons[0].text() == "0 · 0"

    browser.select_ids([ids[1], ids[2]])
    qtbot.keyClick(browser.grid, Qt.Key.Key_9)                # a digit key relabels the selection
    assert dict(stored(window)) == {1: 7, ids[1]: 9, ids[2]: 9, ids[3]: 3}
    assert sorted(browser.selected_ids()) == [ids[1], ids[2]]                # still selected after the refresh
    browser.select_ids([1])
    relabel = window.findChild(QPushButton, "relabelButton")
    relabel.menu().actions()[5].trigger()                     # Relabel as ▸ 5
    assert dict(stored(window)) == {1: 5, ids[1]: 9, ids[2]: 9, ids[3]: 3}
    assert browser.digitButtons[9].text() == "9 · 2" and browser.grid.captions()[-1] == "5 · #1"
    browser.select_ids([1, ids[3]])
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    assert dict(stored(window)) == {ids[1]: 9, ids[2]: 9} and browser.digitButtons[10].text() == "All · 2"


def test_export_then_import_round_trips_and_a_bad_zip_changes_nothing(window, qtbot, mnist, tmp_path):
    draw(window, 4)
    window.draw_panel.add_sample()
    add_mnist_samples(window, mnist, 3)
    browser = window.my_samples_panel
    with SampleStore(window.personal.store.path) as store:
        before = sorted((s.label, s.image28.tobytes(), s.has_original) for s in store.list())
    assert browser.export_to(tmp_path / "mine") == 4                          # ".zip" is added
    assert (tmp_path / "mine.zip").is_file() and "Exported 4 samples" in browser.statusLabel.text()

    window.show_view(browser)
    browser.grid.selectAll()
    qtbot.mouseClick(window.findChild(QPushButton, "deleteSampleButton"), Qt.MouseButton.LeftButton)
    assert stored(window) == [] and not browser.exportButton.isEnabled()
    assert browser.import_from(tmp_path / "mine.zip") == 4
    with SampleStore(window.personal.store.path) as store:
        after = sorted((s.label, s.image28.tobytes(), s.has_original) for s in store.list())
    assert after == before and browser.digitButtons[10].text() == "All · 4"
    assert browser.import_from(tmp_path / "mine.zip") == 0 and "already here" in browser.statusLabel.text()

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not a zip at all")
    assert browser.import_from(bad) is None
    box = window.last_error_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "bad.zip" in box.text()
    assert len(stored(window)) == 4
    box.close()


def test_a_corrupt_store_is_backed_up_and_the_app_starts_with_an_empty_one(qtbot, good_model_file, _own_data_dir):
    from hwr_desktop.app import create_main_window
    _own_data_dir.mkdir(parents=True)
    junk = b"this is not an SQLite database" * 100
    (_own_data_dir / "samples.sqlite3").write_bytes(junk)
    window = create_main_window(good_model_file)
    qtbot.addWidget(window)
    window.show()
    backups = list(_own_data_dir.glob("samples.sqlite3.*.corrupt"))
    assert len(backups) == 1 and backups[0].read_bytes() == junk                # the user's file, kept as it was
    box = window.last_error_box
    assert box.isVisible() and str(backups[0]) in box.text() and box.icon() == QMessageBox.Icon.Warning
    box.close()
    assert window.personal.total() == 0 and "No samples yet" in window.my_samples_panel.summaryLabel.text()
    draw(window, 1)
    assert window.draw_panel.add_sample() == 1                                # the fresh store works
    window.close()

    again = create_main_window(good_model_file)               # a healthy store: no dialog the next time
    qtbot.addWidget(again)
    assert again.last_error_box is None and again.personal.total() == 1
    again.close()


def run_finetune(qtbot, panel, **config) -> list[str]:
    """Click Start with a tiny config; returns the progress texts seen after each batch."""
    panel.config = FinetuneConfig(**{**TINY, **config})
    qtbot.mouseClick(panel.findChild(QPushButton, "finetuneButton"), Qt.MouseButton.LeftButton)
    assert panel.worker is not None and panel.stopButton.isEnabled() and not panel.startButton.isEnabled()
    seen = []
    panel.worker.batchDone.connect(lambda _info: seen.append(panel.progress.format()))
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60000)
    return seen


def test_finetuning_from_the_panel_reports_before_and_after_and_offers_a_kept_model(window, qtbot, mnist,
                                                                                    small_mnist):
    panel = window.findChild(object, "finetunePanel")
    panel.data = small_mnist
    add_mnist_samples(window, mnist, 9)
    assert not panel.startButton.isEnabled() and "add at least 10" in panel.infoLabel.text()
    add_mnist_samples(window, mnist, 12, start=9)             # 21 in all, at least 2 of every digit
    assert panel.startButton.isEnabled() and panel.infoLabel.text().startswith("21 of your samples")
    old_predictor = window.session.predictor

    seen = run_finetune(qtbot, panel, min_mnist_accuracy=0.5)
    assert seen[0] == "Epoch 1/1 · batch 1/11" and seen[-1] == "Epoch 1/1 · batch 11/11"
    assert panel.progress.value() == 1000 and panel.progress.format().startswith("Done in ")
    result = panel.outcome.result
    assert result.kept and result.personal_samples == 21 and result.personal_held_out == 10    # 1 per digit
    text = panel.resultLabel.text()
    for figure in (f"{result.personal_accuracy_before:.1%}", f"{result.personal_accuracy_after:.1%}",
                   f"{result.mnist_accuracy_before:.2%}", f"{result.mnist_accuracy_after:.2%}"):
        assert figure in text
    assert "Your held-out samples (10)" in text and "✔ Kept" in text and result.mnist_accuracy_after > 0.95
    assert window.session.predictor is old_predictor                          # not used until the user says so
    assert panel.startButton.isEnabled() and not panel.stopButton.isEnabled()

    qtbot.mouseClick(window.findChild(QPushButton, "finetuneUseButton"), Qt.MouseButton.LeftButton)
    info = window.session.info
    assert window.session.model is result.model and window.session.unsaved
    assert info.personal_samples == 21 and info.finetune["config"]["epochs"] == 1
    assert info.metrics.test_accuracy == result.mnist_accuracy_after and info.outputs == "logits"
    draw(window, 7)
    assert window.draw_panel.last_prediction.digit == 7                       # the new model reads drawings


def test_a_result_below_the_mnist_minimum_is_not_offered(window, qtbot, mnist, small_mnist):
    panel = window.finetune_panel
    panel.data = small_mnist
    add_mnist_samples(window, mnist, 12)
    old_predictor = window.session.predictor
    run_finetune(qtbot, panel, min_mnist_accuracy=0.9999)
    result = panel.outcome.result
    assert not result.kept and result.mnist_accuracy_after < 0.9999
    assert "✘ Not kept" in panel.resultLabel.text() and "below the 99.99% minimum" in panel.resultLabel.text()
    assert not panel.useButton.isEnabled() and not panel.saveButton.isEnabled()
    panel.useButton.click()
    assert window.session.predictor is old_predictor and not window.session.unsaved


def test_stop_mid_finetuning_keeps_the_old_model_and_allows_a_new_start(window, qtbot, mnist, small_mnist):
    panel = window.finetune_panel
    panel.data = small_mnist
    add_mnist_samples(window, mnist, 12)
    old_predictor = window.session.predictor
    panel.config = FinetuneConfig(**{**TINY, "replay_size": 20000})            # 417 batches: far from done
    qtbot.mouseClick(panel.startButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.format().startswith("Epoch"), timeout=30000)
    assert panel.progress.maximum() == 1000 and 0 < panel.progress.value() < 100
    qtbot.mouseClick(panel.findChild(QPushButton, "finetuneStopButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.worker is None, timeout=30000)
    assert panel.startButton.isEnabled() and not panel.stopButton.isEnabled()
    assert panel.progress.format() == "Stopped" and panel.outcome is None
    assert panel.resultLabel.text().startswith("Stopped: nothing was kept") and not panel.useButton.isEnabled()
    assert window.session.predictor is old_predictor


CLOSE_DURING_FINETUNING = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from hwr_desktop.app import create_main_window
    from hwr_desktop.core.training.finetune import FinetuneConfig
    from hwr_desktop.core.data.mnist import load_mnist
    w = create_main_window(sys.argv[1])
    w.show()
    data = load_mnist()
    for i in range(12):
        w.personal.add(data.x_val[i], int(data.y_val[i]))
    p = w.finetune_panel
    p.config = FinetuneConfig(epochs=50, replay_size=2000)
    p.start()
    def close_when(ready):
        if ready():
            state = p.progress.format()
            w.close()
            print("closed while", state, flush=True)
        else:
            QTimer.singleShot(50, lambda: close_when(ready))
    if sys.argv[2] == "measuring":   # still measuring the current model on MNIST test
        QTimer.singleShot(0, lambda: close_when(lambda: True))
    else:
        close_when(lambda: p.progress.format().startswith("Epoch"))
    sys.exit(app.exec())
""")


@pytest.mark.parametrize("moment", ["measuring", "training"])
def test_closing_during_finetuning_exits_cleanly(good_model_file, tmp_path, moment):
    env = {"HWR_DESKTOP_CONFIG_DIR": str(tmp_path), "HWR_DESKTOP_DATA_DIR": str(tmp_path / "data"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CLOSE_DURING_FINETUNING, str(good_model_file), moment],
                            capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"closed while {'Starting' if moment == 'measuring' else 'Epoch'}" in result.stdout
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr
    with SampleStore(tmp_path / "data" / "samples.sqlite3") as store:
        assert len(store) == 12                                # the store was closed cleanly, nothing lost
