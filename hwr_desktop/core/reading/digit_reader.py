"""Read the digits in a photo or scan: segment, prepare each mark like MNIST, classify, reject.

`read_image(predictor, image)` finds the marks (core/segmentation/marks.py). A mark at least
CUT_FROM_WIDTH line heights wide may be touching digits, so it is also cut along its cheapest
cut paths (core/segmentation/cuts.py). Every way of grouping the parts of a mark into digits is a reading;
each candidate digit is cut out of the full-resolution image, sent through
core/data/preprocess.preprocess (the same function the canvas uses) and classified, all candidates
of the image in one model call. Per mark, the reading with the best score wins:
    sum over its digits of (log p(best class) + DIGIT_BONUS) - CUT_COST * ink crossed by its cuts
(a small dynamic programme over the parts). The constants were tuned on synthetic images
(devtools/synthetic.py, seeds other than the benchmark's) with the bundled model.

Rejection: a mark is read as a digit only when the model's probability for its best class is at
least `min_confidence`: DEFAULT_MIN_CONFIDENCE = 0.4 unless the caller (CLI `--min-confidence`)
says otherwise. Confidences are the calibrated ones (core/models/calibration.py: "x %" means right x % of
the time on validation), and 0.4 means the model is torn between classes. A rejected mark is reported with
digit None and appears as '?' in `text`, so "1?34" shows that something unreadable stood between
1 and 3 instead of silently reading "134". Specks are not marks and are not reported at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwr_desktop.core.data.preprocess import preprocess
from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.segmentation.cuts import cut_paths, cut_piece
from hwr_desktop.core.segmentation.marks import Marks, find_marks
from hwr_desktop.core.segmentation.pieces import Piece, union

DEFAULT_MIN_CONFIDENCE = 0.4
REJECTED = "?"          # stands for a rejected mark in ReadResult.text
CUT_FROM_WIDTH = 0.9    # marks narrower than this many line heights are never cut
MAX_PARTS = 6           # parts one mark may be cut into
MAX_DIGIT_WIDTH = 1.6   # a group of parts wider than this many line heights is not one digit
DIGIT_BONUS = 0.15      # log-probability added per digit: > 0 favours cutting
CUT_COST = 0.2          # log-probability lost per stroke width of ink a cut crosses
MAX_SOLID = 0.5         # share of ink pixels deep inside solid ink: above it, a blob, not a stroke
MAX_ASPECT = 2.5        # width / height: flatter marks (dashes, underlines) are not digits


ALTERNATIVES = 3        # digits listed per mark, most likely first


@dataclass(frozen=True)
class DigitRead:
    digit: int | None                 # None: a mark that is not confidently a digit
    confidence: float                 # the model's probability for its best class; 0 if not digit-shaped
    box: tuple[int, int, int, int]    # x0, y0, x1, y1 (exclusive), image pixels
    probabilities: np.ndarray         # (10,), all 0 if not digit-shaped
    why: str | None = None            # for a '?': why it is not read ("not digit-shaped", "below ...")
    not_digit: float | None = None    # the not-a-digit gate's probability for this mark (None: not asked)
    # The 28x28 image the digit model read for this digit (as preprocess made it), for showing it.
    image: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def alternatives(self) -> list[tuple[int, float]]:
        """The ALTERNATIVES most likely digits and their calibrated probabilities, best first."""
        order = np.argsort(-self.probabilities, kind="stable")[:ALTERNATIVES]
        return [(int(k), float(self.probabilities[k])) for k in order if self.probabilities[k] > 0]

    def to_dict(self) -> dict:
        out = {"digit": self.digit, "confidence": round(self.confidence, 6), "box": list(self.box),
               "alternatives": [{"digit": k, "confidence": round(p, 6)} for k, p in self.alternatives],
               "why": self.why}
        if self.not_digit is not None:
            out["not_digit"] = round(self.not_digit, 6)
        return out


@dataclass(frozen=True)
class ReadResult:
    digits: list[DigitRead]           # left to right
    # Probability that the whole text is right (calibrated); None: the product of the digits'.
    number_confidence: float | None = None
    # What the reader did, for showing it: the parts it considered (image pixels, left to right)
    # and the printed lines it removed (bool mask over the image, possibly downscaled).
    pieces: tuple[tuple[int, int, int, int], ...] = ()
    lines_mask: np.ndarray | None = field(default=None, compare=False, repr=False)
    # The likeliest readings of the whole number, (text, probability), best first; empty: only `text`.
    readings: tuple[tuple[str, float], ...] = ()

    @property
    def text(self) -> str:
        return "".join(REJECTED if d.digit is None else str(d.digit) for d in self.digits)

    @property
    def confidence(self) -> float:
        if self.number_confidence is not None:
            return self.number_confidence
        return float(np.prod([d.confidence for d in self.digits])) if self.digits else 0.0

    def to_dict(self) -> dict:
        readings = self.readings or ((self.text, self.confidence),)
        return {"text": self.text, "confidence": round(self.confidence, 6),
                "digits": [d.to_dict() for d in self.digits],
                "readings": [{"text": t, "probability": round(p, 6)} for t, p in readings]}


def check_min_confidence(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise HwrError(f"minimum confidence must be between 0 and 1, not {value}")
    return float(value)


def digit_shaped(image28: np.ndarray) -> bool:
    """False for marks a digit classifier would still label confidently: blobs and dashes.

    Pen strokes are thin relative to the digit, so few ink pixels have ink all around them
    (5x5); in MNIST at most 0.24 of them do in 99.9 % of digits, ~0.5 with strokes thickened
    by 4 px (a fat marker), 0.54 in a filled disc, 1.0 in a filled square. MNIST digits are
    at most 2.5 times as wide as high.
    """
    ink = image28 > 0.5
    if not ink.any():
        return False
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if (cols[-1] - cols[0] + 1) > MAX_ASPECT * (rows[-1] - rows[0] + 1):
        return False
    padded = np.pad(ink, 2)
    h, w = ink.shape
    inside = np.logical_and.reduce([padded[dy:dy + h, dx:dx + w] for dy in range(5) for dx in range(5)])
    return inside.sum() <= MAX_SOLID * ink.sum()


def _parts(mark: Piece, height: float) -> tuple[list[Piece], list[float]]:
    """A mark's parts left to right and the ink crossed by each cut between them."""
    if mark.width < CUT_FROM_WIDTH * height:
        return [mark], []
    paths = cut_paths(mark, height, max_cuts=min(MAX_PARTS - 1, int(mark.width / (0.25 * height))))
    return cut_piece(mark, [p for p, _ in paths]), [cost for _, cost in paths]


