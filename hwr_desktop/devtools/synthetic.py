"""Synthetic photos and scans of handwritten digits, made from MNIST test digits.

Used by the tests and by `python -m hwr_desktop.devtools.reading_bench` to measure reading on images that
are prepared nothing like MNIST: digits from 15 px to ~1000 px tall anywhere on a larger canvas,
dark ink on light paper or light on dark, coloured ink, uneven lighting, sensor noise, JPEG at
quality 30-95, transparent and grayscale PNGs; and lines of 3-8 digits with uneven size, spacing
(sometimes touching) and baseline. Every image is encoded to PNG or JPEG bytes, so reading it goes
through the same file loader as the user's files. Everything is drawn from a seeded numpy RNG.
Only MNIST *test* digits are used: the models never saw them.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from hwr_desktop.core.data.number_painting import MAX_CANVAS, NumberImage, digit_alpha, render
from hwr_desktop.core.data.preprocess import preprocess

SyntheticImage = NumberImage   # the name the tests and screenshots use


def _size_bucket(height: int) -> str:
    for top, name in ((30, "15-29px"), (100, "30-99px"), (300, "100-299px")):
        if height < top:
            return name
    return "300px+"


def single_digit(x28: np.ndarray, label: int, rng: np.random.Generator,
                 min_height: int = 15, max_height: int = 1000) -> SyntheticImage:
    """One digit, 15-1000 px tall (log-uniform), somewhere on a canvas 1.15-2.5x its height."""
    height = int(round(np.exp(rng.uniform(np.log(min_height), np.log(max_height)))))
    alpha = digit_alpha(x28, height, rng)
    h, w = alpha.shape
    canvas_h = min(MAX_CANVAS, int(h * rng.uniform(1.15, 2.5)) + 4)
    canvas_w = min(MAX_CANVAS, max(w + 4, int(canvas_h * rng.uniform(0.6, 1.8))))
    y, x = int(rng.integers(0, canvas_h - h + 1)), int(rng.integers(0, canvas_w - w + 1))
    canvas = np.zeros((canvas_h, canvas_w), np.float32)
    canvas[y:y + h, x:x + w] = alpha
    conditions = {"height": height, "size": _size_bucket(height)}
    data = render(canvas, rng, conditions)
    return SyntheticImage(data, str(label), [(x, y, x + w, y + h)], conditions)


def digit_string(images28: np.ndarray, labels, rng: np.random.Generator,
                 min_height: int = 18, max_height: int = 400, touching: float = 0.12) -> SyntheticImage:
    """A handwritten number: the digits side by side with uneven size, spacing and baseline.

    With probability `touching` a gap is slightly negative (up to 5 % of the height), so
    neighbours touch or overlap a little; otherwise it is 5-45 % of the height.
    """
    height = np.exp(rng.uniform(np.log(min_height), np.log(max_height)))
    height = min(height, MAX_CANVAS / (1.3 * len(labels) + 2))   # the whole number fits the canvas
    alphas = [digit_alpha(x, max(8, int(round(height * rng.uniform(0.85, 1.15)))), rng) for x in images28]
    xs, ys, x, touches = [], [], 0, 0
    for i, a in enumerate(alphas):
        if i:
            if rng.random() < touching:
                gap = rng.uniform(-0.05, 0.0) * height
                touches += 1
            else:
                gap = rng.uniform(0.05, 0.45) * height
            x = int(round(x + gap))
        xs.append(x)
        ys.append(int(round(height * (1.2 - rng.normal(0.0, 0.05))) - a.shape[0]))  # jittered baseline
        x += a.shape[1]
    margin = int(height * rng.uniform(0.2, 1.0)) + 2
    top = -min(ys)
    canvas_h = min(MAX_CANVAS, max(y + a.shape[0] for y, a in zip(ys, alphas)) + top + 2 * margin)
    canvas_w = min(MAX_CANVAS, max(px + a.shape[1] for px, a in zip(xs, alphas)) + 2 * margin)
    canvas = np.zeros((canvas_h, canvas_w), np.float32)
    boxes = []
    for px, py, a in zip(xs, ys, alphas):
        y0, x0 = py + top + margin, px + margin
        region = canvas[y0:y0 + a.shape[0], x0:x0 + a.shape[1]]
        np.maximum(region, a[:region.shape[0], :region.shape[1]], out=region)  # ink over ink
        boxes.append((x0, y0, x0 + region.shape[1], y0 + region.shape[0]))
    text = "".join(str(int(d)) for d in labels)
    conditions = {"height": int(height), "size": _size_bucket(int(height)), "length": len(text),
                  "touching": touches > 0}
    data = render(canvas, rng, conditions)
    return SyntheticImage(data, text, boxes, conditions)


def make_singles(n: int, seed: int = 0, **options) -> list[SyntheticImage]:
    """`n` single-digit images; image i depends only on (seed, i), so a smaller n gives a prefix."""
    from hwr_desktop.core.data.mnist import load_mnist
    data = load_mnist()
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        pick = int(rng.integers(len(data.x_test)))
        out.append(single_digit(data.x_test[pick], int(data.y_test[pick]), rng, **options))
    return out


def make_strings(n: int, seed: int = 0, lengths: tuple[int, int] = (3, 8), **options) -> list[SyntheticImage]:
    """`n` numbers of 3-8 digits; image i depends only on (seed, i)."""
    from hwr_desktop.core.data.mnist import load_mnist
    data = load_mnist()
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, 1_000_000 + i])
        picks = rng.choice(len(data.x_test), size=int(rng.integers(lengths[0], lengths[1] + 1)), replace=False)
        out.append(digit_string(data.x_test[picks], data.y_test[picks], rng, **options))
    return out


SLANT = 1.2   # slanted_writer: horizontal shift per pixel of height, a forward slant of about 50 degrees


def slanted_writer(image28: np.ndarray, label: int) -> np.ndarray:
    """An MNIST digit rewritten in a personal hand the bundled model often misreads: continental
    digits (a 1 with a long up-stroke, a 7 crossed at mid-height) with a strong slant. Made from MNIST
    validation digits by the tests and the screenshots; returned as the uint8 28x28 image the app
    would store (the app's own preprocessing)."""
    big = Image.fromarray(image28).resize((112, 112), Image.Resampling.BILINEAR).crop((-28, -28, 140, 140))
    ys, xs = np.nonzero(np.asarray(big) > 100)
    draw = ImageDraw.Draw(big)
    if label == 7:   # a bar across the stem at mid-height
        y = int(ys.min() + 0.55 * (ys.max() - ys.min()))
        x = int(xs[np.abs(ys - y) < 3].mean())
        draw.line([(x - 20, y), (x + 20, y)], fill=255, width=9)
    if label == 1:   # a long up-stroke into the top of the 1
        top, height = ys.min(), ys.max() - ys.min()
        x = int(xs[ys < top + 4].mean())
        draw.line([(x, top), (x - 0.45 * height, top + 0.4 * height)], fill=255, width=9)
    centre = big.size[1] / 2
    slanted = big.transform(big.size, Image.Transform.AFFINE, (1, SLANT, -SLANT * centre, 0, 1, 0),
                            Image.Resampling.BILINEAR)
    return np.round(preprocess(np.asarray(slanted)).image * 255).astype(np.uint8)
