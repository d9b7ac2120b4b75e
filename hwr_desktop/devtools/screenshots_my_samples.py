"""Regenerate resources/screenshots/samples-browser.png and finetune.png: personal handwriting.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m hwr_desktop.devtools.screenshots_samples

A throw-away sample store is filled with a "personal hand" (the synthetic writer of
devtools/synthetic.py's slanted_writer: MNIST validation digits with a strong slant, crossed 7s and flagged 1s,
which the bundled model often misreads) plus a few digits drawn on the canvas, then fine-tuned with the default
settings from the bundled model (about a minute on two cores).
"""
import numpy as np

from hwr_desktop.devtools.offscreen_window import SCREENSHOTS as OUT
from hwr_desktop.devtools.offscreen_window import open_main_window, use_private_samples
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke
from hwr_desktop.devtools.synthetic import slanted_writer

PER_DIGIT = 10


def main() -> None:
    use_private_samples()
    app, window = open_main_window()
    from hwr_desktop.core.data.mnist import load_mnist

    data = load_mnist()
    for d in range(10):
        for i in 1000 + np.flatnonzero(data.y_val[1000:] == d)[:PER_DIGIT]:   # not the epoch-scoring 1000
            window.personal.add(slanted_writer(data.x_val[i], d), d)
    canvas = window.draw_panel.canvas
    for digit in (1, 4, 7):                      # a few from the canvas, the way a user adds them
        for stroke in SHAPES[digit]:
            draw_stroke(canvas, stroke)
        window.draw_panel.add_sample()
    for stroke in SHAPES[7]:                     # and one on the canvas, ready to add
        draw_stroke(canvas, stroke)
    browser = window.my_samples_panel
    window.show_view(browser)
    browser.select_ids(browser.shown_ids()[1:3])
    for _ in range(3):
        app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT / "samples-browser.png"))

    window.show_view(window.finetune_panel)
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
