"""Strips for the sequence reader (core/strip_reader.py): the one geometry, and training data made on the fly.

A strip is a line of digits as the reader sees it: ink (light on black, in [0, 1]) scaled to
STRIP_HEIGHT rows with the digits' box DIGIT_ROWS high (about the 20 px of an MNIST digit, so the
trunk taken from the digit model sees digits at the size it learned them), and as wide as the
number needs (`fit_strip`: a multiple of WIDTH_STEP, so ten digits never shrink into a fixed
width). Reading (`strip_input`) and training make strips with the same `fit_strip`.

Training examples are made while training runs, in numpy, from MNIST *training* digits; batch k
of a run depends only on (seed, k), so a resumed run sees exactly the data it would have seen:
- each digit augmented like the digit model's training (rotation, scale, shear, shift, stroke
  thickness; the ranges of core/augment.py), then sized and laid out by core/number_images.py's row
  maker: spaced, tight, or touching and overlapping (TOUCHING_SHARE of all numbers);
- strip-level effects: remains of printed lines (base lines, form boxes, comb ticks, ruled and
  squared paper; cut to the ink around the digits, as line removal leaves them, or whole), blur,
  noise inside the ink, faded and broken strokes;
- REAL_SHARE of each batch comes from a pool made through the real reading pipeline (a full
  image of core/number_images.py in one of the five conditions -> find_marks -> strip_input), so
  training sees what reading feeds it, segmentation's slips included.
The second training stage (`wide=True`, `train-reader --variation wide --init-from` the first
stage's checkpoint) widens the synthetic part towards how people write: one pen per number
(binarised, then wider or thinner strokes), an italic slant of the whole number, deeper overlaps
between touching digits and comb ticks that reach into the digits.
Validation strips are made the same way from the validation split; the test split is never used.
"""
from __future__ import annotations

import math
import multiprocessing
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from hwr_desktop.core.segmentation.components import box_mean

STRIP_HEIGHT = 32
DIGIT_ROWS = 22          # the marks' box is scaled to this height, centred in STRIP_HEIGHT
LEFT = 4                 # blank strip columns before the ink (and at least as many after it)
WIDTH_STEP = 32          # strip widths are multiples of this (the network halves the width once)
MIN_WIDTH, MAX_WIDTH = 64, 640
FRAME_STEP = 2           # strip columns per output frame
MAX_LABEL = 12           # label slots per example (numbers of up to 10 digits are trained)
LENGTHS = (1, 10)
TOUCHING_SHARE = 0.45
REAL_SHARE = 0.2

# The digit augmentation's ranges, as in core/augment.py (which runs in the TensorFlow graph).
MAX_ROTATION = math.radians(12)
SCALE_RANGE = (0.85, 1.12)
MAX_SHEAR = 0.25
MAX_SHIFT = 2.5


