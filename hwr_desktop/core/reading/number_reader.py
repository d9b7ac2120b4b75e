"""Reading a number with the sequence reader, each digit checked by the digit model.

    image -> find_marks (printed lines removed) -> strip_input (one strip, as wide as the number)
    -> the sequence reader's frames -> CTC prefix beam search: the likeliest digit strings
    -> each string's digits located by forced alignment and cut out of the strip (ink that belongs
       wholly to one digit goes with it; ink shared by touching digits is cut between them)
    -> a digit whose crop is one whole mark of the image (it stands apart) is cut out again from the
       full-resolution image, as the digit reader cuts it: the digit model sees the digit at the size
       it was written, not at the strip's ~22 px; what touching digits share stays the strip's crop
       (on validation numbers, 2026-12-07, this alone moved readings by a few either way; it let the
       refit choose a number bar, which made the gain: docs/RESULTS.md)
    -> the digit model's probability of each digit on its crop:
           score = log P_ctc(string) + sum over digits of  w x log P_digit_model(digit | crop)
       with w = `apart_weight` where the digit stands apart (its crop cuts no ink: the digit
       model, at 99.7 % on single digits, has the strongest say there) and `touching_weight`
       where the crop had to be cut out of touching ink
    -> the number's probability: softmax of the scores over the strings, at `number_temperature`
       (fitted on validation numbers, so "x % sure" is right x % of the time); each digit's
       probability: the share of that probability whose strings agree on it
    -> a digit is shown as '?' when it is less sure than `digit_threshold` (or than the caller's
       minimum confidence), and the least sure digit of a number less sure than
       `number_threshold` is a '?' too: both chosen on validation numbers so that confidently
       wrong numbers stay rare. The digit reader no longer vetoes a reading on its digit count.

`analyse` does the expensive part once per image; `decide` applies settings to it, so fitting the
settings on validation numbers (core/sequence_reader_fit.py) costs one analysis per number.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.reading.crop_memo import CropAnswer, CropMemo, crop_key
from hwr_desktop.core.reading.ctc import Beam, align_many, beam_search
from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE, DigitRead, ReadResult, check_min_confidence
from hwr_desktop.core.reading.strips import STRIP_HEIGHT, StripInput, strip_input

BEAM_WIDTH = 10
RESCORED = 6            # the likeliest strings the digit model checks
READINGS = 3            # whole-number readings offered to the user
INK = 0.15              # strip ink above this is a stroke (for components)
OWN_SLACK = 4           # strip px a digit's own component may reach past its cut
MIN_LOG = np.log(1e-4)  # the digit model's log-probability floor (one bad crop must not veto alone)
OWN_OVERLAP = 0.7       # a digit's columns and its mark's overlap at least this share of their union
# The gate explains a '?' (a crop standing apart that it is at least this sure is not a digit), but never
# makes one: on 300 validation numbers (2026-12-05, the first gate) marking at its own threshold cost one
# number read exactly and at 0.99 none, yet on the reading bench (500 numbers, the bundled gate) marking
# at 0.99 cost 3.8 points (54.2 -> 50.4 % exact; confidently wrong 8.4 -> 6.2 %): the bench's slanted
# writer draws digits the gate has not seen. Turning such digits into '?' waits for a reader trained on them.
MARK_NOT_DIGIT_AT = 0.99


@dataclass(frozen=True)
class ReaderSettings:
    apart_weight: float = 1.0
    touching_weight: float = 0.3
    number_temperature: float = 1.0
    digit_threshold: float = 0.5
    number_threshold: float = 0.0

    @classmethod
    def from_dict(cls, document) -> ReaderSettings:
        """From a model file's description; a hand-edited value out of range keeps its default."""
        defaults = cls()
        if not isinstance(document, dict):
            return defaults
        values = {}
        for name in cls.__dataclass_fields__:
            value = document.get(name, getattr(defaults, name))
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value >= 0
            if name.endswith("threshold") and ok:
                ok = value <= 1
            values[name] = float(value) if ok and (name != "number_temperature" or value > 0) else getattr(defaults, name)
        return cls(**values)

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class SequenceReader:
    """The sequence network with its reading settings, on one of the Predictor's two back ends
    (core/models/inference.py): `model` is the Keras network, or with backend "litert" the
    callable of its checked `.tflite` twin (core/models/litert_model.py), which needs no TensorFlow."""
    model: object
    settings: ReaderSettings = field(default_factory=ReaderSettings)
    backend: str = "keras"

    SHAPES = ((STRIP_HEIGHT, None, 1), (None, 11))

    @classmethod
    def from_file(cls, path, backend: str = "auto") -> SequenceReader:
        """`auto`: the shipped twin of a bundled reader when it is made from this very file, else
        Keras; `keras` or `litert` to choose (`litert` needs the twin), as `Predictor.from_file`."""
        from hwr_desktop.core.models.inference import BACKENDS
        if backend not in BACKENDS:
            raise ValueError(f"unknown back end {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend != "keras":
            from hwr_desktop.core.models.litert_model import LiteRTModel, read_description, shipped_twin
            twin = shipped_twin(path)
            if twin is not None:
                settings = ReaderSettings.from_dict(read_description(path).extra.get("sequence_reader"))
                return cls(LiteRTModel(twin), settings, "litert")
            if backend == "litert":
                from hwr_desktop.core.errors import HwrError
                raise HwrError(f"{Path(path).name} has no up-to-date LiteRT file beside it")
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()   # TensorFlow's banner silenced before Keras imports it
        from hwr_desktop.core.models.modelfile import load_model
        model, info = load_model(path, shapes=cls.SHAPES)
        return cls(model, ReaderSettings.from_dict(info.extra.get("sequence_reader")))

    def frame_log_probs(self, strip: np.ndarray) -> np.ndarray:
        """(T, 11) log-probabilities of one strip's frames (blank, digits 0-9)."""
        x = strip[None, :, :, None].astype(np.float32)
        logits = np.asarray(self.model(x) if self.backend == "litert" else self.model(x, training=False), np.float64)[0]
        z = logits - logits.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@dataclass
class Candidate:
    """One digit string with what the digit model said of each of its digits."""
    beam: Beam
    digit_log: list[float]           # log P_digit_model(digit | its crop), floored at MIN_LOG
    apart: list[bool]                # the crop cut no ink
    probabilities: list[np.ndarray]  # the digit model's ten probabilities on each crop
    boxes: list[tuple[int, int, int, int]]   # each digit's ink box, image pixels
    images: list = field(default_factory=list)   # each digit's 28x28 model input (None: no ink in its crop)
    not_digit: list[float] = field(default_factory=list)   # the not-a-digit gate on each crop (empty: no gate)


@dataclass
class Analysis:
    line: StripInput | None
    candidates: list[Candidate]
    pieces: tuple = ()
    lines_mask: np.ndarray | None = None
    gate_threshold: float | None = None      # the not-a-digit gate's threshold (None: no gate asked)


def _components(strip: np.ndarray):
    from hwr_desktop.core.segmentation.components import label
    labels, count = label(strip > INK)
    spans = []
    for c in range(1, count + 1):
        cols = np.flatnonzero((labels == c).any(axis=0))
        spans.append((int(cols[0]), int(cols[-1]) + 1))
    return labels, spans


def _cuts(spans_frames: list[tuple[int, int]], width: int) -> list[tuple[int, int]]:
    """Each digit's column range in the strip: cut half-way between neighbouring digits' frames."""
    centres = [(a + b + 1) for a, b in spans_frames]          # frame f covers columns 2f, 2f + 1
    edges = [0] + [int(round((x + y) / 2)) for x, y in zip(centres, centres[1:])] + [width]
    return list(zip(edges, edges[1:]))


def _crops(strip, labels, spans, cuts) -> tuple[list[np.ndarray], list[bool]]:
    """Each digit's crop (the strip with only its ink) and whether it stands apart."""
    owners = []
    for x0, x1 in spans:
        centre = (x0 + x1) / 2
        owner = next((i for i, (a, b) in enumerate(cuts) if a <= centre < b), None)
        if owner is not None and (x0 < cuts[owner][0] - OWN_SLACK or x1 > cuts[owner][1] + OWN_SLACK):
            owner = None                           # shared by touching digits: cut by columns
        owners.append(owner)
    owners = np.array([-1] + [-2 if o is None else o for o in owners])   # per label; -1: background
    per_pixel = owners[labels]
    crops, apart = [], []
    columns = np.arange(strip.shape[1])[None, :]
    for i, (a, b) in enumerate(cuts):
        inside = (columns >= a) & (columns < b)
        # its own strokes, its share of shared ones, and the faint edges (below INK) within its columns
        keep = (per_pixel == i) | ((per_pixel < 0) & inside)
        crops.append(np.where(keep, strip, 0.0).astype(np.float32))
        apart.append(not ((per_pixel == -2) & inside).any())
    return crops, apart


class ReadStopped(HwrError):
    """A read given up half-way: its caller asked for a newer one (number mode, a new stroke)."""


def _go_on(stop) -> None:
    if stop is not None and stop.is_set():
        raise ReadStopped("the read was stopped: a newer one replaces it")


def analyse(reader: SequenceReader, predictor, image: np.ndarray, memo: CropMemo | None = None,
            stop=None, paper=None) -> Analysis:
    """The strings, their digits' crops and what the digit model says of each. `memo` (number mode
    passes one) answers for crops it has seen in an earlier read with the same predictor. `stop` (a
    threading.Event): once set, the read ends at its next step with ReadStopped, so that a stroke
    written while the strip is read waits for one step of the old read, not all of it. `paper`: the
    image's paper where the caller knows it (see find_marks)."""
    from hwr_desktop.core.segmentation.marks import find_marks
    marks = find_marks(image, paper)
    _go_on(stop)
    pieces = tuple(marks.image_box(p) for p in marks.pieces)
    line = strip_input(marks)
    if line is None:
        return Analysis(None, [], pieces, marks.lines)
    log_probs = reader.frame_log_probs(line.strip)
    _go_on(stop)
    beams = beam_search(log_probs, BEAM_WIDTH)[:RESCORED]
    labels, spans = _components(line.strip)
    crops_of = []
    for beam, frames in zip(beams, align_many(log_probs, [b.digits for b in beams])):
        cuts = _cuts(frames, line.strip.shape[1]) if beam.digits else []
        crops, apart = _crops(line.strip, labels, spans, cuts)
        boxes = [_ink_box(line, crop) for crop in crops]
        owners = _own_marks(pieces, boxes, apart)
        # A digit whose crop is one whole mark is read on that mark cut out of the full-resolution image,
        # as the digit reader cuts it, rather than on its ~22 px tall crop of the strip.
        crops_of.append([(("mark", k) if k is not None else ("strip", crop.tobytes()), a, crop, box)
                         for crop, a, k, box in zip(crops, apart, owners, boxes)])
    sources = {}
    for entry in crops_of:
        for key, _, crop, _ in entry:
            if key not in sources:
                sources[key] = marks.cut_out(marks.pieces[key[1]]).crop if key[0] == "mark" else crop
    _go_on(stop)
    gate = _gate(predictor)
    answers = _answers(predictor, gate, sources, memo)
    candidates = []
    for beam, entry in zip(beams, crops_of):
        digit_log, apart, probabilities, boxes, images = [], [], [], [], []
        for d, (key, a, _, box) in zip(beam.digits, entry):
            p = answers[key].probabilities
            digit_log.append(float(max(np.log(max(float(p[d]), 1e-30)), MIN_LOG)))
            apart.append(a)
            probabilities.append(p)
            boxes.append(box)
            images.append(answers[key].prepared.image if answers[key].prepared is not None else None)
        not_digit = [answers[key].not_digit for _, (key, *_) in zip(beam.digits, entry)] if gate else []
        candidates.append(Candidate(beam, digit_log, apart, probabilities, boxes, images, not_digit))
    return Analysis(line, candidates, pieces, marks.lines, gate.threshold if gate else None)


def _answers(predictor, gate, sources: dict, memo: CropMemo | None) -> dict:
    """Each crop's preprocessing and what the digit model and the gate say of it (core/reading/
    crop_memo.py): the crops the memo does not know are preprocessed and go to each network in one
    batch; a crop without ink gets zeros from the model and 0 from the gate."""
    from hwr_desktop.core.data.preprocess import preprocess
    answers, ids = {}, {}
    if memo is not None:
        for key, crop in sources.items():
            ids[key] = crop_key(crop)
            found = memo.get(predictor, ids[key])
            if found is not None:
                answers[key] = found
    todo = [k for k in sources if k not in answers]
    prepared = {k: preprocess(sources[k]) for k in todo}
    usable = [k for k in todo if prepared[k] is not None]
    batch = np.stack([prepared[k].image for k in usable]) if usable else None
    probs = dict(zip(usable, predictor.probabilities(batch))) if usable else {}
    gated = dict(zip(usable, gate.probability(batch))) if gate and usable else {}
    for k in todo:
        answers[k] = CropAnswer(prepared[k], probs.get(k, np.zeros(10, np.float32)),
                                float(gated.get(k, 0.0)) if gate else None)
        if memo is not None:
            memo.put(predictor, ids[k], answers[k])
    return answers


def _own_marks(marks_boxes, boxes, apart) -> list[int | None]:
    """For each digit, the mark its crop is (index into `marks_boxes`, image pixels), or None.

    A digit owns a mark when its crop cut no ink (`apart`) and its ink box spans the same columns
    as that mark and no other (overlap over union of the column ranges at least OWN_OVERLAP: the
    strip's boxes are rounded to its ~4x coarser pixels), and no other digit of the string owns it.
    A mark shared by touching digits, or a digit made of two marks, is read on the strip."""
    owner: list[int | None] = [None] * len(boxes)
    for i, ((bx0, _, bx1, _), a) in enumerate(zip(boxes, apart)):
        if not a:
            continue
        hits = [k for k, (x0, _, x1, _) in enumerate(marks_boxes)
                if min(x1, bx1) - max(x0, bx0) >= OWN_OVERLAP * (max(x1, bx1) - min(x0, bx0))]
        if len(hits) == 1:
            owner[i] = hits[0]
    return [k if k is not None and owner.count(k) == 1 else None for k in owner]


def _gate(predictor):
    """The not-a-digit gate, where the predictor asks it (a stand-in predictor in a test may not)."""
    if not getattr(predictor, "use_gate", False):
        return None
    from hwr_desktop.core.models.not_digit import bundled_gate
    return bundled_gate()


def _ink_box(line: StripInput, crop: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero((crop > INK).any(axis=1)), np.flatnonzero((crop > INK).any(axis=0))
    if not len(rows):
        rows, cols = np.array([0, crop.shape[0] - 1]), np.array([0, crop.shape[1] - 1])
    return line.image_box(cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)


def scores(analysis: Analysis, settings: ReaderSettings) -> np.ndarray:
    out = []
    for c in analysis.candidates:
        weights = [settings.apart_weight if a else settings.touching_weight for a in c.apart]
        out.append(c.beam.log_probability + float(np.dot(weights, c.digit_log)) if c.digit_log else c.beam.log_probability)
    return np.array(out, np.float64)


def posterior(analysis: Analysis, settings: ReaderSettings) -> np.ndarray:
    s = scores(analysis, settings) / settings.number_temperature
    if not len(s):
        return s
    e = np.exp(s - s.max())
    return e / e.sum()


def decide(analysis: Analysis, settings: ReaderSettings, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> ReadResult:
    """The reading of an analysed image under `settings`."""
    if not analysis.candidates:
        return ReadResult([], 0.0, analysis.pieces, analysis.lines_mask)
    post = posterior(analysis, settings)
    order = np.argsort(-post, kind="stable")
    best = analysis.candidates[order[0]]
    n = len(best.beam.digits)
    digits = []
    same = [(c, p) for c, p in zip(analysis.candidates, post) if len(c.beam.digits) == n]
    for i, d in enumerate(best.beam.digits):
        votes = np.zeros(10)
        for c, p in same:
            votes[c.beam.digits[i]] += p
        # What the strings leave open (strings of another length, or beyond the likeliest few), the
        # digit model's view of this crop fills in; the digit's confidence is its share of the whole.
        probabilities = votes + (1 - votes.sum()) * best.probabilities[i] / max(float(best.probabilities[i].sum()), 1e-9)
        confidence = float(probabilities[d])
        g = best.not_digit[i] if best.not_digit else None
        why = None
        if confidence < min_confidence:
            why = f"less sure than the minimum confidence {min_confidence:.0%}"
        elif confidence < settings.digit_threshold:
            why = f"the likeliest readings disagree on it (the reader's bar: {settings.digit_threshold:.0%})"
        why = _gate_says(why, g, best.apart[i], analysis.gate_threshold)
        image = best.images[i] if i < len(best.images) else None
        digits.append(DigitRead(None if why else d, confidence, best.boxes[i], probabilities.astype(np.float32), why,
                                not_digit=g, image=image))
    number = float(post[order[0]])
    if digits and number < settings.number_threshold and all(x.digit is not None for x in digits):
        k = int(np.argmin([x.confidence for x in digits]))
        why = f"the whole number is unsure ({number:.0%}; the reader's bar: {settings.number_threshold:.0%})"
        digits[k] = replace(digits[k], digit=None, why=_gate_says(why, digits[k].not_digit, best.apart[k],
                                                                   analysis.gate_threshold))
    readings = tuple((analysis.candidates[k].beam.text, float(post[k])) for k in order[:READINGS])
    return ReadResult(digits, number, analysis.pieces, analysis.lines_mask, readings=readings)


def _gate_says(why: str | None, not_digit: float | None, apart: bool, gate_threshold: float | None) -> str | None:
    """Why a '?' is shown: the gate's reason replaces the other, it says more. Only for a digit standing
    apart: a crop cut out of touching ink may look like no one digit and still be one."""
    if why and not_digit is not None and apart and not_digit >= max(gate_threshold, MARK_NOT_DIGIT_AT):
        return f"not a digit ({not_digit:.0%} sure)"
    return why


def read_number(predictor, image: np.ndarray, reader: SequenceReader | None,
                min_confidence: float = DEFAULT_MIN_CONFIDENCE, memo: CropMemo | None = None, stop=None,
                paper=None) -> ReadResult:
    """All digits of an image, left to right: by the sequence reader checked by the digit model,
    or by the digit reader alone (core/reading/digit_reader.py) when there is no sequence reader.
    `memo`: what earlier reads said of the same crops (number mode reads its strip at every pen lift);
    `stop`: a threading.Event that ends the read early with ReadStopped (see `analyse`); `paper`: the
    paper of a drawing made in the app (`blank_paper()`), which then is not estimated."""
    check_min_confidence(min_confidence)
    if reader is None:
        from hwr_desktop.core.reading.digit_reader import read_image
        return read_image(predictor, image, min_confidence)
    return decide(analyse(reader, predictor, image, memo, stop, paper), reader.settings, min_confidence)


_BUNDLED: dict = {}


def bundled_reader() -> SequenceReader | None:
    """The bundled sequence reader, loaded once (None if this installation has none)."""
    from hwr_desktop.resources import number_reader_path
    path = number_reader_path()
    if path not in _BUNDLED:
        _BUNDLED[path] = SequenceReader.from_file(path) if path.exists() else None
    return _BUNDLED[path]
