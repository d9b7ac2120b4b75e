"""A second renderer of handwritten-number images, for the reading bench only.

core/data/number_images.py makes the sequence reader's training data, so a bench that also used it would grade
the reader on its own training distribution. This module draws the same five conditions with other
models of everything, written independently of core/data/number_images.py and core/data/number_painting.py:

- strokes:  each MNIST digit is upsampled (Lanczos or bilinear), binarised at a random level, and its
            stroke is made as wide as the number's pen by morphological dilation or erosion (a
            thinning, which never cuts a faint stroke), then anti-aliased; one pen per number (width,
            ink, pressure), so all digits share a stroke width;
- slant:    one italic shear (-20..+20 degrees) for the whole number, a baseline that drifts (linear
            or sinusoidal) and per-digit size variation;
- spaced:   gaps between ink boxes drawn from a gamma distribution (mean ~0.3 digit heights, some wide);
- touching: each digit slides into its neighbour until the binarised inks overlap by a drawn target,
            1-12 % of the smaller digit's ink (log-uniform), so every neighbouring pair's ink really
            meets; pairs whose shapes cannot reach the target within half a digit get the shallowest
            contact instead (conditions["overlaps"] has what each pair got);
- boxes:    form cells (joined boxes with square or rounded corners, separate boxes, or a comb with
            tall ticks), lines 1-4 px in black/gray/blue/red/green, digits sometimes over a cell edge;
- ruled:    notebook lines tilted up to 2 degrees (sometimes a red margin line) or squared paper
            (solid or dotted lines, or a dot grid), the digits sitting on a line with jitter;
- photo:    a ~1 MP page: paper texture, shading and sometimes a shadow band, rotated up to 5 degrees
            with a mild perspective (sometimes the desk shows), defocus or motion blur, sensor noise, JPEG 35-90.

Digits are 24-140 px tall (photos: 3-12 % of the width). Image i of a condition depends only on
(seed, condition, i). Boxes are each digit's ink box, in page coordinates for photos (before the warp).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from hwr_desktop.core.segmentation.components import label

CONDITIONS = ("spaced", "touching", "boxes", "ruled", "photo")
MAX_SIDE = 2400
HEIGHTS = (24.0, 140.0)            # digit height in px (non-photo), log-uniform
LUMA = np.float32([0.299, 0.587, 0.114])


@dataclass
class WrittenNumber:
    data: bytes                                  # encoded PNG or JPEG
    text: str                                    # the digits, left to right
    boxes: list[tuple[int, int, int, int]]       # each digit's ink box x0, y0, x1, y1 (photos: before the warp)
    conditions: dict = field(default_factory=dict)

    def array(self) -> np.ndarray:
        from hwr_desktop.core.data.images import load_image_bytes
        return load_image_bytes(self.data, "synthetic")


# ---------------------------------------------------------------- strokes

@dataclass
class Pen:
    width: float          # stroke width in px
    level: float          # binarisation level of the upsampled MNIST grey
    resample: int         # PIL resampling filter for the upsampling
    shear: float          # tan of the italic angle (positive: tops lean right)
    soften: float         # anti-aliasing blur radius in px


@dataclass
class Glyph:
    alpha: np.ndarray     # geometric ink coverage in [0, 1], cropped to the ink
    ink: np.ndarray       # alpha >= 0.5: the binarised ink


def _pen(height: float, rng: np.random.Generator) -> Pen:
    width = float(np.clip(height * np.exp(rng.uniform(np.log(0.045), np.log(0.15))), 1.6, 16.0))
    resample = Image.Resampling.LANCZOS if rng.random() < 0.5 else Image.Resampling.BILINEAR
    return Pen(width, rng.uniform(0.25, 0.6), resample, float(np.tan(np.radians(rng.uniform(-20, 20)))),
               rng.uniform(0.35, 0.9))


def _grow(mask: np.ndarray, steps: int) -> np.ndarray:
    """Dilate by `steps` px, alternating a 3x3 square and a cross (an octagon, close to a disc)."""
    for k in range(steps):
        row = mask.copy()
        row[:, 1:] |= mask[:, :-1]
        row[:, :-1] |= mask[:, 1:]
        src = row if k % 2 == 0 else mask
        out = row.copy()
        out[1:] |= src[:-1]
        out[:-1] |= src[1:]
        mask = out
    return mask


def _boundary(mask: np.ndarray) -> int:
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return int(np.count_nonzero(mask & ~inner))


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width ~ area / centre-line length, the length ~ half the boundary."""
    return 2.0 * np.count_nonzero(mask) / max(_boundary(mask), 1)


def _pieces(mask: np.ndarray) -> int:
    """Connected pieces of ink, not counting specks (under 3 % of the ink)."""
    labels, n = label(mask)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    return int(np.count_nonzero(sizes >= 0.03 * max(int(sizes.sum()), 1)))


def _despeck(mask: np.ndarray) -> np.ndarray:
    """Without the specks (pieces under 2 % of the ink) that binarising MNIST's grey fringe leaves."""
    labels, n = label(mask)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = sizes >= 0.02 * sizes[1:].sum()
    keep[0] = False
    return keep[labels]


