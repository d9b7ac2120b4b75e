"""Regenerate resources/screenshots/main-*.png: the main window drawing, and training in progress.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots_main.py
"""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HWR_DESKTOP_CONFIG_DIR"] = tempfile.mkdtemp()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.ui.conftest import SHAPES, draw_stroke  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "resources" / "screenshots"


def main() -> None:
    app = QApplication([])
    from hwr_desktop.app import create_main_window
    window = create_main_window()
    window.resize(1280, 800)
    window.show()
    app.processEvents()
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
    from hwr_desktop.core.synthetic import digit_string
    data = load_mnist()
    picks = [3, 2, 1, 18, 4, 8]  # 0 1 2 3 4 5
    sample = digit_string(data.x_test[picks], data.y_test[picks], np.random.default_rng(7),
                          min_height=60, max_height=90, touching=0.0)
    window.image_reader.open_array(sample.array(), "number.png")
    while window.image_reader.result is None or window.image_reader.is_busy():
        app.processEvents()
    app.processEvents()
    window.grab().save(str(OUT / "read-image.png"))
    window.close()


if __name__ == "__main__":
    main()
