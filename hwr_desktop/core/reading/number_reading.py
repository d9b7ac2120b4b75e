"""Reading a number with two readers that check each other.

The digit reader (core/reading/digit_reader.py) segments the marks, cuts them and classifies each digit with
the digit model; it is precise where digits stand apart. The line reader (core/reading/line_reader.py)
reads the whole strip at once and never has to cut, so it copes with touching and overlapping
digits. Both read the same marks (printed lines already removed). The digits shown are the line
reader's (where digits touch, the digit reader's count is often wrong by chance, so it never
overrules the line reader), and a digit is shown (not '?') when

    both readers found as many digits and agree on this one, and the line reader is at least
    min_confidence and `agree_confidence` sure; or
    otherwise (they disagree on this digit or on the count), it is at least `lone_confidence` sure.
    (Letting a very sure digit reader overrule an unsure line reader was tried: on validation
    numbers it let more confident mistakes through than it fixed.)

Where the readers disagree on the count, every mark of the digit reader that no line-reader
digit covers is added as a '?' (a digit the line reader dropped is never silent), and an unsure
line-reader digit with no mark under it (a phantom in a wide gap) is left out.

Otherwise it is '?'. `agree_confidence` and `lone_confidence` are chosen on validation numbers so
that confidently wrong numbers stay under 1 % (core/reading/line_reader_training.choose_thresholds) and
are stored in the line reader's file.
"""
from __future__ import annotations

import numpy as np

from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE, DigitRead, ReadResult, check_min_confidence, read_marks
from hwr_desktop.core.reading.line_reader import FRAMES, LINE_WIDTH, LineDigit, LineReader, decode, line_input
from hwr_desktop.core.segmentation.marks import find_marks


def _digit_box(line, digit: LineDigit, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    step = LINE_WIDTH / FRAMES
    x0 = line.x0 + digit.frames[0] * step * line.scale
    x1 = line.x0 + (digit.frames[1] + 1) * step * line.scale
    return int(max(box[0], x0 - step * line.scale)), box[1], int(min(box[2], x1 + step * line.scale)), box[3]


def _covers(boxes, box) -> bool:
    """Does the centre of `box` lie within the x-range of one of `boxes`?"""
    centre = (box[0] + box[2]) / 2
    return any(x0 <= centre <= x1 for x0, _, x1, _ in boxes)


def _unmatched(by_digits: ReadResult, boxes: list[tuple[int, int, int, int]]) -> list[DigitRead]:
    """The digit reader's marks that no line-reader digit covers: where the line reader may have
    dropped a digit. They are shown as '?' so a missing digit is never silent."""
    return [DigitRead(None, d.confidence, d.box, d.probabilities)
            for d in by_digits.digits if not _covers(boxes, d.box)]


def combine(by_digits: ReadResult, by_line: list[LineDigit], line, min_confidence: float,
            lone_confidence: float, agree_confidence: float = 0.0) -> ReadResult:
    marks = [d.box for d in by_digits.digits]
    if len(by_line) != len(by_digits.digits):
        # An unsure line-reader digit over empty paper (no mark of the digit reader under it) is a
        # phantom of a wide gap, not a digit.
        by_line = [d for d in by_line if d.confidence >= lone_confidence or _covers(marks, _digit_box(line, d, line.box))]
    same_count = len(by_line) == len(by_digits.digits)
    digits = []
    for i, d in enumerate(by_line):
        other = by_digits.digits[i] if same_count else None
        agrees = other is not None and other.digit == d.digit
        sure = d.confidence >= max(min_confidence, agree_confidence if agrees else lone_confidence)
        box = other.box if other is not None else _digit_box(line, d, line.box)
        probabilities = d.probabilities * d.confidence / max(float(d.probabilities.max()), 1e-9)
        digits.append(DigitRead(d.digit if sure else None, d.confidence, box, probabilities.astype(np.float32)))
    if not same_count:   # a mark no line-reader digit covers is a '?'
        digits = sorted(digits + _unmatched(by_digits, [d.box for d in digits]), key=lambda d: d.box[0])
    confidence = float(np.prod([d.confidence for d in digits])) if digits else 0.0
    if not same_count:
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
    return combine(by_digits, by_line, line, min_confidence, line_reader.lone_confidence,
                   line_reader.agree_confidence)