def _thinning_tables() -> tuple[np.ndarray, np.ndarray]:
    """Zhang-Suen: for each 8-neighbourhood code (bit k = neighbour P(k+2), clockwise from north),
    may the centre pixel go in the first / the second sub-iteration without breaking a stroke?"""
    first, second = np.zeros(256, bool), np.zeros(256, bool)
    for code in range(256):
        p = [(code >> k) & 1 for k in range(8)]                  # P2..P9
        b = sum(p)
        a = sum(p[k] == 0 and p[(k + 1) % 8] == 1 for k in range(8))
        if 2 <= b <= 6 and a == 1:
            p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
            first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
            second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


THIN_FIRST, THIN_SECOND = _thinning_tables()
NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))   # P2..P9 as (dy, dx)


def _thin(mask: np.ndarray, steps: int) -> np.ndarray:
    """Erode by about `steps` px without ever cutting a stroke (topology-preserving thinning):
    a stroke thinner than 2 x `steps` ends as a 1-px line instead of vanishing."""
    m = np.pad(mask, 1).astype(np.uint8)
    h, w = mask.shape
    for _ in range(steps):
        for table in (THIN_FIRST, THIN_SECOND):
            code = np.zeros((h, w), np.uint8)
            for bit, (dy, dx) in enumerate(NEIGHBOURS):
                code |= m[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] << bit
            m[1:-1, 1:-1] &= ~(table[code] & (m[1:-1, 1:-1] == 1))
    return m[1:-1, 1:-1].astype(bool)


def _restroke(mask: np.ndarray, width: float) -> np.ndarray:
    """Dilate or erode the binary `mask` towards stroke `width`. The erosion is a thinning, so a
    faint part of the digit never breaks off; for pens over 3 px it thins one step further and
    grows one back, so that no part is left 1 px wide."""
    radius = int(round((width - _stroke_width(mask)) / 2))
    if radius > 0:
        return _grow(np.pad(mask, radius), radius)
    if radius < 0 and width >= 3:
        return _grow(_thin(mask, 1 - radius), 1)
    return _thin(mask, -radius)