def _best_grouping(n: int, costs: list[float], scores: dict[tuple[int, int], float]) -> list[tuple[int, int]]:
    """The runs parts[i:j] that together make the best reading (dynamic programme, left to right)."""
    best, back = [0.0] + [-np.inf] * n, [0] * (n + 1)
    for j in range(1, n + 1):
        cut = CUT_COST * costs[j - 1] if j < n else 0.0
        for i in range(j):
            if (i, j) in scores and best[i] + scores[(i, j)] - cut > best[j]:
                best[j], back[j] = best[i] + scores[(i, j)] - cut, i
    runs, j = [], n
    while j > 0:
        runs.append((back[j], j))
        j = back[j]
    return runs[::-1]


def _candidates(marks: Marks) -> tuple[list[tuple[int, int, int, Piece]], list[list[float]], list[Piece]]:
    """Every run parts[i:j] of every mark that could be one digit, as (mark, i, j, piece),
    per mark the ink crossed by the cuts between its parts, and all the parts."""
    candidates, cut_costs, all_parts = [], [], []
    for index, mark in enumerate(marks.pieces):
        parts, costs = _parts(mark, marks.height)
        cut_costs.append(costs)
        all_parts += parts
        for i in range(len(parts)):
            group = parts[i]
            for j in range(i + 1, len(parts) + 1):
                group = group if j == i + 1 else union(group, parts[j - 1])
                if j - i == len(parts) or group.width <= MAX_DIGIT_WIDTH * marks.height:
                    candidates.append((index, i, j, group))
    return candidates, cut_costs, all_parts


def _uncalibrated_best(probabilities: np.ndarray, predictor) -> np.ndarray:
    """Each candidate's best-class probability before the model's calibration temperature T.

    The cutting scores (DIGIT_BONUS, CUT_COST) were tuned on these. Calibration (T < 1 for our
    label-smoothed models) pushes sure answers from about 0.9 to about 1.0, so a fragment that
    looks like a digit would gain too much and marks would be over-cut. softmax(z) is recovered
    from softmax(z / T) as p**T, renormalised. Confidences shown and rejection stay calibrated."""
    info = getattr(predictor, "info", None)
    temperature = 1.0 if info is None or info.outputs_probabilities else info.temperature
    if temperature == 1.0:
        return probabilities.max(axis=1)
    powered = np.power(probabilities.astype(np.float64), temperature)
    total = powered.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, powered.max(axis=1) / total, 0.0)


def read_marks(predictor, marks: Marks, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> ReadResult:
    candidates, cut_costs, parts = _candidates(marks)
    crops = [marks.cut_out(c[3]) for c in candidates]
    prepared = [preprocess(c.crop) for c in crops]   # None: no ink left once cut out (too faint)
    usable = [n for n, p in enumerate(prepared) if p is not None]
    probabilities = np.zeros((len(candidates), 10), np.float32)
    if usable:  # every candidate of the image in one model call
        probabilities[usable] = predictor.probabilities(np.stack([prepared[n].image for n in usable]))
    shaped = np.zeros(len(candidates), bool)
    for n in usable:
        shaped[n] = digit_shaped(prepared[n].image)
        if not shaped[n]:
            probabilities[n] = 0.0   # whatever the model says, not a digit: confidence 0
    options: list[dict] = [{} for _ in marks.pieces]    # per mark: (i, j) -> candidate number
    scores: list[dict] = [{} for _ in marks.pieces]
    best = _uncalibrated_best(probabilities, predictor)
    for n, (index, i, j, _) in enumerate(candidates):
        options[index][(i, j)] = n
        scores[index][(i, j)] = (float(np.log(max(best[n], 1e-6))) + DIGIT_BONUS
                                 if prepared[n] else 0.0)   # nothing there: neither gain nor loss
    digits = []
    for index, costs in enumerate(cut_costs):
        for run in _best_grouping(len(costs) + 1, costs, scores[index]):
            n = options[index][run]
            if prepared[n] is None:
                continue
            probs, (x0, y0, x1, y1), (ox, oy) = probabilities[n], prepared[n].box, crops[n].origin
            digit = int(probs.argmax())
            confidence = float(probs[digit])
            accepted = shaped[n] and confidence >= min_confidence
            why = None if accepted else "not digit-shaped" if not shaped[n] else \
                f"less sure than the minimum confidence {min_confidence:.0%}"
            digits.append(DigitRead(digit if accepted else None, confidence,
                                    (x0 + ox, y0 + oy, x1 + ox, y1 + oy), probs, why, image=prepared[n].image))
    return ReadResult(digits, lines_mask=marks.lines, pieces=tuple(marks.image_box(p) for p in parts))


def read_image(predictor, image: np.ndarray, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> ReadResult:
    """All digits of an image array (any size, polarity, colour, alpha), left to right."""
    check_min_confidence(min_confidence)
    return read_marks(predictor, find_marks(image), min_confidence)
