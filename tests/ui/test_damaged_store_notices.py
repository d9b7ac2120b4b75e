"""A damaged run history is moved aside and a fresh one started, and the user is told: in the Runs tab
by a dialog, by the run recorder (training from the CLI or the GUI) with one warning (issue 33)."""
import pytest

from hwr_desktop.core.store.runs import RunStore
from hwr_desktop.core.training.run_recorder import RunRecorder
from hwr_desktop.ui.panels.runs_panel import RunsPanel

DAMAGE = b"this is not a database" * 100


@pytest.fixture
def damaged(tmp_path):
    path = tmp_path / "runs" / "runs.sqlite3"
    path.parent.mkdir()
    path.write_bytes(DAMAGE)
    return path


def backups(path):
    return [p for p in path.parent.iterdir() if "corrupt" in p.name]


def test_the_runs_tab_says_the_history_was_damaged_and_shows_a_fresh_one(qtbot, damaged):
    panel = RunsPanel(damaged)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.errorOccurred, timeout=5000) as said:
        panel.refresh()
    (backup,) = backups(damaged)
    title, message = said.args
    assert title == "Run history" and str(backup) in message and "a new one started" in message
    assert backup.read_bytes() == DAMAGE and panel.runs == []
    with qtbot.assertNotEmitted(panel.errorOccurred):       # said once, not on every refresh
        panel.refresh()
    panel.shutdown()


def test_the_run_recorder_warns_once_and_still_records_in_a_fresh_history(damaged):
    with pytest.warns(RuntimeWarning, match="the run history was damaged; it was moved to .*corrupt") as caught:
        recorder = RunRecorder.open("train", "quick", {"preset": "quick"}, path=damaged)
    assert len(caught) == 1 and recorder.recording
    (backup,) = backups(damaged)
    assert backup.read_bytes() == DAMAGE
    recorder.store.close()
    with RunStore(damaged) as store:
        assert [run.name for run in store.list()] == [f"quick #{recorder.run_id}"]


def test_a_history_that_cannot_be_opened_costs_a_warning_not_the_run(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the history's folder should be")
    with pytest.warns(RuntimeWarning, match="this run is not recorded in the run history"):
        recorder = RunRecorder.open("train", "quick", {}, path=blocked / "runs.sqlite3")
    assert not recorder.recording
