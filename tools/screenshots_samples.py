"""Regenerate resources/screenshots/samples-browser.png and finetune.png: personal handwriting.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots_samples.py

A throw-away sample store is filled with a "personal hand" (the synthetic writer of
tests/test_finetune.py: MNIST validation digits with a strong slant, crossed 7s and flagged 1s,
which the bundled model often misreads) plus a few digits drawn on the canvas, then fine-tuned with the default
settings from the bundled model (about a minute on two cores).
"""
from offscreen_window import SCREENSHOTS as OUT, open_main_window, use_private_samples

import numpy as np

from tests.ui.conftest import SHAPES, draw_stroke

PER_DIGIT = 10


def personal_hand(image28: np.ndarray, label: int) -> np.ndarray:
    """The synthetic writer of tests/test_finetune.py: slanted, with crossed 7s and long-flagged 1s."""
    from tests.test_finetune import writer_style
    return writer_style(image28, label)


def main() -> None:
    use_private_samples()
    app, window = open_main_window()
    from hwr_desktop.core.mnist import load_mnist

    data = load_mnist()
    for d in range(10):
        for i in 1000 + np.flatnonzero(data.y_val[1000:] == d)[:PER_DIGIT]:   # not the epoch-scoring 1000
            window.personal.add(personal_hand(data.x_val[i], d), d)
    canvas = window.draw_panel.canvas
    for digit in (1, 4, 7):                      # a few from the canvas, the way a user adds them
        for stroke in SHAPES[digit]:
            draw_stroke(canvas, stroke)
        window.draw_panel.add_sample()
    for stroke in SHAPES[7]:                     # and one on the canvas, ready to add
        draw_stroke(canvas, stroke)
    browser = window.samples_browser
    window.tabs.setCurrentWidget(browser)
    browser.select_ids(browser.shown_ids()[1:3])
    for _ in range(3):
        app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "samples-browser.png"))

    window.tabs.setCurrentWidget(window.training_tab)
    panel = window.finetune_panel
    panel.start()
    while panel.worker is not None:
        app.processEvents()
    for _ in range(3):                           # the result text re-lays out the tab: let it settle
        app.processEvents()
    window.grab().save(str(OUT / "finetune.png"))
    print(panel.outcome.result.metrics() if panel.outcome else panel.resultLabel.text())
    window.close()


if __name__ == "__main__":
    main()
