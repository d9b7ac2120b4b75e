"""Regenerate resources/screenshots/main-*.png and read-image.png: the main window drawing,
training in progress, and the Read Image tab reading a number written in form boxes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m hwr_desktop.devtools.screenshots_main [--read-image-only]
"""
import sys

from hwr_desktop.devtools.offscreen_window import SCREENSHOTS as OUT
from hwr_desktop.devtools.offscreen_window import open_main_window
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke


def main() -> None:
    app, window = open_main_window()
    if "--read-image-only" not in sys.argv:
        shoot_drawing_and_training(app, window)
    shoot_read_image(app, window)
    window.close()


def shoot_drawing_and_training(app, window) -> None:
    for stroke in SHAPES[4]:
        draw_stroke(window.draw_panel.canvas, stroke)
    app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "main-drawing.png"))

    panel = window.training_panel
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("quick"))
    panel.epochsSpin.setValue(3)
    panel.start()
    while panel.worker is not None and len(panel.trainingPlot.data["val_acc"][0]) < 2:
        app.processEvents()
    panel.trainingPlot.flush()
    app.processEvents()
    window.grab().save(str(OUT / "main-training.png"))
    panel.shutdown()


def shoot_read_image(app, window) -> None:
    """A number written in printed form boxes (MNIST test digits), with the removed lines shown."""
    import numpy as np

    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.number_images import number_image
    data = load_mnist()
    picks = [3, 2, 1, 18, 4, 8]  # 0 1 2 3 4 5
    sample = number_image(data.x_test[picks], data.y_test[picks], "boxes", np.random.default_rng(7))
    window.show_view(window.read_image_panel)
    window.read_image_panel.open_array(sample.array(), "form.png")
    while window.read_image_panel.result is None or window.read_image_panel.is_busy():
        app.processEvents()
    app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "read-image.png"))


if __name__ == "__main__":
    main()
