"""core.inside.learning_frames: a frame per epoch during a tiny training, written as a GIF and a PNG strip."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.inside.learning_frames import LearningFrame, LearningRecorder, render_frame, save_gif, save_png_strip

VAL = 200


@pytest.fixture(scope="module")
def recorded(mnist):
    from hwr_desktop.core.training.loop import TrainingConfig, train
    seen = []
    recorder = LearningRecorder(mnist.x_val[:VAL], mnist.y_val[:VAL], on_frame=seen.append)
    train(TrainingConfig(preset="quick", epochs=2, batch_size=50, train_limit=300, val_limit=VAL), recorder)
    return recorder, seen


def test_a_frame_per_epoch_from_validation_images(recorded, mnist):
    recorder, seen = recorded
    assert seen == recorder.frames and [f.epoch for f in seen] == [1, 2] and seen[0].epochs == 2
    first, second = seen
    assert first.kernels.shape == (32, 5, 5) and 0.0 <= first.kernels.min() and first.kernels.max() <= 1.0
    assert not np.allclose(first.kernels, second.kernels)          # the filters moved while learning
    assert first.points.shape == (VAL, 2) and np.all(np.isfinite(second.points))
    np.testing.assert_array_equal(first.labels, mnist.y_val[:VAL])
    assert all(f.seconds >= 0.0 for f in seen) and 0.0 <= second.val_accuracy <= 1.0   # its speed: the bench
    # Each axis of a frame agrees in direction with the frame before (no mirrored jumps).
    centred = [f.points - f.points.mean(axis=0) for f in seen]
    assert np.all((centred[0] * centred[1]).sum(axis=0) >= 0)


def test_the_extractor_is_traced_when_the_run_starts_not_in_the_first_frame(mnist):
    # Tracing holds the GIL in long stretches; after the last epoch of a 1-epoch run it was the GUI
    # thread's longest wait (issue 30). Traced once, at the start; the frames reuse that trace.
    from hwr_desktop.core.network.presets import build_model
    recorder = LearningRecorder(mnist.x_val[:20], mnist.y_val[:20])
    recorder.on_start(build_model("quick"), None)
    call = recorder._extractor._call
    assert call.experimental_get_tracing_count() == 1
    recorder._extractor(mnist.x_val[:20])
    assert call.experimental_get_tracing_count() == 1


def test_the_default_images_are_the_validation_split(mnist):
    recorder = LearningRecorder(count=50)
    np.testing.assert_array_equal(recorder.images, mnist.x_val[:50])
    np.testing.assert_array_equal(recorder.labels, mnist.y_val[:50])


def test_frames_written_as_gif_and_png_strip(recorded, tmp_path):
    frames = recorded[0].frames * 2                           # four frames
    frames = [LearningFrame(i + 1, 4, f.kernels, f.points, f.labels, f.val_accuracy, f.seconds)
              for i, f in enumerate(frames)]
    width, height = render_frame(frames[0], side=120).size
    gif = save_gif(frames, tmp_path / "learning.gif", side=120)
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 4 and image.size == (width, height)
    strip = save_png_strip(frames, tmp_path / "learning.png", side=120)
    with Image.open(strip) as image:
        assert image.format == "PNG" and image.size == (4 * width, height)
    wrapped = save_png_strip(frames, tmp_path / "wrapped.png", columns=3, side=120)
    with Image.open(wrapped) as image:
        assert image.size == (3 * width, 2 * height)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["learning.gif", "learning.png", "wrapped.png"]
    with pytest.raises(HwrError, match="does not exist"):
        save_gif(frames, tmp_path / "missing" / "a.gif")
    with pytest.raises(HwrError, match="no frames"):
        save_png_strip([], tmp_path / "b.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["learning.gif", "learning.png", "wrapped.png"]