def _glyph(x28: np.ndarray, height: int, widen: float, pen: Pen) -> Glyph:
    grey = x28.astype(np.float32) / 255.0
    rows, cols = np.flatnonzero(grey.max(axis=1) > 0.1), np.flatnonzero(grey.max(axis=0) > 0.1)
    crop = grey[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    grow = max(0.0, (pen.width - 0.12 * height) / 2)      # dilation adds about this much on each side
    h = max(8, int(round(height - 2 * grow)))
    w = max(2, int(round(crop.shape[1] * h / crop.shape[0] * widen)))
    big = np.asarray(Image.fromarray(crop).resize((w, h), pen.resample))
    mask = big >= pen.level * float(big.max())
    if pen.level > 0.25 and _pieces(mask) > _pieces(big >= 0.25 * float(big.max())):
        mask = big >= 0.25 * float(big.max())          # a high level broke a faint stroke
    mask = _restroke(_despeck(mask), pen.width)
    if height > 45:   # round off the facets that upsampling 28 px leaves on big digits: blur, threshold again
        radius = min(height / 80, pen.width / 4)
        smooth = Image.fromarray(np.pad(mask, 3).astype(np.uint8) * 255).filter(ImageFilter.GaussianBlur(radius))
        mask = np.asarray(smooth)[3:-3, 3:-3] >= 128
    h, w = mask.shape
    pad = int(np.ceil(abs(pen.shear) * h)) + 2
    src = Image.fromarray(np.pad(mask, 2).astype(np.uint8) * 255)
    # x_in = x_out + shear * (y - bottom) - offset: the bottom stays put, the top leans by shear * h
    offset = 2 + max(0.0, -pen.shear) * (h + 3)
    sheared = src.transform((w + 4 + pad, h + 4), Image.Transform.AFFINE,
                            (1, pen.shear, -pen.shear * (h + 3) - offset + 2, 0, 1, 0), Image.Resampling.BILINEAR)
    soft = np.asarray(sheared.filter(ImageFilter.GaussianBlur(pen.soften)), np.float32) / 255.0
    rows, cols = np.flatnonzero(soft.max(axis=1) > 0.02), np.flatnonzero(soft.max(axis=0) > 0.02)
    alpha = np.clip(soft[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] * 1.15, 0, 1)
    return Glyph(alpha, alpha >= 0.5)


def _glyphs(images28, height: float, pen: Pen, rng, lo: float = HEIGHTS[0], hi: float = HEIGHTS[1]) -> list[Glyph]:
    sizes = np.clip(height * np.exp(rng.normal(0.0, 0.08, len(images28))), max(lo, 0.8 * height), min(hi, 1.22 * height))
    return [_glyph(x, int(round(s)), rng.uniform(0.85, 1.15), pen) for x, s in zip(images28, sizes)]


# ---------------------------------------------------------------- a row of digits

@dataclass
class Row:
    alpha: np.ndarray                              # the digits' ink, cropped to the row
    boxes: list[tuple[int, int, int, int]]
    origin: tuple[int, int]                        # where layout point (0, 0) (the baseline's start) is
    positions: list[tuple[int, int]] = field(default_factory=list)
    overlaps: list[float] = field(default_factory=list)   # touching: shared ink / smaller digit's ink


def _overlap(a: np.ndarray, ax: int, ay: int, b: np.ndarray, bx: int, by: int) -> int:
    x0, x1 = max(ax, bx), min(ax + a.shape[1], bx + b.shape[1])
    y0, y1 = max(ay, by), min(ay + a.shape[0], by + b.shape[0])
    if x0 >= x1 or y0 >= y1:
        return 0
    return int(np.count_nonzero(a[y0 - ay:y1 - ay, x0 - ax:x1 - ax] & b[y0 - by:y1 - by, x0 - bx:x1 - bx]))


def _drift(height: float, rng):
    """The baseline: a slow slope or a long sine wave, in layout coordinates (y down)."""
    if rng.random() < 0.5:
        slope = np.tan(np.radians(rng.uniform(-3, 3)))
        return lambda x: slope * x
    amp, wave, phase = height * rng.uniform(0.03, 0.12), height * rng.uniform(4, 10), rng.uniform(0, 2 * np.pi)
    return lambda x: amp * np.sin(2 * np.pi * x / wave + phase)


def _touch(prev: Glyph, px: int, py: int, g: Glyph, y: int, target: float, reach: int) -> tuple[int, int, int]:
    """Where `g` goes right of `prev` (at px, py) so that their binarised inks share about `target`
    px: the shallowest slide into `prev` (moving up or down costs a little too) that reaches the
    target within half the narrower digit and `reach` px up or down; failing that, the shallowest
    contact within half of it and 2.5 x `reach`; failing that, the shallowest contact at all.
    Overlaps for every offset at once, by FFT correlation. Returns x, y and the shared px."""
    (ha, wa), (hb, wb) = prev.ink.shape, g.ink.shape
    shape = (ha + hb, wa + wb)
    shared = np.fft.irfft2(np.fft.rfft2(prev.ink.astype(np.float64), shape)
                           * np.conj(np.fft.rfft2(g.ink.astype(np.float64), shape)), shape)
    oy0, far = y - py, int(2.5 * reach)
    oys = np.arange(oy0 - far, oy0 + far + 1)
    oxs = np.arange(-wb + 1, wa + 1)                  # g's left edge, relative to prev's left edge
    table = np.rint(shared[np.ix_(oys % shape[0], oxs % shape[1])])   # negative offsets wrap around
    table[(oys <= -hb) | (oys >= ha)] = 0                                # no rows in common
    lift = np.abs(oys - oy0)[:, None]
    depth = wa - oxs[None, :]                         # how far g's box slides into prev's box
    cost = depth + 1.5 * lift
    shallow = depth <= 0.5 * min(wa, wb)
    for ok in (shallow & (lift <= reach) & (table >= target), shallow & (lift <= reach) & (table >= 1),
               shallow & (table >= 1), table >= 1):
        if ok.any():
            i, j = np.unravel_index(np.argmin(np.where(ok, cost, np.inf)), ok.shape)
            return px + int(oxs[j]), py + int(oys[i]), int(table[i, j])
    return px + wa // 2, y, 0


def _row(glyphs: list[Glyph], height: float, rng, touching: bool = False, baseline=None, jitter: float = 0.035) -> Row:
    baseline = baseline or _drift(height, rng)
    xs, ys, overlaps = [], [], []
    for i, g in enumerate(glyphs):
        gh, gw = g.alpha.shape
        if i == 0:
            x = 0
        elif touching:
            x = xs[-1] + glyphs[i - 1].alpha.shape[1]
        else:
            gap = rng.gamma(3.0, 0.1) * height
            if rng.random() < 0.06:
                gap += rng.uniform(0.3, 0.7) * height          # a wide gap, as between digit groups
            x = xs[-1] + glyphs[i - 1].alpha.shape[1] + int(round(max(gap, 2, 0.04 * height)))
        y = int(round(baseline(x + gw / 2) + rng.normal(0.0, jitter) * height - gh))
        if i and touching:
            prev = glyphs[i - 1]
            smaller = min(np.count_nonzero(prev.ink), np.count_nonzero(g.ink))
            target = float(np.exp(rng.uniform(np.log(0.01), np.log(0.12)))) * smaller     # mostly light contact
            x, y, shared = _touch(prev, xs[-1], ys[-1], g, y, max(1.0, target), int(0.12 * height))
            overlaps.append(float(shared / max(smaller, 1)))
        xs.append(x)
        ys.append(y)
    x0, y0 = min(xs), min(ys)
    W = max(x + g.alpha.shape[1] for x, g in zip(xs, glyphs)) - x0
    H = max(y + g.alpha.shape[0] for y, g in zip(ys, glyphs)) - y0
    canvas = np.zeros((H, W), np.float32)
    boxes, positions = [], []
    for x, y, g in zip(xs, ys, glyphs):
        h, w = g.alpha.shape
        x, y = x - x0, y - y0
        np.maximum(canvas[y:y + h, x:x + w], g.alpha, out=canvas[y:y + h, x:x + w])
        boxes.append((x, y, x + w, y + h))
        positions.append((x, y))
    return Row(canvas, boxes, (-x0, -y0), positions, overlaps)


def _pad(row: Row, left: int, top: int, right: int, bottom: int) -> tuple[np.ndarray, list, tuple[int, int]]:
    alpha = np.pad(row.alpha, ((top, bottom), (left, right)))
    boxes = [(x0 + left, y0 + top, x1 + left, y1 + top) for x0, y0, x1, y1 in row.boxes]
    return alpha, boxes, (row.origin[0] + left, row.origin[1] + top)


def _limit(alpha: np.ndarray, boxes: list, layers: list) -> tuple[np.ndarray, list, list]:
    """Shrink an image whose longest side is over MAX_SIDE (rare: 8 big digits in separate form boxes)."""
    scale = MAX_SIDE / max(alpha.shape)
    if scale >= 1:
        return alpha, boxes, layers
    size = (max(1, int(alpha.shape[1] * scale)), max(1, int(alpha.shape[0] * scale)))

    def shrink(a):
        return np.asarray(Image.fromarray(a.astype(np.float32)).resize(size, Image.Resampling.BILINEAR))
    sx, sy = size[0] / alpha.shape[1], size[1] / alpha.shape[0]
    boxes = [(int(x0 * sx), int(y0 * sy), min(size[0], max(int(x0 * sx) + 1, int(np.ceil(x1 * sx)))),
              min(size[1], max(int(y0 * sy) + 1, int(np.ceil(y1 * sy))))) for x0, y0, x1, y1 in boxes]
    return shrink(alpha), boxes, [(shrink(a), c) for a, c in layers]


# ---------------------------------------------------------------- paper, ink, encoding

def _smooth(shape: tuple[int, int], cells: float, rng) -> np.ndarray:
    """Smooth noise, about N(0, 1), varying over ~1/cells of the longer side."""
    h, w = shape
    gy, gx = max(2, int(round(cells * h / max(h, w)))) + 2, max(2, int(round(cells * w / max(h, w)))) + 2
    grid = rng.standard_normal((gy, gx)).astype(np.float32)
    return np.asarray(Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC))


