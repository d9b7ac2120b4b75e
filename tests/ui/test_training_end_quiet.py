"""The end of a training run draws nothing in hidden tabs: the Runs table, the History curves and the
Inside tab's learning frame wait until their tab is shown (devtools/training_end_gaps.py measured each
at 10-40 ms of GUI-thread work when a run ends), and are up to date as soon as it is."""
import numpy as np
import pytest

from hwr_desktop.core.inside.learning_frames import LearningFrame
from hwr_desktop.core.models.info import ModelInfo
from hwr_desktop.core.store.runs import FINISHED, RunStore
from hwr_desktop.core.training.pipeline import TrainedModel
from hwr_desktop.ui.panels.history_panel import HistoryPanel
from hwr_desktop.ui.panels.inside.learning_view import LearningView
from hwr_desktop.ui.panels.runs_panel import RunsPanel
from hwr_desktop.ui.panels.training_panel import TrainingPanel
from hwr_desktop.ui.session import ModelSession


def frame(epoch: int, epochs: int = 3) -> LearningFrame:
    rng = np.random.default_rng(epoch)
    return LearningFrame(epoch, epochs, rng.uniform(0, 1, (4, 3, 3)), rng.normal(size=(50, 2)).astype(np.float32),
                         rng.integers(0, 10, 50), 0.9 + epoch / 100, 0.01)


def test_a_hidden_learning_view_shows_the_newest_frame_when_shown(qtbot):
    view = LearningView()
    qtbot.addWidget(view)
    view.reset()
    for epoch in (1, 2, 3):
        view.add_frame(frame(epoch))
    assert len(view.frames) == 3 and view.shown is None and view.kernelsGrid.count() == 0   # nothing drawn
    assert view.epochSlider.maximum() == 2 and view.gifButton.isEnabled()                    # but reachable
    view.show()
    qtbot.waitExposed(view)
    assert view.shown == 2 and "Epoch 3 of 3" in view.captionLabel.text() and view.kernelsGrid.count() == 4
    np.testing.assert_allclose(view.plot.points, view.frames[2].points)
    view.add_frame(frame(4, 4))                   # visible: shown as it arrives
    assert view.shown == 3


def test_a_learning_view_left_on_an_old_epoch_stays_there(qtbot):
    view = LearningView()
    qtbot.addWidget(view)
    view.show()
    view.add_frame(frame(1))
    view.add_frame(frame(2))
    view.epochSlider.setValue(0)                  # the user went back
    view.hide()
    view.add_frame(frame(3))
    view.show()
    assert view.shown == 0


def test_the_history_tab_draws_the_last_run_when_shown(qtbot):
    training = TrainingPanel()
    session = ModelSession()
    panel = HistoryPanel(session, training)
    for widget in (training, panel):
        qtbot.addWidget(widget)
    run = [{"epoch": 1, "loss": 0.9, "accuracy": 0.7, "val_loss": 0.5, "val_accuracy": 0.85},
           {"epoch": 2, "loss": 0.4, "accuracy": 0.9, "val_loss": 0.3, "val_accuracy": 0.93}]
    training.outcome = TrainedModel(None, None, ModelInfo(preset="quick", history=run))
    training.trainingEnded.emit()
    assert panel.source() == "last_run" and panel.history == []     # hidden: not drawn yet
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.history == run
    np.testing.assert_allclose(panel.curves["val_accuracy"].getData()[1], [0.85, 0.93])
    training.shutdown()


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "runs" / "runs.sqlite3") as s:
        yield s


def test_the_runs_tab_rereads_the_store_only_when_shown(qtbot, store):
    panel = RunsPanel(store.path)
    qtbot.addWidget(panel)
    panel.refresh_if_shown()
    assert panel._store is None                   # hidden: the store was not even opened
    run_id = store.start("train", {"name": "quick", "layers": []}, {"preset": "quick"}, {"cpu": "test"},
                         params=10, name="quick #{id}")
    store.finish(run_id, FINISHED, {"test_accuracy": 0.9}, [])
    panel.show()
    qtbot.waitExposed(panel)
    assert [r.id for r in panel.runs] == [run_id]
    second = store.start("train", {"name": "quick", "layers": []}, {"preset": "quick"}, {"cpu": "test"},
                         params=10, name="quick #{id}")
    panel.refresh_if_shown()                      # shown: read at once
    assert [r.id for r in panel.runs] == sorted([run_id, second]) or {r.id for r in panel.runs} == {run_id, second}
    panel.shutdown()
