"""Faults: corrupt settings, failing saves, a kill mid-save, Stop/close at any moment."""
import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from PySide6.QtWidgets import QMessageBox

from hwr_desktop.core.models.modelfile import load_model, read_metadata
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke


def make_window(qtbot, model_file):
    from hwr_desktop.app import create_main_window
    win = create_main_window(model_file)
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.mark.parametrize("content", [b"\x00\x01\x02\xff\xfe [[[ =\n\x00", b"[General\ngeometry=@ByteArray(\x00\x01)\n"])
def test_corrupt_settings_file_is_backed_up_and_defaults_used(qtbot, good_model_file, tmp_path, content, monkeypatch):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.ini").write_bytes(content)
    monkeypatch.setenv("HWR_DESKTOP_CONFIG_DIR", str(config))
    win = make_window(qtbot, good_model_file)
    assert "Settings reset" in win.last_error_box.windowTitle()
    backups = list(config.glob("settings.corrupt-*.ini"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    assert (win.width(), win.height()) == (1200, 760)
    draw_stroke(win.draw_panel.canvas, SHAPES[1][0])
    assert win.draw_panel.prediction.predictionLabel.text() == "1"


def test_nonsense_setting_values_are_ignored(qtbot, good_model_file, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.ini").write_text("[General]\nbrushSize=banana\ngeometry=12\nlastModel=/no/such.keras\n"
                                         "recentModels=3\n")
    monkeypatch.setenv("HWR_DESKTOP_CONFIG_DIR", str(config))
    win = make_window(qtbot, good_model_file)
    assert win.last_error_box is None and win.session.ready
    assert win.draw_panel.brushSlider.value() == 7
    # A stale recent entry that no longer exists: a clear error, then it is dropped from the menu.
    assert win.open_model("3") is False and "3" not in [a.statusTip() for a in win.recentMenu.actions()]


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_failed_save_in_the_app_keeps_the_old_file(qtbot, good_model_file, tmp_path, monkeypatch, failure):
    win = make_window(qtbot, good_model_file)
    folder = tmp_path / "models"
    folder.mkdir()
    target = folder / "mine.keras"
    assert win.save_model(target)
    before = target.read_bytes()
    from hwr_desktop.core import files  # where every atomic write makes its temporary file

    def failing_mkstemp(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))
    monkeypatch.setattr(files.tempfile, "mkstemp", failing_mkstemp)
    assert win.save_model(target) is False
    assert isinstance(win.last_error_box, QMessageBox) and os.strerror(failure) in win.last_error_box.text()
    assert target.read_bytes() == before and [p.name for p in folder.iterdir()] == ["mine.keras"]


SAVE_LOOP = textwrap.dedent("""
    import sys
    from hwr_desktop.core.models.modelfile import load_model, save_model
    model, meta = load_model(sys.argv[1])
    for version in range(1, 10000):
        save_model(model, sys.argv[2], {**meta, "save_version": version})
        print(version, flush=True)
""")


def test_killing_the_process_mid_save_loses_nothing_saved(tiny_model_file, tmp_path):
    """SIGKILL at several moments while a model is saved over and over: the file always loads."""
    target = tmp_path / "target.keras"
    for delay in (0.3, 0.55, 0.8, 1.1):
        proc = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, str(tiny_model_file), str(target)],
                                stdout=subprocess.PIPE, text=True)
        first = proc.stdout.readline()            # at least one save has completed
        assert first.strip().isdigit()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        rest = proc.communicate()[0].split()
        last_done = int((rest or [first])[-1])
        model, meta = load_model(target)          # never a half-written file
        assert meta["save_version"] >= last_done
    assert read_metadata(target)["preset"] == "quick"


@pytest.mark.parametrize("delay_ms", [0, 30, 400, 1500])
def test_stop_at_any_moment_of_training(qtbot, good_model_file, delay_ms):
    win = make_window(qtbot, good_model_file)
    panel = win.training_panel
    panel.limitSpin.setValue(1500)
    panel.epochsSpin.setValue(2)
    predictor = win.session.predictor
    panel.start()
    qtbot.wait(delay_ms)
    panel.stop()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=60000)
    assert panel.trainButton.isEnabled() and not panel.stopButton.isEnabled()
    assert win.session.predictor is predictor
    assert win.last_error_box is None


@pytest.mark.parametrize("delay_ms", [0, 200, 1200])
def test_close_at_any_moment_of_training(qtbot, good_model_file, delay_ms):
    win = make_window(qtbot, good_model_file)
    panel = win.training_panel
    panel.limitSpin.setValue(1500)
    panel.epochsSpin.setValue(3)
    panel.start()
    worker = panel.worker
    qtbot.wait(delay_ms)
    win.close()
    assert worker.isFinished()       # closeEvent waited for the thread: nothing left running