PAPERS = {"white": (0.96, 0.96, 0.95), "cream": (0.97, 0.94, 0.85), "grey": (0.86, 0.86, 0.84),
          "recycled": (0.88, 0.85, 0.78), "sticky": (0.98, 0.93, 0.55), "bluish": (0.9, 0.93, 0.97)}
DARK_PAPERS = {"board": (0.16, 0.24, 0.19), "black": (0.08, 0.08, 0.09), "navy": (0.1, 0.12, 0.25), "slate": (0.22, 0.23, 0.25)}
INKS = {"blue": (0.12, 0.17, 0.55), "black": (0.09, 0.09, 0.11), "pencil": (0.38, 0.38, 0.4),
        "red": (0.72, 0.1, 0.12), "green": (0.1, 0.42, 0.2)}
LIGHT_INKS = {"chalk": (0.92, 0.92, 0.9), "yellow": (0.95, 0.9, 0.45), "pale-blue": (0.7, 0.85, 0.97)}


def _pick(table: dict, rng, p=None) -> tuple[str, np.ndarray]:
    name = str(rng.choice(list(table), p=p))
    return name, np.clip(np.float32(table[name]) + rng.uniform(-0.04, 0.04, 3).astype(np.float32), 0, 1)


def _paper(shape: tuple[int, int], rng, dark: bool) -> np.ndarray:
    if dark:
        name, colour = _pick(DARK_PAPERS, rng)
    else:
        name, colour = _pick(PAPERS, rng, p=[0.4, 0.2, 0.12, 0.12, 0.06, 0.1])
    texture = 1.0 + rng.uniform(0.003, 0.015) * _smooth(shape, rng.uniform(2, 6), rng) \
        + rng.uniform(0.0, 0.008) * _smooth(shape, rng.uniform(20, 60), rng)
    return np.clip(colour * texture[..., None], 0, 1)


def _ink_alpha(alpha: np.ndarray, height: float, rng, kind: str) -> np.ndarray:
    """Pen pressure (a smooth field over the number) and, for pencil and chalk, grain."""
    if rng.random() < 0.6:
        pressure = 1.0 - rng.uniform(0.05, 0.3) * (0.5 + 0.5 * np.tanh(_smooth(alpha.shape, max(alpha.shape) / height, rng)))
        alpha = alpha * pressure
    if kind in ("pencil", "chalk"):
        grain = 1.0 - rng.uniform(0.15, 0.4) * rng.random(alpha.shape, dtype=np.float32)
        alpha = alpha * grain * rng.uniform(0.7, 0.9)
    return alpha


