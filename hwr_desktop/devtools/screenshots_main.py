"""Regenerate resources/screenshots/main-*.png: the main window drawing, and training in progress.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m hwr_desktop.devtools.screenshots_main
"""
from hwr_desktop.devtools.offscreen_window import SCREENSHOTS as OUT
from hwr_desktop.devtools.offscreen_window import open_main_window
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke


def main() -> None:
    app, window = open_main_window()
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

    # Read Image: a synthetic handwritten number (MNIST test digits on noisy, uneven paper).
    import numpy as np

    from hwr_desktop.core.mnist import load_mnist
    from hwr_desktop.devtools.synthetic import digit_string
    data = load_mnist()
    picks = [3, 2, 1, 18, 4, 8]  # 0 1 2 3 4 5
    sample = digit_string(data.x_test[picks], data.y_test[picks], np.random.default_rng(7),
                          min_height=60, max_height=90, touching=0.0)
    window.read_image_panel.open_array(sample.array(), "number.png")
    while window.read_image_panel.result is None or window.read_image_panel.is_busy():
        app.processEvents()
    app.processEvents()
    window.grab().save(str(OUT / "read-image.png"))
    window.close()


if __name__ == "__main__":
    main()
