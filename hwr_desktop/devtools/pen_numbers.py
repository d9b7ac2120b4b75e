"""Number mode's reading, on many more numbers than the replay: the replay's strips, made offscreen.

    python -m hwr_desktop.devtools.pen_numbers [NUMBERS] [SEED]     one JSON line on stdout

The replay (devtools/number_replay.py) writes 100 numbers with real mouse events in about ten
minutes, so one number is a whole point and a change worth two points cannot be told from luck.
This writes the same strips without the event loop: each number's digits (MNIST *validation*
split, lengths and digits drawn with SEED exactly as the replay draws them) are traced
(devtools/tracer.py), rounded to the replay's mouse positions, and given to the default window's
NumberCanvas as finished strokes, which it paints as it paints a stroke let go (the same pixels).
Each strip is then read as number mode reads it (read_number on `reading_array()`, blank paper,
the app's predictor and bundled reader).

It stands for the replay where the replay's window is the default one with clean settings (its
strip 772x193, the default pen, the bundled digit model) and the replay lost no stroke
(`strokes_lost` 0: setStrokes keeps a stroke the strip would have taken for a click).
tests/ui/test_number_tracing.py checks that a strip made here is pixel for pixel the strip the
same number written with mouse events makes. With seed 29 the readings were the replay's: 93 of 100
with the same 7 misread (replay of e621f8b, 2026-12-08 01:43 UTC).

Figures: exact (the reading is the number written), confidently_wrong (wrong with no '?'),
likeliest_right (the likeliest whole-number reading is right, '?' or not), number_ece (the
expected calibration error of the number's confidence, the one number mode shows, against its
likeliest reading being right: does "90 %" come true 90 % of the time on pen strips?), and the
misread.
About 2,000 numbers in 4 minutes on 2 cores; the test set is never used.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np


def pen_strips(numbers: int, seed: int):
    """Yield (strip as read, text) for the replay's numbers of `seed`, written offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.devtools.number_replay import LENGTHS, _pixel_path
    from hwr_desktop.devtools.tracer import GAP, number_strokes, validation_number
    from hwr_desktop.ui.widgets.canvas import NumberCanvas
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    canvas = NumberCanvas()
    canvas.resize(772, 193)          # the default window's strip (1200x760), as number_replay writes on
    side = canvas.height()
    mnist, rng = load_mnist(), np.random.default_rng(seed)
    for _ in range(numbers):
        images, text = validation_number(int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)), rng, mnist)
        strokes = number_strokes(images, GAP, canvas.ASPECT, canvas.brushSize())
        canvas.setStrokes([[canvas._point(p.toPointF(), side) for p in _pixel_path(s, side)] for s in strokes])
        yield canvas.reading_array(), text


def read_pen_numbers(numbers: int = 2000, seed: int = 202) -> dict:
    from hwr_desktop.core.data.preprocess import blank_paper
    from hwr_desktop.core.models.evaluation import confidence_calibration_error
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.reading.number_reader import bundled_reader, read_number
    from hwr_desktop.resources import default_model_path
    predictor, reader = Predictor.from_file(default_model_path()), bundled_reader()
    rows = []
    for strip, text in pen_strips(numbers, seed):
        result = read_number(predictor, strip, reader, paper=blank_paper())
        read = "".join("?" if d.digit is None else str(d.digit) for d in result.digits)
        rows.append((text, read, result.readings[0][0] if result.readings else read, result.confidence))
    wrong = [f"{t}->{r}" for t, r, _, _ in rows if r != t]
    likeliest_right = [b == t for t, _, b, _ in rows]
    return {"numbers": numbers, "seed": seed, "exact": float(np.mean([r == t for t, r, _, _ in rows])),
            "confidently_wrong": float(np.mean([r != t and "?" not in r for t, r, _, _ in rows])),
            "likeliest_right": float(np.mean(likeliest_right)),
            "number_ece": confidence_calibration_error([c for *_, c in rows], likeliest_right),
            "digit_model_backend": predictor.backend, "misread": wrong}


def main() -> None:
    numbers = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 202
    print(json.dumps(read_pen_numbers(numbers, seed)), flush=True)


if __name__ == "__main__":
    main()