def _encode(rgb: np.ndarray, conditions: dict, rng, quality: tuple[int, int] = (55, 96), jpeg_p: float = 0.5) -> bytes:
    image = Image.fromarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    if rng.random() < 0.15:
        image = image.convert("L")                      # a greyscale scan
    buffer = io.BytesIO()
    if rng.random() < jpeg_p:
        q = int(rng.integers(*quality))
        image.save(buffer, "JPEG", quality=q)
        conditions.update(format="jpeg", jpeg_quality=q)
    else:
        image.save(buffer, "PNG", compress_level=1)
        conditions["format"] = "png"
    return buffer.getvalue()


def _finish(alpha: np.ndarray, layers: list, height: float, rng, conditions: dict, allow_dark: bool) -> bytes:
    """Paper, printed `layers` [(alpha, rgb)], the number's ink, light, scan softness, noise, encoding."""
    dark = allow_dark and rng.random() < 0.15
    image = _paper(alpha.shape, rng, dark)
    for line, colour in layers:
        image = image * (1.0 - line[..., None] * (1.0 - colour))           # printed ink absorbs light
    if dark:
        kind, ink = _pick(LIGHT_INKS, rng)
        a = _ink_alpha(alpha, height, rng, "chalk" if kind == "chalk" else "marker")[..., None]
        image = image * (1 - a) + ink * a
    else:
        kind, ink = _pick(INKS, rng, p=[0.36, 0.34, 0.14, 0.09, 0.07])
        a = _ink_alpha(alpha, height, rng, kind)[..., None]
        image = image * (1.0 - a * (1.0 - ink))
    h, w = alpha.shape
    angle, ramp = rng.uniform(0, 2 * np.pi), rng.uniform(0.0, 0.1)
    yy, xx = np.ogrid[0:h, 0:w]
    light = 1.0 + ramp * (np.cos(angle) * (xx / max(w, 1) - 0.5) + np.sin(angle) * (yy / max(h, 1) - 0.5))
    image = image * light[..., None].astype(np.float32)
    if rng.random() < 0.3:                                                   # a soft scanner
        radius = rng.uniform(0.3, 0.8)
        pil = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(radius))
        image = np.asarray(pil, np.float32) / 255.0
    noise = float(rng.choice([0.0, 0.008, 0.015, 0.03]))
    if noise:
        image = image + noise * rng.standard_normal(alpha.shape, dtype=np.float32)[..., None]
    conditions.update(polarity="light-on-dark" if dark else "dark-on-light", ink=kind, noise=noise)
    return _encode(image, conditions, rng)


def _height(rng, n: int, room: float = 1.6) -> float:
    h = float(np.exp(rng.uniform(*np.log(HEIGHTS))))
    return min(h, MAX_SIDE / (room * n + 1.5))


def _size(height: float) -> str:
    return "24-39px" if height < 40 else "40-79px" if height < 80 else "80-140px"


# ---------------------------------------------------------------- the conditions

def spaced(images28, rng, conditions: dict, touching: bool = False):
    height = _height(rng, len(images28))
    pen = _pen(height, rng)
    row = _row(_glyphs(images28, height, pen, rng), height, rng, touching=touching)
    margins = [int(height * rng.uniform(*r)) + 2 for r in ((0.3, 1.2), (0.25, 0.9), (0.3, 1.2), (0.25, 0.9))]
    alpha, boxes, _ = _pad(row, *margins)
    alpha, boxes, _ = _limit(alpha, boxes, [])
    conditions.update(height=int(height), size=_size(height), slant=round(float(np.degrees(np.arctan(pen.shear))), 1),
                      pen=round(pen.width, 1), touching=touching)
    if touching:
        conditions["overlaps"] = [round(v, 4) for v in row.overlaps]
    return _finish(alpha, [], height, rng, conditions, allow_dark=True), boxes


def touching(images28, rng, conditions: dict):
    return spaced(images28, rng, conditions, touching=True)


LINE_COLOURS = {"black": (0.1, 0.1, 0.1), "gray": (0.55, 0.55, 0.55), "blue": (0.3, 0.45, 0.85),
                "red": (0.85, 0.3, 0.3), "green": (0.3, 0.65, 0.4)}


