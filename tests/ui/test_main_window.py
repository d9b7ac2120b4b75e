import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QProgressBar, QPushButton, QSpinBox

from hwr_desktop.devtools.strokes import SHAPES, draw_stroke, line


def prediction_text(window) -> str:
    return window.findChild(object, "predictionLabel").text()


@pytest.mark.parametrize("digit", sorted(SHAPES))
def test_drawing_with_the_mouse_predicts_the_digit(window, qtbot, digit):
    canvas = window.findChild(object, "canvas")
    for stroke in SHAPES[digit]:
        draw_stroke(canvas, stroke)
    assert prediction_text(window) == str(digit)


def test_bars_and_preview_update_then_undo_and_clear(window, qtbot):
    canvas = window.findChild(object, "canvas")
    panel = window.draw_panel.prediction
    assert prediction_text(window) == "" and panel.bars.probabilities().sum() == 0
    assert panel.preview_image is None
    draw_stroke(canvas, SHAPES[1][0])
    probs = panel.bars.probabilities()
    assert probs.sum() == pytest.approx(1.0, abs=1e-4) and int(probs.argmax()) == 1
    assert panel.preview_image.shape == (28, 28) and panel.preview_image.max() == pytest.approx(1.0)
    assert abs(np.argwhere(panel.preview_image > 0.5)[:, 1].mean() - 14) < 2   # a centred vertical bar
    before = panel.preview_image.copy()

    draw_stroke(canvas, line(0.25, 0.5, 0.75, 0.5))   # a cross-bar changes the picture
    assert len(canvas.strokes()) == 2 and not np.allclose(panel.preview_image, before)
    window.undoAction.trigger()
    assert len(canvas.strokes()) == 1 and prediction_text(window) == "1"
    np.testing.assert_allclose(panel.preview_image, before, atol=1e-6)

    qtbot.mouseClick(window.findChild(QPushButton, "clearButton"), Qt.MouseButton.LeftButton)
    assert canvas.isEmpty() and prediction_text(window) == "" and panel.bars.probabilities().sum() == 0
    draw_stroke(canvas, SHAPES[1][0])
    canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert canvas.isEmpty() and prediction_text(window) == ""


def test_canvas_keeps_the_drawing_when_resized(window, qtbot):
    canvas = window.draw_panel.canvas
    draw_stroke(canvas, SHAPES[7][0])
    before = window.draw_panel.prediction.preview_image.copy()
    window.resize(window.width() + 300, window.height() + 200)
    qtbot.wait(50)
    window.draw_panel.predict_now()
    assert len(canvas.strokes()) == 1 and prediction_text(window) == "7"
    assert np.abs(window.draw_panel.prediction.preview_image - before).mean() < 0.03


def test_prediction_latency_after_release_is_recorded(window):
    draw_stroke(window.draw_panel.canvas, SHAPES[0][0])
    assert window.draw_panel.last_latency_ms > 0  # a figure the benchmark measures; no clock bound here


def test_corrupt_model_shows_an_error_and_keeps_the_old_model(window, qtbot, tmp_path):
    before = window.session.predictor
    bad = tmp_path / "corrupt.keras"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert window.open_model(bad) is False
    box = window.last_error_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "corrupt.keras" in box.text()
    assert window.session.predictor is before
    box.close()
    draw_stroke(window.draw_panel.canvas, SHAPES[1][0])
    assert prediction_text(window) == "1"


def test_save_and_open_round_trip(window, qtbot, tmp_path):
    target = tmp_path / "saved.keras"
    assert window.save_model(target) and target.is_file()
    assert window.session.path == target
    preset = window.session.info.preset
    assert window.open_model(target)
    assert window.session.info.preset == preset
    recent = [a.statusTip() for a in window.recentMenu.actions()]
    assert str(target.resolve()) in recent
    draw_stroke(window.draw_panel.canvas, SHAPES[7][0])
    assert prediction_text(window) == "7"


