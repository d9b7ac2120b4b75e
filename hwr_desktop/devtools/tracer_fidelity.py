"""How faithfully the tracer (devtools/tracer.py) turns MNIST digits into pen strokes, apart from any reader.

    python -m hwr_desktop.devtools.tracer_fidelity [DIGITS] [SEED]     one JSON line on stdout

DIGITS validation digits (drawn with SEED; the test set is never used) are each traced at the size
and with the pen a one-digit number gets on the number strip, and measured two ways:
- ink: the strokes drawn with that pen at the tracer's 4x resolution against the digit's own ink
  (binarised at half, as the tracer sees it): the share of the drawn ink that lies on the digit's
  (precision: a pen spilling onto the paper makes hooks and blobs) and the share of the digit's ink
  the pen covers (recall);
- read: each digit written alone on an offscreen number strip with real mouse events, its largest
  mark cut out and read by the bundled digit model (a digit that leaves no mark counts as misread),
  against the same model on the 28x28 images.
Roughly, a number of n digits written like this is read whole (read share)^n of the time by a
reader as good as the digit model on them: an estimate of what the replay can reach, not a bound.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.devtools import tracer


def ink_overlap(image28: np.ndarray, pen: float = tracer.PEN) -> tuple[float, float]:
    """(precision, recall) of the traced strokes' ink against the digit's, at the tracer's resolution;
    `pen` in strip heights (the canvas's brush), the digit sized as a one-digit number."""
    side, pen28 = 28 * tracer.UPSAMPLE, pen * 28 / tracer.written_size([image28], pen)
    ink = tracer.upsampled_ink(image28)
    drawn = Image.new("L", (side, side), 0)
    draw, radius = ImageDraw.Draw(drawn), pen28 * tracer.UPSAMPLE / 2
    for stroke in tracer.trace_digit(image28, pen28):
        points = [(x * tracer.UPSAMPLE, y * tracer.UPSAMPLE) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=max(1, round(2 * radius)))
        for x, y in points:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    pen = np.asarray(drawn) >= 128
    both = float((pen & ink).sum())
    return both / max(1.0, float(pen.sum())), both / max(1.0, float(ink.sum()))


def fidelity(digits: int = 1000, seed: int = 7) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.preprocess import blank_paper, preprocess
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.segmentation.marks import find_marks
    from hwr_desktop.resources import default_model_path
    from hwr_desktop.ui.widgets.canvas import NumberCanvas
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    mnist = load_mnist()
    picks = np.random.default_rng(seed).choice(len(mnist.y_val), digits, replace=False)
    images, labels = mnist.x_val[picks], mnist.y_val[picks]
    predictor = Predictor.from_file(default_model_path())
    on_images = predictor.probabilities(images.astype(np.float32) / 255.0).argmax(axis=1)
    canvas = NumberCanvas()
    canvas.resize(772, 193)          # the default window's strip
    canvas.show()
    read, split, overlaps = [], 0, []
    for image in images:
        overlaps.append(ink_overlap(image, canvas.brushSize()))
        canvas.clear()
        tracer.write_number(canvas, [image])
        marks = find_marks(canvas.reading_array(), blank_paper())
        split += len(marks.pieces) > 1
        largest = max(marks.pieces, key=lambda p: int(p.mask.sum()), default=None)
        prepared = preprocess(marks.cut_out(largest).crop) if largest is not None else None
        read.append(int(predictor.probabilities(prepared.image[None])[0].argmax()) if prepared is not None else -1)
    precision, recall = np.array(overlaps).T
    return {"digits": digits, "seed": seed, "read_on_images": float(np.mean(on_images == labels)),
            "read_written": float(np.mean(np.array(read) == labels)), "written_in_several_marks": int(split),
            "ink_precision": float(precision.mean()), "ink_recall": float(recall.mean())}


def main() -> None:
    digits = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    print(json.dumps(fidelity(digits, seed)), flush=True)


if __name__ == "__main__":
    main()
