"""Images of handwritten numbers as people photograph them, composed from MNIST digits.

Five conditions, one layout each, all drawn from a seeded numpy RNG:
- spaced:   ordinary gaps (8-45 % of the digit height) on plain paper;
- touching: every neighbouring pair touches or overlaps a little (boxes overlap by 0-12 % of the
            digit height, and the ink of the two digits always meets);
- boxes:    one digit per printed form cell (full boxes or comb lines), sometimes over the lines;
- ruled:    ruled paper (a line under the digits and one above) or squared paper (a grid through them);
- photo:    a page photographed: slight perspective, uneven light, blur, noise, JPEG, about 1 MP.

The digits come from whichever MNIST split the caller passes: the reading bench uses *test*
digits (never seen by a model); a reader's training uses *training* digits and its rejection
threshold is chosen on *validation* digits. Printed lines and ink are painted separately
(core/data/number_painting.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from hwr_desktop.core.data.number_painting import MAX_CANVAS, NumberImage, digit_alpha, encode, lighting, paint_printed, render

CONDITIONS = ("spaced", "touching", "boxes", "ruled", "photo")


@dataclass(frozen=True)
class Sizes:
    heights: tuple[float, float] = (20, 160)         # digit height in px, log-uniform
    photo_side: tuple[float, float] = (1000, 1400)   # photo width in px; height 0.65-0.8 of it: ~1 MP


BENCH_SIZES = Sizes()
TRAINING_SIZES = Sizes((16, 56), (380, 560))   # the sequence reader sees ~22 px high strips anyway: cheaper


def _height(rng, sizes: Sizes, n=1, factor=1.0) -> float:
    low, high = sizes.heights
    h = factor * float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return min(h, MAX_CANVAS / (1.5 * n + 2))


def _touches(canvas: np.ndarray, a: np.ndarray, x: int, y: int) -> bool:
    """Does ink `a` placed at (x, y) meet the ink already on the canvas (1 px reach)?"""
    h, w = a.shape
    region = canvas[max(0, y - 1):y + h + 1, max(0, x - 1):x + w + 1] > 0.5   # solid ink, not its blur
    grown = np.zeros_like(region)
    oy, ox = y - max(0, y - 1), x - max(0, x - 1)
    grown[oy:oy + h, ox:ox + w] = a[:region.shape[0] - oy, :region.shape[1] - ox] > 0.5
    for axis in (0, 1):   # grow by one pixel in all four directions
        grown = grown | np.roll(grown, 1, axis) | np.roll(grown, -1, axis)
    return bool((grown & region).any())


def _row(alphas, height, rng, gap_range, touching=False):
    """Digits left to right on a jittered baseline: (ink canvas, boxes). `gap_range` is the gap
    between ink boxes in digit heights (negative: overlap). With `touching`, each digit then
    slides left until its ink meets its neighbour's (at most 0.6 heights further)."""
    width = int(sum(a.shape[1] for a in alphas) + height * (1 + 0.5 * len(alphas))) + 4
    tall = int(max(a.shape[0] for a in alphas) + 0.6 * height) + 4
    canvas = np.zeros((tall, width), np.float32)
    boxes, x = [], int(0.3 * height)
    for i, a in enumerate(alphas):
        h, w = a.shape
        y = int(np.clip(round(tall - 0.2 * height - h + rng.normal(0.0, 0.04) * height), 0, tall - h))
        if i:
            x = int(round(x + rng.uniform(*gap_range) * height))
            if touching:
                for _ in range(int(0.6 * height) + 1):
                    if x < 0 or _touches(canvas, a, x, y):   # never past the canvas' left edge
                        break
                    x -= 1
        x = max(x, 0)
        region = canvas[y:y + h, x:x + w]
        np.maximum(region, a[:region.shape[0], :region.shape[1]], out=region)   # ink over ink
        boxes.append((x, y, x + region.shape[1], y + region.shape[0]))
        x += w
    right = max(b[2] for b in boxes)
    return canvas[:, :right], boxes


def _frame(canvas, boxes, margin_x: int, margin_y: int):
    """The canvas with margins, and the boxes moved with it."""
    framed = np.pad(canvas, ((margin_y, margin_y), (margin_x, margin_x)))
    return framed, [(x0 + margin_x, y0 + margin_y, x1 + margin_x, y1 + margin_y) for x0, y0, x1, y1 in boxes]


def _alphas(images28, height, rng, spread=0.15):
    return [digit_alpha(x, max(8, int(round(height * rng.uniform(1 - spread, 1 + spread)))), rng) for x in images28]