def test_bundled_ensemble_opens_from_the_file_menu_and_predicts(window, qtbot):
    from pathlib import Path

    from hwr_desktop.resources import ensemble_model_path
    assert window.openEnsembleAction.isEnabled()          # the ensemble ships with the app
    window.openEnsembleAction.trigger()
    assert Path(window.session.path) == ensemble_model_path()
    assert window.session.info.preset == "ensemble of 6 with shifted views"
    assert "ensemble.keras" in window.windowTitle()
    for digit in (7, 1):
        window.draw_panel.canvas.clear()
        for stroke in SHAPES[digit]:
            draw_stroke(window.draw_panel.canvas, stroke)
        assert prediction_text(window) == str(digit)


def test_training_from_the_panel_shows_progress_and_can_be_stopped(window, qtbot):
    panel = window.findChild(object, "trainingPanel")
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.findChild(QSpinBox, "epochsSpin").setValue(3)
    panel.findChild(QSpinBox, "batchSpin").setValue(128)   # 16 batches per epoch
    panel.limitSpin.setValue(2000)
    start, stop = panel.findChild(QPushButton, "trainButton"), panel.findChild(QPushButton, "stopButton")
    progress = panel.findChild(QProgressBar, "trainingProgress")
    old_predictor = window.session.predictor
    batches = []
    panel.worker_batches = batches
    qtbot.mouseClick(start, Qt.MouseButton.LeftButton)
    assert not start.isEnabled() and stop.isEnabled()
    panel.worker.batchDone.connect(batches.append)
    qtbot.waitUntil(lambda: len(panel.trainingPlot.data["val_acc"][0]) >= 1, timeout=60000)
    panel.trainingPlot.flush()
    assert progress.value() > 0 and "Epoch" in progress.format()
    xs, ys = panel.trainingPlot.curves["batch_loss"].getData()
    assert len(xs) >= 16 and np.all(np.isfinite(ys))
    qtbot.mouseClick(stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.worker is None, timeout=30000)
    assert start.isEnabled() and not stop.isEnabled()
    assert len(panel.trainingPlot.data["val_acc"][0]) < 3          # stopped before the last epoch
    assert window.session.predictor is old_predictor                # previous model stays in use
    assert panel.outcome is not None and panel.useButton.isEnabled()  # an epoch finished: offer it
    assert "Test accuracy" in panel.resultLabel.text()
    panel.useButton.click()
    assert window.session.unsaved and window.session.info.preset == "quick"


CLOSE_DURING_TRAINING = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from hwr_desktop.app import create_main_window
    w = create_main_window(sys.argv[1])
    w.show()
    p = w.training_panel
    p.limitSpin.setValue(3000)
    p.epochsSpin.setValue(50)
    p.start()
    def close_when_training():
        if p.worker is not None and p.trainingPlot.data["batch_loss"][0]:
            w.close()
            print("closed", flush=True)
        else:
            QTimer.singleShot(100, close_when_training)
    QTimer.singleShot(100, close_when_training)
    sys.exit(app.exec())
""")


def test_closing_during_training_exits_cleanly(good_model_file, tmp_path):
    env = {"HWR_DESKTOP_CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CLOSE_DURING_TRAINING, str(good_model_file)],
                            capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "closed" in result.stdout
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr


def test_training_and_finetuning_never_run_at_once(window, qtbot):
    tp, fp = window.training_panel, window.finetune_panel
    tp.limitSpin.setValue(1000)
    tp.epochsSpin.setValue(20)
    tp.start()
    assert fp.busy_elsewhere.startswith("Training a new model is running")
    assert not fp.startButton.isEnabled() and fp.start() is False
    tp.stop()
    qtbot.waitUntil(lambda: tp.worker is None, timeout=60000)
    assert fp.busy_elsewhere is None

    fp.finetuneStarted.emit()                        # as a fine-tuning run starts
    assert not tp.trainButton.isEnabled() and "Fine-tuning" in tp.trainButton.toolTip()
    tp.start()
    assert tp.worker is None                         # refused while fine-tuning runs
    fp.finetuneEnded.emit()
    assert tp.trainButton.isEnabled()
