"""Reading a number with two readers that check each other.

The digit reader (core/reading.py) segments the marks, cuts them and classifies each digit with
the digit model; it is precise where digits stand apart. The line reader (core/line_reader.py)
reads the whole strip at once and never has to cut, so it copes with touching and overlapping
digits. Both read the same marks (printed lines already removed). The digits shown are the line
reader's, and a digit is shown (not '?') when

    both readers found as many digits and agree on this one, and it is >= min_confidence sure; or
    they found as many digits and disagree on this one: the surer reader's digit, if it is at
    least `lone_confidence` sure; or
    they disagree on how many digits there are: the line reader's digit, if at least
    `lone_confidence` sure.
 `lone_confidence` is chosen on validation digits so that confidently wrong
numbers stay under 1 % (core/line_reader_training.choose_lone_confidence) and stored in the
line reader's file.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.line_reader import FRAMES, LINE_WIDTH, LineDigit, decode, line_input, softmax
from hwr_desktop.core.reading import DEFAULT_MIN_CONFIDENCE, DigitRead, ReadResult, check_min_confidence, read_marks
from hwr_desktop.core.segment import find_marks

DEFAULT_LONE_CONFIDENCE = 0.9


@dataclass
class LineReader:
    model: object
    temperature: float = 1.0
    lone_confidence: float = DEFAULT_LONE_CONFIDENCE

    @classmethod
    def from_file(cls, path) -> LineReader:
        from hwr_desktop.core.line_reader import LINE_HEIGHT
        from hwr_desktop.core.modelfile import load_model
        model, info = load_model(path, shapes=((LINE_HEIGHT, LINE_WIDTH, 1), (FRAMES, 11)))
        reading = info.extra.get("line_reader", {}) if isinstance(info.extra.get("line_reader"), dict) else {}
        lone = reading.get("lone_confidence", DEFAULT_LONE_CONFIDENCE)
        lone = float(lone) if isinstance(lone, (int, float)) and 0 <= lone <= 1 else DEFAULT_LONE_CONFIDENCE
        return cls(model, info.temperature, lone)

    def frame_probabilities(self, strip: np.ndarray) -> np.ndarray:
        logits = np.asarray(self.model(strip[None, ..., None].astype(np.float32), training=False))[0]
        return softmax(logits, self.temperature)


def _digit_box(line, digit: LineDigit, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    step = LINE_WIDTH / FRAMES
    x0 = line.x0 + digit.frames[0] * step * line.scale
    x1 = line.x0 + (digit.frames[1] + 1) * step * line.scale
    return int(max(box[0], x0 - step * line.scale)), box[1], int(min(box[2], x1 + step * line.scale)), box[3]


def combine(by_digits: ReadResult, by_line: list[LineDigit], line, min_confidence: float,
            lone_confidence: float) -> ReadResult:
    same_count = len(by_line) == len(by_digits.digits)
    digits = []
    for i, d in enumerate(by_line):
        other = by_digits.digits[i] if same_count else None
        probabilities = d.probabilities * d.confidence / max(float(d.probabilities.max()), 1e-9)
        digit, confidence = d.digit, d.confidence
        if other is not None and other.digit is not None and other.digit != d.digit and other.confidence > d.confidence:
            # Where the two disagree on a digit, the surer one is shown (if it passes the stricter threshold).
            digit, confidence, probabilities = other.digit, other.confidence, other.probabilities
        agrees = other is not None and other.digit == d.digit
        sure = confidence >= (min_confidence if agrees else max(min_confidence, lone_confidence))
        box = other.box if other is not None else _digit_box(line, d, line.box)
        digits.append(DigitRead(digit if sure else None, confidence, box, np.asarray(probabilities, np.float32)))
    confidence = float(np.prod([d.confidence for d in digits])) if digits else 0.0
    if digits and not same_count:
        confidence *= 0.5   # the readers disagree on how many digits there are
    return ReadResult(digits, confidence, by_digits.pieces, by_digits.lines_mask)


def read_number(predictor, image: np.ndarray, line_reader: LineReader | None,
                min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> ReadResult:
    """All digits of an image, left to right, cross-checked by the line reader when there is one."""
    check_min_confidence(min_confidence)
    marks = find_marks(image)
    by_digits = read_marks(predictor, marks, min_confidence)
    line = line_input(marks) if line_reader is not None else None
    if line is None:
        return by_digits
    by_line = decode(line_reader.frame_probabilities(line.strip))
    return combine(by_digits, by_line, line, min_confidence, line_reader.lone_confidence)


_BUNDLED: dict = {}


def bundled_line_reader() -> LineReader | None:
    """The bundled line reader, loaded once (None if this installation has none)."""
    from hwr_desktop.resources import line_reader_path
    path = line_reader_path()
    if path not in _BUNDLED:
        _BUNDLED[path] = LineReader.from_file(path) if path.exists() else None
    return _BUNDLED[path]