def spaced(images28, rng, conditions, sizes):
    height = _height(rng, sizes, len(images28))
    canvas, boxes = _row(_alphas(images28, height, rng), height, rng, (0.08, 0.45))
    canvas, boxes = _frame(canvas, boxes, int(height * rng.uniform(0.2, 1.0)) + 2, int(height * rng.uniform(0.2, 0.8)) + 2)
    conditions["height"] = int(height)
    return render(canvas, rng, conditions), boxes


def touching(images28, rng, conditions, sizes):
    height = _height(rng, sizes, len(images28))
    canvas, boxes = _row(_alphas(images28, height, rng), height, rng, (-0.12, 0.0), touching=True)
    canvas, boxes = _frame(canvas, boxes, int(height * rng.uniform(0.2, 1.0)) + 2, int(height * rng.uniform(0.2, 0.8)) + 2)
    conditions["height"] = int(height)
    return render(canvas, rng, conditions), boxes


def _thickness(size: float, rng) -> int:
    return max(1, int(round(size * rng.uniform(0.015, 0.04))))


def boxes(images28, rng, conditions, sizes):
    """A row of form cells, one digit each: full boxes, or a comb (a base line with ticks)."""
    n = len(images28)
    cell_h = _height(rng, sizes, n, factor=1.35)
    cell_w = int(cell_h * rng.uniform(0.7, 1.0))
    cell_h = int(cell_h)
    t = _thickness(cell_h, rng)
    mx, my = int(cell_w * rng.uniform(0.3, 1.5)) + 2, int(cell_h * rng.uniform(0.3, 1.0)) + 2
    H, W = cell_h + 2 * my, n * cell_w + 2 * mx
    ink, printed = np.zeros((H, W), np.float32), np.zeros((H, W), np.float32)
    style = "full" if rng.random() < 0.5 else "comb"
    tone = rng.uniform(0.6, 1.0)
    printed[my + cell_h - t:my + cell_h, mx:mx + n * cell_w + t] = tone            # base line
    if style == "full":
        printed[my:my + t, mx:mx + n * cell_w + t] = tone                              # top line
    tick = cell_h if style == "full" else int(cell_h * rng.uniform(0.25, 0.5))
    for k in range(n + 1):
        top = my + cell_h - (cell_h if style == "comb" and k in (0, n) and rng.random() < 0.5 else tick)
        printed[top:my + cell_h, mx + k * cell_w:mx + k * cell_w + t] = tone
    out = []
    for k, x28 in enumerate(images28):
        a = digit_alpha(x28, max(8, int(cell_h * rng.uniform(0.55, 0.8))), rng)
        h, w = a.shape
        cx, cy = mx + k * cell_w + cell_w / 2, my + cell_h / 2
        x = int(cx - w / 2 + rng.uniform(-0.1, 0.1) * cell_w)
        y = int(cy - h / 2 + rng.uniform(-0.08, 0.08) * cell_h)
        if rng.random() < 0.3:   # written over the top or bottom border by up to 10 % of the cell
            y = int(cy - h / 2 + np.sign(rng.uniform(-1, 1)) * ((cell_h - h) / 2 + rng.uniform(0.0, 0.1) * cell_h))
        x, y = int(np.clip(x, 0, W - w)), int(np.clip(y, 0, H - h))
        np.maximum(ink[y:y + h, x:x + w], a, out=ink[y:y + h, x:x + w])
        out.append((x, y, x + w, y + h))
    conditions.update(height=int(cell_h), style=style)
    return _printed(ink, printed, rng, conditions), out


