"""Watch it learn: a short real training run in the Training panel records one LearningFrame per epoch
on the training thread; the Inside view shows them and saves them as a GIF or a PNG strip."""
import numpy as np
import pytest
from PIL import Image

from hwr_desktop.core.training.loop import TrainingConfig
from hwr_desktop.ui.panels.inside.learning_view import LearningView
from hwr_desktop.ui.panels.training_panel import TrainingPanel


@pytest.fixture
def panels(qtbot):
    training, view = TrainingPanel(), LearningView()
    for widget in (training, view):
        qtbot.addWidget(widget)
    training.trainingStarted.connect(view.reset)
    training.learningFrame.connect(view.add_frame)
    view.resize(900, 600)
    view.show()
    yield training, view
    training.shutdown()


def train(qtbot, training, record=True):
    training.recordCheck.setChecked(record)
    training.start(TrainingConfig(preset="quick", epochs=2, batch_size=128, train_limit=1000, val_limit=1000))
    qtbot.waitUntil(lambda: not training.is_running(), timeout=180000)
    assert training.outcome is not None


def test_training_records_a_frame_per_epoch_and_saves_them(qtbot, panels, tmp_path):
    training, view = panels
    assert training.recordCheck.isChecked()                 # on by default
    train(qtbot, training)
    assert [f.epoch for f in view.frames] == [1, 2] and all(f.epochs == 2 for f in view.frames)
    frame = view.frames[-1]
    assert frame.kernels.shape[0] == view.kernelsGrid.count() > 0
    assert frame.points.shape == (1000, 2) and len(view.plot.points) == 1000
    assert view.shown == 1 and "Epoch 2 of 2" in view.captionLabel.text()
    assert not np.allclose(view.frames[0].kernels, view.frames[1].kernels)   # the filters moved
    view.epochSlider.setValue(0)
    assert view.shown == 0 and "Epoch 1 of 2" in view.captionLabel.text()
    np.testing.assert_allclose(view.plot.points, view.frames[0].points)

    gif = tmp_path / "learning.gif"
    assert view.save(gif, "GIF")
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 2
    strip = tmp_path / "learning.png"
    assert view.save(strip, "PNG")
    with Image.open(strip) as image:
        assert image.format == "PNG" and image.width > 2 * image.height
    errors = []
    view.errorOccurred.connect(lambda title, message: errors.append((title, message)))
    assert not view.save(tmp_path / "no-such-folder" / "x.gif", "GIF")
    assert errors and "does not exist" in errors[0][1]


def test_recording_can_be_turned_off(qtbot, panels):
    training, view = panels
    train(qtbot, training, record=False)
    assert view.frames == [] and not view.gifButton.isEnabled()
