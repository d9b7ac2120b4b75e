"""File > Export Model…: the current model exported, checked, its figures shown; errors in the one dialog."""
import json

from PySide6.QtWidgets import QMessageBox


def test_export_dialog_exports_the_current_model_and_shows_the_check(window, qtbot, tmp_path):
    qtbot.waitUntil(lambda: window.session.ready, timeout=60000)
    assert window.exportModelAction.isEnabled()
    window.exportModelAction.trigger()
    dialog = window.export_dialog
    assert dialog.isVisible() and dialog.fmt() == "onnx" and not dialog.int8Check.isEnabled()
    dialog.formatCombo.setCurrentIndex(dialog.formatCombo.findData("tflite"))
    assert dialog.pathEdit.text().endswith(".tflite") and dialog.int8Check.isEnabled()
    dialog.pathEdit.setText(str(tmp_path / "mine.tflite"))
    dialog.exportButton.click()
    assert not dialog.exportButton.isEnabled()                       # running: one export at a time
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120000)
    qtbot.waitUntil(lambda: dialog.exportButton.isEnabled(), timeout=10000)
    report = dialog.report
    assert report.path == tmp_path / "mine.tflite" and report.path.is_file() and report.agreement >= 0.9999
    text = dialog.resultLabel.text()
    assert "mine.tflite" in text and f"{report.agreement:.2%}" in text and "README" in text
    assert json.loads((tmp_path / "mine.tflite.check.json").read_text())["n"] == 10000
    assert dialog.progress.format() == "Exported and checked"


def test_a_bad_export_path_is_one_error_dialog_and_no_file(window, qtbot, tmp_path):
    qtbot.waitUntil(lambda: window.session.ready, timeout=60000)
    window.show_export_dialog()
    dialog = window.export_dialog
    out = tmp_path / "exports"
    out.mkdir()
    dialog.pathEdit.setText(str(out / "missing" / "m.onnx"))
    dialog.exportButton.click()
    qtbot.waitUntil(lambda: window.last_error_box is not None, timeout=60000)
    box = window.last_error_box
    assert box.icon() == QMessageBox.Icon.Critical and "does not exist" in box.text()
    assert dialog.report is None and dialog.progress.format() == "Not exported"
    assert list(out.iterdir()) == []


def test_closing_the_dialog_mid_export_stops_it_and_leaves_nothing(window, qtbot, tmp_path):
    qtbot.waitUntil(lambda: window.session.ready, timeout=60000)
    window.show_export_dialog()
    dialog = window.export_dialog
    out = tmp_path / "exports"
    out.mkdir()
    dialog.pathEdit.setText(str(out / "m.onnx"))
    dialog.exportButton.click()
    qtbot.waitUntil(lambda: dialog.progress.format().startswith("Converting"), timeout=60000)
    dialog.reject()                                   # Close, or Escape
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.jobs.is_running(), timeout=120000)
    assert dialog.report is None and window.last_error_box is None    # a stop is not an error
    assert list(out.iterdir()) == []