def ruled(images28, rng, conditions, sizes):
    """Ruled paper (digits on one line, the next line above) or squared paper (a grid)."""
    height = _height(rng, sizes, len(images28))
    canvas, digit_boxes = _row(_alphas(images28, height, rng), height, rng, (0.08, 0.45))
    canvas, digit_boxes = _frame(canvas, digit_boxes, int(height * rng.uniform(0.3, 1.0)) + 2, int(height * 0.9) + 2)
    H, W = canvas.shape
    printed = np.zeros_like(canvas)
    t = _thickness(height, rng)
    tone = rng.uniform(0.4, 1.0)
    if rng.random() < 0.5:
        style = "ruled"
        base = int(np.median([b[3] for b in digit_boxes]) + rng.uniform(-0.08, 0.05) * height)
        spacing = height * rng.uniform(1.3, 1.9)
        for k in range(-3, 3):
            y = int(round(base + k * spacing))
            if 0 <= y < H - t:
                printed[y:y + t] = tone
    else:
        style = "squared"
        step = height * rng.uniform(0.4, 0.8)
        t = max(1, t // 2)
        for y in np.arange(rng.uniform(0, step), H - t, step).astype(int):
            printed[y:y + t] = tone
        for x in np.arange(rng.uniform(0, step), W - t, step).astype(int):
            printed[:, x:x + t] = tone
    conditions.update(height=int(height), style=style)
    return _printed(canvas, printed, rng, conditions), digit_boxes


def _printed(ink, printed, rng, conditions):
    image = paint_printed(ink, printed, rng)
    light, _ = lighting(ink.shape, rng, 0.5)
    image = image * light[..., None] + 0.02 * rng.standard_normal(image.shape, dtype=np.float32)
    if rng.random() < 0.5:
        conditions["format"] = "jpeg"
        return encode(image, "JPEG", quality=int(rng.integers(60, 96)))
    conditions["format"] = "png"
    return encode(image, "PNG", compress_level=1)


def _perspective(points_out, points_in) -> list[float]:
    """PIL's 8 perspective coefficients mapping output points to input points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(points_out, points_in):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return list(np.linalg.solve(np.array(rows, float), np.array(rhs, float)))


def photo(images28, rng, conditions, sizes):
    """A phone photo of a number on a page: about 1 MP, the number anywhere on it."""
    W = int(rng.uniform(*sizes.photo_side))
    H = int(W * rng.uniform(0.65, 0.8))
    n = len(images28)
    low, high = 0.04 * W, 0.12 * W        # 40-160 px on a 1-MP photo
    height = min(float(np.exp(rng.uniform(np.log(low), np.log(high)))), 0.8 * W / (0.95 * n + 0.5))
    gaps = (-0.05, 0.3) if rng.random() < 0.2 else (0.08, 0.45)
    row, digit_boxes = _row(_alphas(images28, height, rng), height, rng, gaps)
    W, H = max(W, row.shape[1] + 2), max(H, row.shape[0] + 2)     # a long number widens the photo
    x, y = int(rng.integers(0, W - row.shape[1])), int(rng.integers(0, H - row.shape[0]))
    ink = np.zeros((H, W), np.float32)
    ink[y:y + row.shape[0], x:x + row.shape[1]] = row
    digit_boxes = [(x0 + x, y0 + y, x1 + x, y1 + y) for x0, y0, x1, y1 in digit_boxes]
    image = paint_printed(ink, np.zeros_like(ink), rng)
    light, strength = lighting(ink.shape, rng, rng.uniform(1.0, 2.0))
    image = image * light[..., None]
    # Each output corner comes from a point up to 3 % inside the page: no pixel from beyond its edge.
    jitter = 0.03 * min(W, H)
    corners = [(0, 0), (W, 0), (W, H), (0, H)]
    inward = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    coeffs = _perspective(corners, [(cx + sx * rng.uniform(0, jitter), cy + sy * rng.uniform(0, jitter))
                                    for (cx, cy), (sx, sy) in zip(corners, inward)])
    radius = height * rng.uniform(0.005, 0.025)
    rgb = Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8))
    warped = rgb.transform((W, H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                           fillcolor=(128, 128, 128))
    image = np.asarray(warped.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0
    noise = rng.uniform(0.01, 0.05)
    image = image + noise * rng.standard_normal(image.shape, dtype=np.float32)
    quality = int(rng.integers(40, 91))
    conditions.update(height=int(height), blur=round(radius, 2), noise=round(noise, 3),
                      lighting=round(strength, 3), jpeg_quality=quality, format="jpeg")
    return encode(image, "JPEG", quality=quality), digit_boxes


LAYOUTS = {"spaced": spaced, "touching": touching, "boxes": boxes, "ruled": ruled, "photo": photo}


def number_image(images28, labels, condition: str, rng: np.random.Generator,
                 sizes: Sizes = BENCH_SIZES) -> NumberImage:
    """One number in one condition; boxes are each digit's ink box (before any photo warp)."""
    conditions = {"condition": condition, "length": len(labels)}
    data, digit_boxes = LAYOUTS[condition](images28, rng, conditions, sizes)
    return NumberImage(data, "".join(str(int(d)) for d in labels), digit_boxes, conditions)


def make_numbers(images: np.ndarray, labels: np.ndarray, condition: str, n: int, seed: int = 0,
                 lengths: tuple[int, int] = (3, 8)) -> list[NumberImage]:
    """`n` numbers of 3-8 digits drawn from (images, labels); image i depends only on (seed, condition, i)."""
    salt = CONDITIONS.index(condition)
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, 7_000_000 + salt, i])
        picks = rng.choice(len(images), size=int(rng.integers(lengths[0], lengths[1] + 1)), replace=False)
        out.append(number_image(images[picks], labels[picks], condition, rng))
    return out