def fit_strip(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """(strip, scale): `ink` (h, w) in [0, 1], already cut to its box, scaled so its height is
    DIGIT_ROWS (narrower if the number would pass MAX_WIDTH), left-aligned at LEFT and centred
    vertically (`strip_top`); `scale` is ink pixels per strip pixel."""
    ih, iw = ink.shape
    scale = max(ih / DIGIT_ROWS, iw / (MAX_WIDTH - 2 * LEFT))
    sh, sw = max(1, round(ih / scale)), max(1, round(iw / scale))
    small = np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").resize((sw, sh), Image.Resampling.BOX))
    width = max(MIN_WIDTH, -(-(sw + 2 * LEFT) // WIDTH_STEP) * WIDTH_STEP)
    strip = np.zeros((STRIP_HEIGHT, width), np.float32)
    top = strip_top(sh)
    strip[top:top + sh, LEFT:LEFT + sw] = np.clip(small, 0, 1)
    return strip, scale


def strip_top(rows: int) -> int:
    return (STRIP_HEIGHT - rows) // 2


@dataclass(frozen=True)
class StripInput:
    strip: np.ndarray                  # (STRIP_HEIGHT, width) float32 ink in [0, 1]
    x0: float                          # image x of strip column 0
    y0: float                          # image y of strip row 0
    scale: float                       # image pixels per strip pixel
    box: tuple[int, int, int, int]     # the marks' box in image pixels

    def image_box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        """A box in strip pixels as image pixels, inside the marks' box."""
        bx0, by0, bx1, by1 = self.box
        return (int(max(bx0, np.floor(self.x0 + x0 * self.scale))), int(max(by0, np.floor(self.y0 + y0 * self.scale))),
                int(min(bx1, np.ceil(self.x0 + x1 * self.scale))), int(min(by1, np.ceil(self.y0 + y1 * self.scale))))


def marks_ink(marks) -> tuple[np.ndarray, int, int, tuple[int, int, int, int]] | None:
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


def strip_input(marks) -> StripInput | None:
    """All marks of an image (core/segmentation/marks.find_marks) as one strip, or None when there is no ink."""
    found = marks_ink(marks)
    if found is None:
        return None
    ink, ix0, iy0, box = found
    strip, scale = fit_strip(ink)
    top = strip_top(max(1, round(ink.shape[0] / scale)))
    return StripInput(strip, ix0 - LEFT * scale, iy0 - top * scale, scale, box)


# --- one digit ----------------------------------------------------------------------------------

def _dilate(a: np.ndarray) -> np.ndarray:
    p = np.pad(a, 1)
    return np.max([p[dy:dy + a.shape[0], dx:dx + a.shape[1]] for dy in range(3) for dx in range(3)], axis=0)


def _erode(a: np.ndarray) -> np.ndarray:
    return -_dilate(-a)


def augment_digit(x28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit (uint8) warped by a random affine map and made thicker or thinner: uint8 28x28."""
    angle, scale = rng.uniform(-MAX_ROTATION, MAX_ROTATION), rng.uniform(*SCALE_RANGE)
    shear, tx, ty = rng.uniform(-MAX_SHEAR, MAX_SHEAR), rng.uniform(-MAX_SHIFT, MAX_SHIFT), rng.uniform(-MAX_SHIFT, MAX_SHIFT)
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    a0, a1, b0, b1 = cos, -sin + cos * shear, sin, cos + sin * shear
    c = 13.5
    coeffs = (a0, a1, c - a0 * c - a1 * c + tx, b0, b1, c - b0 * c - b1 * c + ty)
    image = Image.fromarray(x28.astype(np.float32) / 255.0, mode="F")
    a = np.asarray(image.transform((28, 28), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR))
    amount = rng.uniform()
    if rng.uniform() < 0.5:
        a = a + amount * (_dilate(a) - a)
    else:
        a = a + 0.5 * amount * (_erode(a) - a)
    return np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)


# --- one synthetic strip ------------------------------------------------------------------------

def _layout(n: int, rng, wide: bool = False) -> tuple[tuple[float, float], bool]:
    """(gap range in digit heights, touching?) of one number. `wide`: half the touching numbers
    overlap up to twice as deeply (a digit written into its neighbour)."""
    roll = rng.uniform()
    if roll < TOUCHING_SHARE:
        return ((-0.3, 0.0) if wide and rng.uniform() < 0.5 else (-0.15, 0.0)), True
    if roll < TOUCHING_SHARE + 0.15:
        return (-0.05, 0.1), False
    return (0.05, 0.6), False


def _printed_remains(canvas: np.ndarray, boxes, height: float, rng, wide: bool = False) -> np.ndarray:
    """Printed lines over the number (base line, ruled lines, form cells, comb, grid) in [0, 1].
    `wide`: a comb's ticks may reach as high as the digits (tall ticks that look like 1s)."""
    H, W = canvas.shape
    lines = np.zeros_like(canvas)
    t = max(1, int(round(height * rng.uniform(0.02, 0.07))))
    tone = rng.uniform(0.3, 1.0)
    bottom = int(np.median([b[3] for b in boxes]) + rng.uniform(-0.1, 0.1) * height)
    top = int(np.median([b[1] for b in boxes]) + rng.uniform(-0.15, 0.05) * height)
    kind = rng.choice(["base", "ruled", "cells", "comb", "grid"])
    if kind in ("base", "ruled", "cells", "comb"):
        lines[np.clip(bottom, 0, H - t):np.clip(bottom, 0, H - t) + t] = tone
    if kind == "ruled":
        y = int(bottom - height * rng.uniform(1.3, 1.9))
        if 0 <= y < H - t:
            lines[y:y + t] = tone
    if kind in ("cells", "comb"):
        if kind == "cells" and 0 <= top < H - t:
            lines[max(0, top - t):top] = tone
        reach = rng.uniform(0.25, 1.1) if wide else rng.uniform(0.25, 0.5)
        tick_top = max(0, top - t) if kind == "cells" else int(bottom - height * reach)
        between = [(a[2] + b[0]) / 2 for a, b in zip(boxes, boxes[1:])]
        edges = [boxes[0][0] - 0.15 * height] + between + [boxes[-1][2] + 0.15 * height]
        for x in edges:
            x = int(np.clip(x + rng.normal(0, 0.05) * height, 0, W - t))
            lines[max(0, tick_top):bottom + t, x:x + t] = tone
    if kind == "grid":
        step = height * rng.uniform(0.4, 0.8)
        for y in np.arange(rng.uniform(0, step), H - t, step).astype(int):
            lines[y:y + t] = tone
        for x in np.arange(rng.uniform(0, step), W - t, step).astype(int):
            lines[:, x:x + t] = tone
    return lines


def _pen(canvas: np.ndarray, height: float, rng, touching: bool) -> np.ndarray:
    """One pen for the whole number: the ink binarised at a random level, then made wider (a felt
    pen: strokes up to about a quarter of the digit height) or thinner, with soft edges again."""
    peak = float(canvas.max())
    ink = (canvas > rng.uniform(0.2, 0.6) * peak).astype(np.float32)   # relative: a faint number keeps its ink
    widest = 1 if touching else max(1, round(height * 0.05))    # fat strokes would fuse touching digits into blots
    grow = int(rng.integers(-1, widest + 1))
    for _ in range(max(0, grow)):
        ink = _dilate(ink)
    if grow < 0:
        ink = np.maximum(_erode(ink), (canvas > 0.85 * peak).astype(np.float32))   # thinner, never cut
    soft = Image.fromarray(np.round(ink * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return np.asarray(soft, np.float32) / 255.0


def _slant(canvas: np.ndarray, boxes, degrees: float):
    """The whole number sheared as italic writing (positive: leaning right), the canvas widened to
    keep it, and each box moved with the shear at its middle height."""
    h, w = canvas.shape
    s = math.tan(math.radians(degrees))
    extra = int(math.ceil(abs(s) * h)) + 1
    shift = extra if s > 0 else 0
    # output (x, y) takes input (x - shift + s * (h - y), y): the bottom row stays, the top moves by s * h
    coeffs = (1.0, -s, -shift + s * h, 0.0, 1.0, 0.0)
    image = Image.fromarray(canvas.astype(np.float32), mode="F")
    out = np.asarray(image.transform((w + extra, h), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR))
    moved = []
    for x0, y0, x1, y1 in boxes:
        dx = shift - s * (h - (y0 + y1) / 2)
        moved.append((int(x0 + dx), y0, int(x1 + dx), y1))
    return np.clip(out, 0, 1).astype(np.float32), moved


def synthetic_strip(images28: np.ndarray, rng: np.random.Generator, wide: bool = False) -> np.ndarray:
    """One number of the given MNIST digits as a strip, with random layout and strip-level effects.
    `wide` (the second training stage): also one pen per number (binarised, wider or thinner
    strokes), an italic slant of the whole number (-22..22 degrees), deeper overlaps and tall comb
    ticks; written from how people write, not from the bench's renderer."""
    from hwr_desktop.core.data.number_images import _row
    from hwr_desktop.core.data.number_painting import digit_alpha
    height = float(np.exp(rng.uniform(np.log(22), np.log(40))))     # drawn a little larger, then scaled down
    alphas = [digit_alpha(augment_digit(x, rng), max(8, int(round(height * rng.uniform(0.85, 1.15)))), rng)
              for x in images28]
    gaps, touching = _layout(len(alphas), rng, wide)
    canvas, boxes = _row(alphas, height, rng, gaps, touching=touching)
    canvas = np.pad(canvas, 4)
    boxes = [(x0 + 4, y0 + 4, x1 + 4, y1 + 4) for x0, y0, x1, y1 in boxes]
    if wide and rng.uniform() < 0.5:
        canvas = _pen(canvas, height, rng, touching)
    if wide and rng.uniform() < 0.7:
        canvas, boxes = _slant(canvas, boxes, rng.uniform(-22, 22))
    ink = canvas > 0.05
    if rng.uniform() < 0.3:                     # printed lines that line removal left behind
        lines = _printed_remains(canvas, boxes, height, rng, wide)
        if rng.uniform() < 0.7:                 # only where they cross or touch the digits
            near = ink
            for _ in range(int(rng.integers(1, 4))):
                near = _dilate(near.astype(np.float32)) > 0
            lines = lines * near
        canvas = np.maximum(canvas, lines)
    if rng.uniform() < 0.25:                    # faded or broken strokes
        canvas = canvas * np.clip(rng.uniform(0.3, 1.2, canvas.shape), 0, 1).astype(np.float32) ** 0.5
    if rng.uniform() < 0.3:                     # blur: a photo out of focus
        blurred = Image.fromarray(np.round(canvas * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.5)))
        canvas = np.asarray(blurred, np.float32) / 255.0
    if rng.uniform() < 0.3:                     # noise where the marks' mask lets it through
        near = _dilate(ink.astype(np.float32)) > 0
        canvas = canvas + near * rng.normal(0, rng.uniform(0.03, 0.12), canvas.shape).astype(np.float32)
    canvas = np.clip(canvas, 0, 1) ** rng.uniform(0.7, 1.4)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    # The box the marks give reading: the ink's box, sometimes a little loose (a speck or line stub).
    y0, y1 = rows[0] - int(rng.integers(0, 2)), rows[-1] + 1 + int(rng.integers(0, 2))
    x0, x1 = cols[0] - int(rng.integers(0, 2)), cols[-1] + 1 + int(rng.integers(0, 2))
    cut = canvas[max(0, y0):y1, max(0, x0):x1]
    positive = cut[cut > 0]
    peak = float(np.percentile(positive, 98)) if positive.size else 1.0
    strip, _ = fit_strip(np.clip(cut / max(peak, 1e-3), 0, 1))
    return strip


# --- strips through the real reading pipeline ----------------------------------------------------

def real_strip(images28, labels, condition: str, rng) -> np.ndarray | None:
    from hwr_desktop.core.data.number_images import TRAINING_SIZES, number_image
    from hwr_desktop.core.segmentation.marks import find_marks
    sample = number_image(images28, labels, condition, rng, TRAINING_SIZES)
    found = strip_input(find_marks(sample.array()))
    return None if found is None else found.strip


def _split(split: str):
    from hwr_desktop.core.data.mnist import load_mnist
    if split not in ("train", "validation"):
        raise ValueError(f"reader strips come from train or validation digits, not {split!r}")
    data = load_mnist()
    return (data.x_train, data.y_train) if split == "train" else (data.x_val, data.y_val)


def _real_chunk(args):
    from hwr_desktop.core.data.number_images import CONDITIONS
    split, seed, start, stop = args
    images, labels = _split(split)
    out = []
    for i in range(start, stop):
        rng = np.random.default_rng([seed, 11, i])
        n = LENGTHS[0] + i % (LENGTHS[1] - LENGTHS[0] + 1)
        picks = rng.choice(len(images), size=n, replace=False)
        condition = CONDITIONS[(i // 10) % len(CONDITIONS)]
        strip = real_strip(images[picks], labels[picks], condition, rng)
        out.append((strip, "".join(str(int(d)) for d in labels[picks]), condition))
    return out


@dataclass
class StripSet:
    """Strips of many widths, padded to the widest; `widths` says where each one ends."""
    x: np.ndarray            # (n, STRIP_HEIGHT, max width) uint8 ink
    widths: np.ndarray       # (n,) int
    texts: list[str]
    kinds: list[str]         # the condition (real pipeline) or "synthetic"

    def save(self, path) -> None:
        from hwr_desktop.core.files import replacing
        with replacing(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, x=self.x, widths=self.widths, texts=np.array(self.texts), kinds=np.array(self.kinds))

    @classmethod
    def load(cls, path) -> StripSet:
        with np.load(path, allow_pickle=False) as f:
            return cls(f["x"], f["widths"], [str(t) for t in f["texts"]], [str(k) for k in f["kinds"]])

    def strip(self, i: int) -> np.ndarray:
        return self.x[i, :, :self.widths[i]].astype(np.float32) / 255.0


def _stack(strips: list[np.ndarray], texts: list[str], kinds: list[str]) -> StripSet:
    width = max([s.shape[1] for s in strips] + [MIN_WIDTH])
    x = np.zeros((len(strips), STRIP_HEIGHT, width), np.uint8)
    for k, s in enumerate(strips):
        x[k, :, :s.shape[1]] = np.round(s * 255)
    return StripSet(x, np.array([s.shape[1] for s in strips], np.int32), texts, kinds)


def real_strips(split: str, n: int, seed: int, workers: int = 2, progress=None) -> StripSet:
    """`n` strips made through the real reading pipeline from MNIST `split` digits, lengths 1-10
    in turn, the five conditions in turn; example i depends only on (split, seed, i)."""
    step = 250
    jobs = [(split, seed, start, min(n, start + step)) for start in range(0, n, step)]
    results = []
    if workers <= 1:
        iterator = map(_real_chunk, jobs)
        pool = None
    else:
        pool = multiprocessing.get_context("spawn").Pool(workers)
        iterator = pool.imap(_real_chunk, jobs)
    try:
        for chunk in iterator:
            results.extend(chunk)
            if progress:
                progress(len(results), n)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    kept = [r for r in results if r[0] is not None]
    return _stack([r[0] for r in kept], [r[1] for r in kept], [r[2] for r in kept])


def synthetic_strips(split: str, n: int, seed: int, wide: bool = False) -> StripSet:
    images, labels = _split(split)
    strips, texts = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, 13, i])
        picks = rng.choice(len(images), size=int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)), replace=False)
        strips.append(synthetic_strip(images[picks], rng, wide))
        texts.append("".join(str(int(d)) for d in labels[picks]))
    return _stack(strips, texts, ["synthetic"] * n)


# --- training batches ----------------------------------------------------------------------------

def encode_labels(texts: list[str]) -> np.ndarray:
    """(n, MAX_LABEL) int32: digit + 1 (0 is the CTC blank), zero-padded."""
    y = np.zeros((len(texts), MAX_LABEL), np.int32)
    for k, text in enumerate(texts):
        y[k, :len(text)] = [int(c) + 1 for c in text]
    return y


def pad_batch(strips: list[np.ndarray]) -> np.ndarray:
    """(n, STRIP_HEIGHT, width, 1) float32: the strips padded with blank columns to the widest."""
    width = max(s.shape[1] for s in strips)
    x = np.zeros((len(strips), STRIP_HEIGHT, width, 1), np.float32)
    for k, s in enumerate(strips):
        x[k, :, :s.shape[1], 0] = s
    return x


class BatchMaker:
    """Training batch k of a run, made from (seed, k) alone: synthetic strips of MNIST training
    digits and REAL_SHARE of strips from the real-pipeline pool (one length class per batch so the
    strips of a batch are of similar width)."""

    def __init__(self, seed: int, batch_size: int, pool: StripSet | None, wide: bool = False):
        self.seed, self.batch_size, self.pool, self.wide = seed, batch_size, pool, wide
        self.images, self.labels = _split("train")
        if pool is not None:
            lengths = np.array([len(t) for t in pool.texts])
            self.by_length = {n: np.flatnonzero(lengths == n) for n in range(LENGTHS[0], LENGTHS[1] + 1)}

    def __call__(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, 17, k])
        longest = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        strips, texts = [], []
        for _ in range(self.batch_size):
            n = int(rng.integers(max(LENGTHS[0], longest - 2), longest + 1))
            candidates = self.by_length.get(n, ()) if self.pool is not None else ()
            if len(candidates) and rng.uniform() < REAL_SHARE:
                i = int(candidates[rng.integers(len(candidates))])
                strips.append(self.pool.strip(i))
                texts.append(self.pool.texts[i])
                continue
            picks = rng.choice(len(self.images), size=n, replace=False)
            strips.append(synthetic_strip(self.images[picks], rng, self.wide))
            texts.append("".join(str(int(d)) for d in self.labels[picks]))
        return pad_batch(strips), encode_labels(texts)
