"""The user's paths through the menus (issue 33): File > Open and Save As with the file dialog
answered by the test, Training > Start and Stop, and a model that fails to load at launch."""
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QSpinBox

from hwr_desktop.devtools.strokes import SHAPES, draw_stroke


def prediction_text(window) -> str:
    return window.findChild(object, "predictionLabel").text()


def answer_dialogs(monkeypatch, open_path="", save_path=""):
    """QFileDialog's static methods answer as a user would; each call is recorded."""
    asked = []

    def get_open(parent, caption, directory, filters):
        asked.append(("open", caption, directory))
        return str(open_path), filters

    def get_save(parent, caption, directory, filters):
        asked.append(("save", caption, directory))
        return str(save_path), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
    return asked


def test_file_save_as_then_open_through_the_menu(window, monkeypatch, tmp_path, good_model_file):
    asked = answer_dialogs(monkeypatch, save_path=tmp_path / "mine")        # no suffix: .keras is added
    window.saveModelAction.trigger()
    saved = tmp_path / "mine.keras"
    assert asked == [("save", "Save Model As", str(good_model_file))]      # suggests the current model's file
    assert saved.is_file() and window.session.path == saved and window.last_error_box is None
    assert str(saved.resolve()) in [a.statusTip() for a in window.recentMenu.actions()]
    asked = answer_dialogs(monkeypatch, open_path=saved)
    before = window.session.predictor
    window.openModelAction.trigger()
    assert asked == [("open", "Open Model", str(tmp_path))]                # starts beside the current model
    assert window.session.predictor is not before and window.session.path == saved
    draw_stroke(window.draw_panel.canvas, SHAPES[7][0])
    assert prediction_text(window) == "7"                                  # the opened model predicts


def test_a_cancelled_dialog_changes_nothing(window, monkeypatch, tmp_path):
    asked = answer_dialogs(monkeypatch)                                       # the user presses Cancel
    before, path = window.session.predictor, window.session.path
    window.openModelAction.trigger()
    window.saveModelAction.trigger()
    assert [a[0] for a in asked] == ["open", "save"]
    assert window.session.predictor is before and window.session.path == path and window.last_error_box is None
    assert list(tmp_path.rglob("*.keras")) == []


def test_opening_a_corrupt_file_from_the_menu_keeps_the_current_model(window, monkeypatch, tmp_path):
    bad = tmp_path / "corrupt.keras"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    answer_dialogs(monkeypatch, open_path=bad)
    before, path = window.session.predictor, window.session.path
    window.openModelAction.trigger()
    box = window.last_error_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "corrupt.keras" in box.text()
    assert window.session.predictor is before and window.session.path == path
    box.close()


def test_training_started_and_stopped_from_the_menu(window, qtbot):
    panel = window.training_panel
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.findChild(QSpinBox, "epochsSpin").setValue(3)
    panel.findChild(QSpinBox, "batchSpin").setValue(128)
    panel.limitSpin.setValue(2000)
    old_predictor = window.session.predictor
    assert window.startTrainingAction.isEnabled() and not window.stopTrainingAction.isEnabled()
    window.startTrainingAction.trigger()
    assert panel.worker is not None
    assert not window.startTrainingAction.isEnabled() and window.stopTrainingAction.isEnabled()
    with qtbot.waitSignal(panel.worker.batchDone, timeout=60000):          # it really trains
        pass
    window.stopTrainingAction.trigger()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=30000)
    assert window.startTrainingAction.isEnabled() and not window.stopTrainingAction.isEnabled()
    assert len(panel.trainingPlot.data["val_acc"][0]) < 3                 # stopped before the last epoch
    assert window.session.predictor is old_predictor


def test_a_model_that_fails_to_load_at_launch_says_so_and_the_window_stays(qtbot, tmp_path):
    from hwr_desktop.app import create_main_window
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a model at all")
    win = create_main_window(bad, load_in_background=True)                 # how the app launches
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.last_error_box is not None, timeout=60000)
    box = win.last_error_box
    assert box.windowTitle() == "Cannot load model" or "Cannot load model" in box.text() + box.windowTitle()
    assert "broken.keras" in box.text() + box.informativeText()
    assert win.session.predictor is None and not win.saveModelAction.isEnabled()
    assert win.isVisible() and win.openModelAction.isEnabled()            # the user can open another model
    box.close()
    win.training_panel.shutdown()
    assert Path(bad).read_bytes() == b"not a model at all"                 # never rewritten
