"""The line reader: a small convolutional network that reads a whole line of digits at once (CTC).

Cutting touching or overlapping digits apart is where the per-digit reader (core/reading/digit_reader.py)
fails; a sequence model never has to cut. The marks that segmentation found (printed lines
already removed, core/segmentation/printed_lines.py) are cut out of the full-resolution image as one strip, scaled
to LINE_HEIGHT x LINE_WIDTH (`line_input`), and the network gives, for each of FRAMES columns
of the strip, probabilities for "no digit here" (the CTC blank) and the ten digits. Greedy CTC
decoding (best class per frame, repeats merged, blanks dropped) gives the digits; each digit's
confidence is its peak frame probability, calibrated by the temperature stored in the model file.

The network (`build_line_reader`): four conv blocks that halve the height to 1 and the width to
FRAMES, then three 1-D convolutions along the line (each frame sees about a digit and a half), then
11 logits per frame. Trained by core/reading/line_reader_training.py on numbers composed from MNIST
*training* digits (core/data/number_images.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from hwr_desktop.core.models.evaluation import softmax
from hwr_desktop.core.segmentation.components import box_mean
from hwr_desktop.core.segmentation.marks import Marks

LINE_HEIGHT, LINE_WIDTH = 32, 256
DIGIT_ROWS = 24          # the strip's ink is scaled to this height, centred in LINE_HEIGHT
FRAMES = 64              # output columns: 4 input columns each
BLANK = 0                # CTC blank; digit d is class d + 1
MAX_DIGITS = 12


@dataclass(frozen=True)
class LineInput:
    strip: np.ndarray                  # (LINE_HEIGHT, LINE_WIDTH) float32 ink in [0, 1]
    x0: float                          # image x of strip column 0
    scale: float                       # image pixels per strip pixel
    box: tuple[int, int, int, int]     # the marks' box in image pixels


def marks_ink(marks: Marks) -> tuple[np.ndarray, int, int, tuple[int, int, int, int]] | None:
    """The ink of all marks of the image at full resolution, in their box: (ink in [0, 1] scaled to
    its 98th percentile, image x and y of its corner, the box). Ink only where the marks are
    (printed lines and specks left out). None when there is no ink."""
    if not marks.pieces:
        return None
    (h, w), (wh, ww) = marks.gray.shape, marks.work_shape
    fy, fx = h / wh, w / ww
    y0, x0 = min(p.y0 for p in marks.pieces), min(p.x0 for p in marks.pieces)
    y1, x1 = max(p.y1 for p in marks.pieces), max(p.x1 for p in marks.pieces)
    mask = np.zeros((y1 - y0 + 2, x1 - x0 + 2), np.float32)
    for p in marks.pieces:
        mask[p.y0 - y0 + 1:p.y1 - y0 + 1, p.x0 - x0 + 1:p.x1 - x0 + 1] += p.mask
    grown = box_mean(mask, 1) > 0          # one working pixel of slack keeps anti-aliased edges
    gx0, gy0 = x0 - 1, y0 - 1
    iy0, ix0 = max(0, int(np.floor(gy0 * fy))), max(0, int(np.floor(gx0 * fx)))
    iy1, ix1 = min(h, int(np.ceil((y1 + 1) * fy))), min(w, int(np.ceil((x1 + 1) * fx)))
    rows = np.clip(((np.arange(iy0, iy1) + 0.5) / fy).astype(int) - gy0, 0, grown.shape[0] - 1)
    cols = np.clip(((np.arange(ix0, ix1) + 0.5) / fx).astype(int) - gx0, 0, grown.shape[1] - 1)
    ink = marks.paper.ink(marks.gray[iy0:iy1, ix0:ix1], (h, w), (ix0, iy0)) * grown[np.ix_(rows, cols)]
    peak = float(np.percentile(ink[ink > 0], 98)) if (ink > 0).any() else 0.0
    if peak <= 0:
        return None
    return np.clip(ink / peak, 0.0, 1.0), ix0, iy0, (ix0, iy0, ix1, iy1)


def line_input(marks: Marks) -> LineInput | None:
    """All marks of the image as one strip: ink only where the marks are (printed lines and specks
    left out), scaled so the marks are DIGIT_ROWS high (or the strip's width, if that is less)."""
    found = marks_ink(marks)
    if found is None:
        return None
    ink, ix0, _, box = found
    ih, iw = ink.shape
    scale = max(ih / DIGIT_ROWS, iw / (LINE_WIDTH - 8))       # image px per strip px
    sh, sw = max(1, round(ih / scale)), max(1, round(iw / scale))
    small = np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").resize((sw, sh), Image.Resampling.BOX))
    strip = np.zeros((LINE_HEIGHT, LINE_WIDTH), np.float32)
    top, left = (LINE_HEIGHT - sh) // 2, 4
    strip[top:top + sh, left:left + sw] = np.clip(small, 0, 1)
    return LineInput(strip, ix0 - left * scale, scale, box)


@dataclass(frozen=True)
class LineDigit:
    digit: int
    confidence: float            # calibrated probability of this digit at its peak frame
    probabilities: np.ndarray    # (10,) digit probabilities at the peak frame, renormalised
    frames: tuple[int, int]      # first and last frame (inclusive) where it was the best class


def decode(frame_probabilities: np.ndarray) -> list[LineDigit]:
    """Greedy CTC decoding of one line's (FRAMES, 11) probabilities."""
    best = frame_probabilities.argmax(axis=1)
    digits: list[LineDigit] = []
    start = 0
    for t in range(1, len(best) + 1):
        if t < len(best) and best[t] == best[start]:
            continue
        if best[start] != BLANK:
            run = frame_probabilities[start:t]
            peak = start + int(run[:, best[start]].argmax())
            p = frame_probabilities[peak, 1:]
            digits.append(LineDigit(int(best[start]) - 1, float(frame_probabilities[peak, best[start]]),
                                    p / max(float(p.sum()), 1e-9), (start, t - 1)))
        start = t
    return digits


def build_line_reader():
    import keras
    from keras import layers
    inputs = keras.Input((LINE_HEIGHT, LINE_WIDTH, 1), name="line")
    x = inputs
    for filters, pool in ((16, (2, 2)), (32, (2, 2)), (64, (2, 1)), (96, (4, 1))):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(pool)(x)
    x = layers.Reshape((FRAMES, 96))(x)
    for _ in range(3):
        x = layers.Conv1D(96, 3, padding="same", activation="relu")(x)
        x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(11, name="frames")(x)
    return keras.Model(inputs, outputs, name="line_reader")


DEFAULT_LONE_CONFIDENCE = 0.9   # a lone line-reader digit (the readers disagree) needs this much


@dataclass
class LineReader:
    """The line reader as reading uses it: the network from its model file, with the calibration
    temperature and the rejection thresholds stored beside it (core/reading/number_reading.py)."""
    model: object
    temperature: float = 1.0
    lone_confidence: float = DEFAULT_LONE_CONFIDENCE
    agree_confidence: float = 0.0

    @classmethod
    def from_file(cls, path) -> LineReader:
        from hwr_desktop.core.models.modelfile import load_model
        model, info = load_model(path, shapes=((LINE_HEIGHT, LINE_WIDTH, 1), (FRAMES, 11)))
        reading = info.extra.get("line_reader", {}) if isinstance(info.extra.get("line_reader"), dict) else {}

        def threshold(key: str, default: float) -> float:   # a hand-edited file must not break reading
            value = reading.get(key, default)
            return float(value) if isinstance(value, (int, float)) and 0 <= value <= 1 else default
        return cls(model, info.temperature, threshold("lone_confidence", DEFAULT_LONE_CONFIDENCE),
                   threshold("agree_confidence", 0.0))

    def frame_probabilities(self, strip: np.ndarray) -> np.ndarray:
        logits = np.asarray(self.model(strip[None, ..., None].astype(np.float32), training=False))[0]
        return softmax(logits / self.temperature)


_BUNDLED: dict = {}


def bundled_line_reader() -> LineReader | None:
    """The bundled line reader, loaded once (None if this installation has none)."""
    from hwr_desktop.resources import line_reader_path
    path = line_reader_path()
    if path not in _BUNDLED:
        _BUNDLED[path] = LineReader.from_file(path) if path.exists() else None
    return _BUNDLED[path]
