"""Regenerate the screenshots of the evaluation and Why views (resources/screenshots/*.png).

    QT_QPA_PLATFORM=offscreen python -m hwr_desktop.devtools.screenshots_evaluation [--model PATH] [--out DIR]

Uses the bundled model unless --model is given. Evaluates it on the MNIST test set (a few
seconds), opens the most frequent confusion, draws a 4 on the canvas, then grabs each panel.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtTest import QTest

from hwr_desktop.devtools.offscreen_window import SCREENSHOTS, open_main_window
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke

WINDOW_SIZE = (1600, 1000)


def wait_until(app, condition, timeout_s: float = 120.0) -> None:
    loop_steps = int(timeout_s * 20)
    for _ in range(loop_steps):
        if condition():
            return
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()
    raise TimeoutError("the view did not fill in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the bundled model)")
    parser.add_argument("--out", default=str(SCREENSHOTS))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    app, window = open_main_window(WINDOW_SIZE, args.model)
    splitter = window.centralWidget()
    splitter.setSizes([WINDOW_SIZE[0] * 9 // 20, WINDOW_SIZE[0] * 11 // 20])   # room for the tabs

    # A drawn 4 (two strokes), used by the Why view (insight.png).
    canvas = window.draw_panel.canvas
    for stroke in SHAPES[4]:
        draw_stroke(canvas, stroke)

    evaluation = window.evaluation_panel
    window.show_view(evaluation)
    wait_until(app, lambda: evaluation.report is not None)
    off = evaluation.report.confusion * (1 - np.eye(10, dtype=np.int64))
    true, predicted = np.unravel_index(off.argmax(), off.shape)
    evaluation.show_cell(int(true), int(predicted))
    # Samples: random test images plus three of the model's mistakes, so the red marks show.
    rng = np.random.default_rng(7)
    mistakes = evaluation.report.mistakes()
    picks = np.concatenate([rng.choice(10000, 27, replace=False), rng.choice(mistakes, min(3, len(mistakes)), replace=False)])
    window.predictions_panel.predict(np.unique(picks))

    for name, panel, ready in (
            ("samples", window.predictions_panel, lambda p: p.report is not None),
            ("history", window.history_panel, lambda p: True),
            ("insight", window.inside_panel, lambda p: p.why.feature_maps is not None),
            ("dataset", window.dataset_panel, lambda p: p.data is not None)):
        window.show_view(panel)
        wait_until(app, lambda ready=ready, panel=panel: ready(panel))
        if name == "dataset":
            panel.digitFilter.setCurrentIndex(panel.digitFilter.findData(4))
        QTest.qWait(200)
        window.tabs.grab().save(str(out / f"{name}.png"))
        print(out / f"{name}.png")
    window.show_view(evaluation)
    QTest.qWait(200)
    window.tabs.grab().save(str(out / "evaluation.png"))
    print(out / "evaluation.png")
    window.show_view(window.inside_panel)
    QTest.qWait(200)
    window.grab().save(str(out / "main_window_insight.png"))
    print(out / "main_window_insight.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