def boxes(images28, rng, conditions: dict):
    """Form cells: joined boxes, separate boxes or a comb; one digit per cell."""
    n = len(images28)
    height = _height(rng, n, room=2.2)
    pen = _pen(height, rng)
    glyphs = _glyphs(images28, height, pen, rng)
    fill = rng.uniform(0.5, 0.8)                                   # digit height / cell height
    cell_h = int(height / fill)
    widest = max(g.alpha.shape[1] for g in glyphs)
    cell_w = int(max(cell_h * rng.uniform(0.7, 1.05), widest * 1.1))
    style = str(rng.choice(["joined", "separate", "comb"]))
    t = int(rng.integers(1, 5))
    gap = int(cell_w * rng.uniform(0.12, 0.5)) if style == "separate" else 0
    corner = int(cell_h * rng.uniform(0.06, 0.25)) if rng.random() < 0.5 else 0
    mx, my = int(cell_w * rng.uniform(0.3, 1.0)) + t + 2, int(cell_h * rng.uniform(0.25, 0.7)) + t + 2
    W, H = 2 * mx + n * cell_w + (n - 1) * gap, 2 * my + cell_h
    printed = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(printed)
    lefts = [mx + k * (cell_w + gap) for k in range(n)]
    top, bottom = my, my + cell_h
    if style == "joined":
        draw.rounded_rectangle((mx, top, lefts[-1] + cell_w, bottom), radius=corner, outline=255, width=t)
        for x in lefts[1:]:
            draw.line((x, top, x, bottom), fill=255, width=t)
    elif style == "separate":
        for x in lefts:
            draw.rounded_rectangle((x, top, x + cell_w, bottom), radius=corner, outline=255, width=t)
    else:
        tick = int(cell_h * rng.uniform(0.55, 1.0))                  # tall ticks
        draw.line((mx, bottom, lefts[-1] + cell_w, bottom), fill=255, width=t)
        for x in [*lefts, lefts[-1] + cell_w]:
            draw.line((x, bottom - tick, x, bottom), fill=255, width=t)
    if rng.random() < 0.5:                                           # the form sits a little askew
        printed = printed.rotate(rng.uniform(-0.8, 0.8), Image.Resampling.BILINEAR)
    ink = np.zeros((H, W), np.float32)
    digit_boxes, crossing = [], 0
    for x0, g in zip(lefts, glyphs):
        h, w = g.alpha.shape
        x = x0 + (cell_w - w) / 2 + rng.uniform(-0.1, 0.1) * cell_w
        y = top + (cell_h - h) / 2 + rng.uniform(-0.08, 0.08) * cell_h
        if rng.random() < 0.22:                                      # over the cell's edge
            crossing += 1
            side = rng.choice(["top", "bottom", "left", "right"], p=[0.35, 0.35, 0.15, 0.15])
            over = rng.uniform(0.05, 0.25)
            if side == "top":
                y = top - over * h
            elif side == "bottom":
                y = bottom - (1 - over) * h
            elif side == "left":
                x = x0 - over * w
            else:
                x = x0 + cell_w - (1 - over) * w
        x, y = int(np.clip(round(x), 0, W - w)), int(np.clip(round(y), 0, H - h))
        np.maximum(ink[y:y + h, x:x + w], g.alpha, out=ink[y:y + h, x:x + w])
        digit_boxes.append((x, y, x + w, y + h))
    colour_name, colour = _pick(LINE_COLOURS, rng, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    layers = [(np.asarray(printed, np.float32) / 255.0 * rng.uniform(0.7, 1.0), colour)]
    ink, digit_boxes, layers = _limit(ink, digit_boxes, layers)
    conditions.update(height=int(height), size=_size(height), style=style, line_px=t, lines=colour_name,
                      crossing=crossing, slant=round(float(np.degrees(np.arctan(pen.shear))), 1), touching=False)
    return _finish(ink, layers, height, rng, conditions, allow_dark=False), digit_boxes


def _lines(shape, origin, tilt: float, step: float, phase: float, width: float, dotted: float = 0.0) -> np.ndarray:
    """Anti-aliased parallel lines y = origin_y + phase + k * step + tilt * (x - origin_x), `width` px;
    `dotted` > 0: broken into dots of that period."""
    h, w = shape
    yy, xx = np.ogrid[0:h, 0:w]
    v = (yy - origin[1] - phase) - tilt * (xx - origin[0])
    d = np.abs(v - step * np.round(v / step)) / np.sqrt(1 + tilt * tilt)
    alpha = np.clip(width / 2 + 0.5 - d, 0, 1).astype(np.float32)
    if dotted:
        alpha = alpha * ((xx % dotted) < dotted * 0.45)
    return alpha


def ruled(images28, rng, conditions: dict):
    """Ruled notebook paper (sometimes a red margin line) or squared paper; the digits sit on a line."""
    n = len(images28)
    height = _height(rng, n)
    pen = _pen(height, rng)
    tilt = float(np.tan(np.radians(rng.uniform(-2, 2))))
    lift = rng.uniform(-0.03, 0.1) * height                       # digit bottoms a little above the line
    row = _row(_glyphs(images28, height, pen, rng), height, rng, baseline=lambda x: tilt * x - lift, jitter=0.03)
    style = "ruled" if rng.random() < 0.6 else "squared"
    margin_line = style == "ruled" and rng.random() < 0.35
    left = int(height * rng.uniform(0.3, 1.0)) + (int(height * rng.uniform(0.5, 1.0)) if margin_line else 0) + 2
    pads = (left, int(height * rng.uniform(0.7, 1.6)) + 2, int(height * rng.uniform(0.3, 1.0)) + 2,
            int(height * rng.uniform(0.5, 1.4)) + 2)
    alpha, digit_boxes, origin = _pad(row, *pads)
    shape = alpha.shape
    layers, extra = [], {}
    if style == "ruled":
        step = height / rng.uniform(0.55, 0.85)
        colour_name, colour = _pick({"blue": (0.55, 0.7, 0.92), "gray": (0.65, 0.65, 0.68), "violet": (0.7, 0.6, 0.85)}, rng)
        layers.append((_lines(shape, origin, tilt, step, 0.0, rng.uniform(0.8, 2.2)) * rng.uniform(0.6, 1.0), colour))
        if margin_line:                                            # perpendicular to the rules, left of the number
            xm = origin[0] - height * rng.uniform(0.25, 0.6)
            yy, xx = np.ogrid[0:shape[0], 0:shape[1]]
            u = np.abs((xx - xm) + tilt * (yy - origin[1])) / np.sqrt(1 + tilt * tilt)
            margin = np.clip(rng.uniform(1.0, 2.5) / 2 + 0.5 - u, 0, 1).astype(np.float32)
            layers.append((margin * rng.uniform(0.7, 1.0), np.float32([0.9, 0.35, 0.4])))
        extra = {"spacing": round(step / height, 2), "margin_line": margin_line}
    else:
        step = height / rng.uniform(1.2, 2.3)
        kind = str(rng.choice(["solid", "dotted", "dots"], p=[0.55, 0.25, 0.2]))
        colour_name, colour = _pick({"gray": (0.7, 0.7, 0.72), "blue": (0.6, 0.75, 0.92), "green": (0.6, 0.8, 0.65)}, rng)
        width = rng.uniform(0.7, 1.5)
        if kind == "dots":
            yy, xx = np.ogrid[0:shape[0], 0:shape[1]]
            v = (yy - origin[1]) - tilt * (xx - origin[0])
            u = (xx - origin[0] - step * rng.random()) + tilt * (yy - origin[1])
            d = np.hypot(v - step * np.round(v / step), u - step * np.round(u / step))
            grid = np.clip(rng.uniform(0.8, 1.6) + 0.5 - d, 0, 1).astype(np.float32)
        else:
            period = float(rng.uniform(3, 7)) if kind == "dotted" else 0.0
            across = _lines(shape, origin, tilt, step, 0.0, width, period)
            down = _lines(shape[::-1], origin[::-1], -tilt, step, step * rng.random(), width, period).T
            grid = np.maximum(across, down)
        layers.append((grid * rng.uniform(0.5, 0.9), colour))
        extra = {"grid": kind, "spacing": round(step / height, 2)}
    alpha, digit_boxes, layers = _limit(alpha, digit_boxes, layers)
    conditions.update(height=int(height), size=_size(height), style=style, lines=colour_name, touching=False,
                      tilt=round(float(np.degrees(np.arctan(tilt))), 2), slant=round(float(np.degrees(np.arctan(pen.shear))), 1),
                      **extra)
    return _finish(alpha, layers, height, rng, conditions, allow_dark=False), digit_boxes


def _homography(dst, src) -> tuple[float, ...]:
    """The 8 PIL PERSPECTIVE coefficients taking output points `dst` to input points `src`."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        b += [u, v]
    return tuple(float(c) for c in np.linalg.solve(np.array(a, float), np.array(b, float)))


def _inside(quad: np.ndarray, points: np.ndarray) -> bool:
    """Are all `points` inside the convex quadrilateral `quad` (either winding)?"""
    signs = []
    for i in range(4):
        p, q = quad[i], quad[(i + 1) % 4]
        signs.append((q[0] - p[0]) * (points[:, 1] - p[1]) - (q[1] - p[1]) * (points[:, 0] - p[0]))
    signs = np.array(signs)
    return bool((signs > 0).all() or (signs < 0).all())


def _motion_blur(rgb: np.ndarray, length: float, angle: float) -> np.ndarray:
    steps = int(np.ceil(length)) + 1
    total = np.zeros(rgb.shape, np.uint16)
    for t in np.linspace(-length / 2, length / 2, steps):
        total += np.roll(rgb, (int(round(t * np.sin(angle))), int(round(t * np.cos(angle)))), axis=(0, 1))
    return (total // steps).astype(np.uint8)


def photo(images28, rng, conditions: dict):
    """A phone photo of a page, about 1 MP, the number anywhere on the visible page."""
    W = int(rng.uniform(1100, 1300))
    H = int(W * rng.uniform(0.68, 0.85))
    n = len(images28)
    height = min(W * float(np.exp(rng.uniform(np.log(0.03), np.log(0.12)))), 0.8 * W / (1.5 * n + 0.5))
    pen = _pen(height, rng)
    glyphs = _glyphs(images28, height, pen, rng, lo=0.8 * height, hi=1.22 * height)
    touching = rng.random() < 0.2
    row = _row(glyphs, height, rng, touching=touching)
    # The camera: output corners come from these page points (rotation, zoom, a mild perspective).
    theta = np.radians(rng.uniform(-5, 5))
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    out = np.array([(0, 0), (W, 0), (W, H), (0, H)], float)
    jitter = rng.uniform(-1, 1, (4, 2)) * rng.uniform(0.0, 0.035) * min(W, H)
    rel = (out - (W / 2, H / 2)) @ rot.T
    zoom = float(np.max(np.abs(rel) / ((W / 2, H / 2) - np.abs(jitter) - 1)))    # page covers the frame
    desk = rng.random() < 0.2
    if desk:
        zoom *= rng.uniform(0.85, 0.95)                              # the page's edges and the desk show
    quad = (W / 2, H / 2) + rel / zoom + jitter
    coeffs = _homography(out, quad)
    rh, rw = row.alpha.shape
    pad = 0.3 * height
    page = np.array([(0, 0), (W, 0), (W, H), (0, H)], float)
    for _ in range(60):
        x, y = int(rng.integers(0, max(1, W - rw))), int(rng.integers(0, max(1, H - rh)))
        corners = np.array([(x - pad, y - pad), (x + rw + pad, y - pad), (x + rw + pad, y + rh + pad), (x - pad, y + rh + pad)])
        if _inside(quad, corners) and _inside(page, corners):
            break
    else:
        x, y = int(np.clip(quad[:, 0].mean() - rw / 2, 0, W - rw)), int(np.clip(quad[:, 1].mean() - rh / 2, 0, H - rh))
    digit_boxes = [(x0 + x, y0 + y, x1 + x, y1 + y) for x0, y0, x1, y1 in row.boxes]
    paper = _paper((H, W), rng, dark=False)
    kind, colour = _pick(INKS, rng, p=[0.4, 0.38, 0.12, 0.05, 0.05])
    a = _ink_alpha(row.alpha, height, rng, kind)[..., None]        # ink only where the number is
    paper[y:y + rh, x:x + rw] *= 1.0 - a * (1.0 - colour)
    image = np.round(np.clip(paper, 0, 1) * 255).astype(np.uint8)
    desk_colour = tuple(int(c) for c in rng.choice([(92, 66, 42), (60, 60, 62), (150, 150, 145), (25, 25, 28)]))
    warped = Image.fromarray(image).transform((W, H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                                              fillcolor=desk_colour)
    if rng.random() < 0.6:
        blur = f"defocus {rng.uniform(0.4, min(2.5, 0.4 + 0.03 * height)):.2f}"
        rgb = np.asarray(warped.filter(ImageFilter.GaussianBlur(float(blur.split()[1]))))
    else:
        length, angle = rng.uniform(2, min(9, 2 + 0.08 * height)), rng.uniform(0, np.pi)
        blur = f"motion {length:.1f}"
        rgb = _motion_blur(np.asarray(warped), length, angle)
    # Light, computed small and enlarged: a gradient, a vignette and sometimes a shadow band.
    sh, sw = H // 8 + 1, W // 8 + 1
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    yy, xx = yy / sh - 0.5, xx / sw - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 + rng.uniform(0.05, 0.35) * (np.cos(angle) * xx + np.sin(angle) * yy) - rng.uniform(0, 0.4) * (xx * xx + yy * yy)
    shadow = rng.random() < 0.4
    if shadow:
        a2 = rng.uniform(0, np.pi)
        d = np.cos(a2) * xx + np.sin(a2) * yy - rng.uniform(-0.4, 0.4)
        half, soft = rng.uniform(0.08, 0.25), rng.uniform(0.03, 0.1)
        light = light * (1.0 - rng.uniform(0.15, 0.4) / (1.0 + np.exp((np.abs(d) - half) / soft)))
    light = np.asarray(Image.fromarray(light.astype(np.float32)).resize((W, H), Image.Resampling.BILINEAR))
    image = rgb.astype(np.float32) * (light / 255.0)[..., None]
    noise = rng.uniform(0.008, 0.035)
    image += (noise * rng.standard_normal((H, W), dtype=np.float32))[..., None]
    quality = int(rng.integers(35, 91))
    conditions.update(height=int(height), size=_size(height), touching=touching, blur=blur, noise=round(noise, 3),
                      rotation=round(float(np.degrees(theta)), 1), desk=desk, shadow=shadow, ink=kind,
                      polarity="dark-on-light", slant=round(float(np.degrees(np.arctan(pen.shear))), 1))
    return _encode(image, conditions, rng, quality=(quality, quality + 1), jpeg_p=1.0), digit_boxes


LAYOUTS = {"spaced": spaced, "touching": touching, "boxes": boxes, "ruled": ruled, "photo": photo}


def write_number(images28, labels, condition: str, rng: np.random.Generator) -> WrittenNumber:
    conditions = {"condition": condition, "length": len(labels)}
    data, digit_boxes = LAYOUTS[condition](images28, rng, conditions)
    return WrittenNumber(data, "".join(str(int(d)) for d in labels), digit_boxes, conditions)


def make_numbers(images: np.ndarray, labels: np.ndarray, condition: str, n: int, seed: int = 0,
                 lengths: tuple[int, int] = (3, 8), first: int = 0) -> list[WrittenNumber]:
    """`n` numbers of lengths[0]-lengths[1] digits from (images, labels), images first .. first + n - 1;
    image i depends only on (seed, condition, i)."""
    salt = CONDITIONS.index(condition)
    out = []
    for i in range(first, first + n):
        rng = np.random.default_rng([seed, 424_242 + salt, i])
        picks = rng.choice(len(images), size=int(rng.integers(lengths[0], lengths[1] + 1)), replace=False)
        out.append(write_number(images[picks], labels[picks], condition, rng))
    return out
