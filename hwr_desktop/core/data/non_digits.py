"""Made-up images that are not one digit, prepared exactly as a drawing is, for the not-a-digit gate.

Every image is drawn as white ink on a black page at canvas scale, in a random size and place,
and then goes through the one preprocessing (core/data/preprocess.py), so the gate sees what the
digit model would see: a dot becomes a filled disc, a dash a fat bar, two digits a squeezed pair.

Kinds: letters and symbols from fonts, letters drawn as pen strokes, dots, dashes, outlined shapes,
grids, scribbles, two MNIST digits side by side, and blotchy noise. Left out on purpose, because a
digit can honestly look like them: O o Q D (0), l I i j J / \\ | ( ) ! (1), S s $ (5), Z z (2),
B (8), g q (9), b G (6), T (7), and rings and ellipses.

`style` keeps training and measuring apart: "training" uses DejaVu Sans and Serif and one pen
model; "bench" uses Pillow's own font, DejaVu Sans Mono and Serif Bold, other pen widths and
other letters' strokes, with its own seeds, so the bench measures kinds the gate never saw drawn
that way. Image i of a call depends only on (seed, style, i).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hwr_desktop.core.data.preprocess import preprocess

KINDS = ("font", "strokes", "dot", "dash", "shape", "grid", "scribble", "pair", "noise")
LETTERS = "AEFHKMNPRUVWXYaefhkmnprtwx"
SYMBOLS = "+=%#&@*<>~^?\u20ac\u00d7\u00f7\u00a7\u00b6"
PAGE = 200                      # canvas-like page, px
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
FONTS = {"training": ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf"),
         "bench": ("DejaVuSansMono.ttf", "DejaVuSerif-Bold.ttf")}
PEN = {"training": (6, 16), "bench": (4, 22)}          # stroke width range, page px

# Letters as pen strokes in a unit box (x right, y down): straight segments and arcs (polylines).
_ARC = [(0.5 + 0.5 * np.cos(t), 0.5 - 0.5 * np.sin(t)) for t in np.linspace(0, np.pi, 9)]
STROKES = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "V": [[(0, 0), (0.5, 1), (1, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "U": [[(0, 0), (0, 0.6)] + [(0.5 + 0.5 * np.cos(t), 0.6 + 0.4 * np.sin(t)) for t in np.linspace(np.pi, 0, 9)]
          + [(1, 0)]],
    "P": [[(0, 1), (0, 0)] + [(0.1 + 0.5 * np.sin(t), 0.25 - 0.25 * np.cos(t)) for t in np.linspace(0, np.pi, 9)]
          + [(0, 0.5)]],
    "R": [[(0, 1), (0, 0)] + [(0.1 + 0.5 * np.sin(t), 0.25 - 0.25 * np.cos(t)) for t in np.linspace(0, np.pi, 9)]
          + [(0, 0.5), (0.8, 1)]],
    "h": [[(0, 0), (0, 1)], [(0, 1)] + [(x, 0.4 + (y - 0.5) * 0.6 + 0.3) for x, y in _ARC[::-1]] + [(1, 1)]],
    "n": [[(0, 0.3), (0, 1)], [(0, 1)] + [(x, 0.3 + y * 0.7) for x, y in _ARC[::-1]] + [(1, 1)]],
    "m": [[(0, 0.3), (0, 1)], [(0, 1)] + [(x * 0.5, 0.3 + y * 0.6) for x, y in _ARC[::-1]] + [(0.5, 1)],
          [(0.5, 1)] + [(0.5 + x * 0.5, 0.3 + y * 0.6) for x, y in _ARC[::-1]] + [(1, 1)]],
    "r": [[(0, 0.3), (0, 1)], [(0, 0.6), (0.3, 0.35), (0.7, 0.3), (1, 0.4)]],
    "t": [[(0.5, 0), (0.5, 0.9), (0.8, 1)], [(0.1, 0.3), (0.9, 0.3)]],
    "x": [[(0, 0.3), (1, 1)], [(1, 0.3), (0, 1)]],
    "k": [[(0, 0), (0, 1)], [(0.9, 0.3), (0, 0.7), (0.9, 1)]],
    "w": [[(0, 0.3), (0.25, 1), (0.5, 0.5), (0.75, 1), (1, 0.3)]],
}
STROKE_LETTERS = {"training": "AEFHKMNVWXYhnr", "bench": "UPRmtxkwANX"}


@cache
def _font(name: str, size: int):
    for folder in FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)      # Pillow's own font: always there


def _page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    page = Image.new("L", (PAGE, PAGE), 0)
    return page, ImageDraw.Draw(page)


def _font_glyph(rng, style: str) -> np.ndarray:
    text = str(rng.choice(list(LETTERS + SYMBOLS)))
    names = FONTS[style] + (("pillow",) if style == "bench" else ())
    name = str(rng.choice(names))
    size = int(rng.integers(70, 150))
    font = ImageFont.load_default(size=size) if name == "pillow" else _font(name, size)
    page, draw = _page()
    draw.text((PAGE / 2 + rng.uniform(-20, 20), PAGE / 2 + rng.uniform(-20, 20)), text, fill=255, font=font, anchor="mm")
    angle = rng.uniform(-15, 15)
    return np.asarray(page.rotate(angle, resample=Image.Resampling.BILINEAR), np.float32) / 255.0


def _polyline(draw, points, width: int) -> None:
    points = [tuple(map(float, p)) for p in points]
    draw.line(points, fill=255, width=width, joint="curve")
    r = width / 2
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)


def _stroke_letter(rng, style: str) -> np.ndarray:
    letter = str(rng.choice(list(STROKE_LETTERS[style])))
    w, h = rng.uniform(60, 130), rng.uniform(80, 150)
    x0, y0 = rng.uniform(10, PAGE - 10 - w), rng.uniform(10, PAGE - 10 - h)
    shear = rng.uniform(-0.3, 0.3)
    width = int(rng.integers(*PEN[style]))
    page, draw = _page()
    for stroke in STROKES[letter]:
        pts = np.array(stroke, np.float64) + rng.normal(0, 0.03, (len(stroke), 2))
        xs = x0 + (pts[:, 0] + shear * (1 - pts[:, 1])) * w
        ys = y0 + pts[:, 1] * h
        _polyline(draw, list(zip(xs, ys)), width)
    return np.asarray(page, np.float32) / 255.0


def _dot(rng, style: str) -> np.ndarray:
    page, draw = _page()
    r = rng.uniform(2, 14)
    x, y = rng.uniform(20, PAGE - 20, 2)
    if rng.random() < 0.5:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    else:                                          # a short tap of the pen: a tiny blob
        _polyline(draw, [(x, y), (x + rng.uniform(-r, r), y + rng.uniform(-r, r))], int(rng.integers(*PEN[style])))
    return np.asarray(page, np.float32) / 255.0


def _dash(rng, style: str) -> np.ndarray:
    """Horizontal-ish dashes, one or a few (a vertical bar is a 1 and is left out)."""
    page, draw = _page()
    for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
        length = rng.uniform(20, 150)
        x, y = rng.uniform(10, PAGE - 10 - length), rng.uniform(20, PAGE - 20)
        tilt = rng.uniform(-0.35, 0.35) * length
        _polyline(draw, [(x, y), (x + length, y + tilt)], int(rng.integers(*PEN[style])))
    return np.asarray(page, np.float32) / 255.0


def _shape(rng, style: str) -> np.ndarray:
    """Outlined squares, rectangles, triangles, diamonds, stars, filled blocks (rings are 0s: left out)."""
    page, draw = _page()
    cx, cy, size = rng.uniform(70, 130), rng.uniform(70, 130), rng.uniform(40, 80)
    kind = int(rng.integers(0, 5))
    width = int(rng.integers(*PEN[style]))
    if kind == 0:                      # never taller than wide: a tall box is a square 0, a narrow one a 1
        a = size * rng.uniform(0.6, 1.2)
        b = a * rng.uniform(0.4, 1.0)
        points = [(cx - a, cy - b), (cx + a, cy - b), (cx + a, cy + b), (cx - a, cy + b), (cx - a, cy - b)]
    elif kind == 1:
        points = [(cx, cy - size), (cx + size, cy + size * 0.8), (cx - size, cy + size * 0.8), (cx, cy - size)]
    elif kind == 2:
        points = [(cx, cy - size), (cx + size, cy), (cx, cy + size), (cx - size, cy), (cx, cy - size)]
    elif kind == 3:
        t = np.linspace(0, 4 * np.pi, 6)
        points = [(cx + size * np.sin(a), cy - size * np.cos(a)) for a in t]
    else:
        a = size * rng.uniform(0.4, 1.0)
        b = a * rng.uniform(0.3, 1.0)
        draw.rectangle((cx - a, cy - b, cx + a, cy + b), fill=255)
        return np.asarray(page, np.float32) / 255.0
    _polyline(draw, points, width)
    return np.asarray(page, np.float32) / 255.0


def _grid(rng, style: str) -> np.ndarray:
    page, draw = _page()
    width = int(rng.integers(*PEN[style]))
    n, m = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    x0, y0, x1, y1 = rng.uniform(10, 60), rng.uniform(10, 60), rng.uniform(140, 190), rng.uniform(140, 190)
    for x in np.linspace(x0, x1, n):
        _polyline(draw, [(x, y0), (x + rng.uniform(-8, 8), y1)], width)
    for y in np.linspace(y0, y1, m):
        _polyline(draw, [(x0, y), (x1, y + rng.uniform(-8, 8))], width)
    return np.asarray(page, np.float32) / 255.0


def _scribble(rng, style: str) -> np.ndarray:
    """A pen moving at random, turning often: zigzags, loops over loops, a crossed-out patch."""
    page, draw = _page()
    steps = int(rng.integers(14, 34))      # fewer turns can trace a digit by chance
    heading, speed = rng.uniform(0, 2 * np.pi), rng.uniform(12, 30)
    x, y = rng.uniform(60, 140, 2)
    points = [(x, y)]
    for _ in range(steps):
        heading += rng.normal(0, 1.3)
        x = float(np.clip(x + speed * np.cos(heading), 10, PAGE - 10))
        y = float(np.clip(y + speed * np.sin(heading), 10, PAGE - 10))
        points.append((x, y))
    _polyline(draw, points, int(rng.integers(*PEN[style])))
    return np.asarray(page, np.float32) / 255.0


def _pair(rng, style: str, digits: np.ndarray | None) -> np.ndarray:
    """Two MNIST digits side by side, apart or touching: one digit each is fine, two are not one digit."""
    if digits is None or len(digits) < 2:
        return _scribble(rng, style)
    a, b = (digits[i].astype(np.float32) / 255.0 for i in rng.choice(len(digits), 2, replace=False))
    gap = int(rng.integers(-4, 8))
    out = np.zeros((28, 56 + max(gap, 0)), np.float32)
    out[:, :28] = a
    start = 28 + gap - 4 if gap < 0 else 24 + gap
    out[:, start:start + 28] = np.maximum(out[:, start:start + 28], b)
    return out


def _noise(rng, style: str) -> np.ndarray:
    """Smudges: a few soft blobs or sprinkled specks, the kind of mark a dirty scan leaves."""
    page = np.zeros((PAGE, PAGE), np.float32)
    yy, xx = np.mgrid[0:PAGE, 0:PAGE]
    for _ in range(int(rng.integers(3, 12))):
        cx, cy, r = rng.uniform(30, 170), rng.uniform(30, 170), rng.uniform(3, 25)
        page = np.maximum(page, np.clip(1.2 - np.hypot(xx - cx, yy - cy) / r, 0, 1) * rng.uniform(0.5, 1))
    return page


_MAKERS = {"font": _font_glyph, "strokes": _stroke_letter, "dot": _dot, "dash": _dash, "shape": _shape,
           "grid": _grid, "scribble": _scribble, "noise": _noise}


def non_digit(kind: str, rng: np.random.Generator, style: str = "training", digits: np.ndarray | None = None):
    """One made-up image of `kind`, before preprocessing (H, W) float32 in [0, 1], white ink on black."""
    if kind == "pair":
        return _pair(rng, style, digits)
    return _MAKERS[kind](rng, style)


def make_non_digits(n: int, seed: int = 0, style: str = "training", digits: np.ndarray | None = None,
                    kinds: tuple[str, ...] = KINDS) -> tuple[np.ndarray, list[str]]:
    """`n` preprocessed non-digits (n, 28, 28) float32 and their kinds, kinds taken in turn.
    `digits`: uint8 MNIST images for the pairs (training digits to train, test digits to measure)."""
    salt = {"training": 11, "bench": 907}[style]
    images, names = [], []
    i = 0
    while len(images) < n:
        kind = kinds[i % len(kinds)]
        rng = np.random.default_rng([seed, salt, i])
        i += 1
        prepared = preprocess(non_digit(kind, rng, style, digits))
        if prepared is None:                # too faint or empty after preprocessing: not an input anyone sees
            continue
        images.append(prepared.image)
        names.append(kind)
    return np.stack(images).astype(np.float32), names


def digits_on_page(digits: np.ndarray, seed: int) -> np.ndarray:
    """MNIST digits (uint8, N x 28 x 28) redrawn as a drawing would arrive: enlarged to canvas size at a
    random place and size, softened or not, then through the one preprocessing like every non-digit.

    The gate must not learn "came through the page" as the sign of a non-digit, so some of its digits
    take the same road (the rest are MNIST as it is, which is what photos' cut-out digits resemble)."""
    out = np.zeros((len(digits), 28, 28), np.float32)
    for i, digit in enumerate(digits):
        rng = np.random.default_rng([seed, 5, i])
        side = int(rng.integers(70, 180))
        big = Image.fromarray(np.asarray(digit, np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
        page = Image.new("L", (PAGE + 40, PAGE + 40), 0)
        page.paste(big, (int(rng.integers(0, PAGE + 40 - side)), int(rng.integers(0, PAGE + 40 - side))))
        prepared = preprocess(np.asarray(page, np.float32) / 255.0)
        out[i] = prepared.image if prepared is not None else np.asarray(digit, np.float32) / 255.0
    return out


def thin(ink: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a batch of boolean images (N, H, W): each stroke down to its centre line."""
    img = np.pad(np.asarray(ink, bool), ((0, 0), (1, 1), (1, 1)))

    def neighbours(a):
        # P2..P9 clockwise from north, as in Zhang & Suen (1984)
        return [a[:, :-2, 1:-1], a[:, :-2, 2:], a[:, 1:-1, 2:], a[:, 2:, 2:],
                a[:, 2:, 1:-1], a[:, 2:, :-2], a[:, 1:-1, :-2], a[:, :-2, :-2]]
    while True:
        changed = False
        for step in (0, 1):
            p = [n.astype(np.uint8) for n in neighbours(img)]
            count = sum(p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.uint8) for i in range(8))
            if step == 0:
                a, b = p[0] * p[2] * p[4], p[2] * p[4] * p[6]
            else:
                a, b = p[0] * p[2] * p[6], p[0] * p[4] * p[6]
            remove = img[:, 1:-1, 1:-1] & (count >= 2) & (count <= 6) & (transitions == 1) & (a == 0) & (b == 0)
            if remove.any():
                img[:, 1:-1, 1:-1] &= ~remove
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1]


def digits_as_strokes(digits: np.ndarray, seed: int) -> np.ndarray:
    """MNIST digits (uint8, N x 28 x 28) redrawn as the canvas draws: their centre lines (thinned) traced
    with a round pen of even width at canvas size, then prepared. MNIST's own strokes vary in width and
    are soft; a drawing's are even and sharp, and letters and shapes here are drawn that way too, so
    without these the gate could learn "an even pen" as the sign of a non-digit (a clean canvas 2 was
    refused until they were added)."""
    skeletons = thin(np.asarray(digits) > 100)
    steps = ((0, 1), (1, 0), (1, 1), (1, -1))       # each 8-neighbour pair once
    out = np.zeros((len(digits), 28, 28), np.float32)
    for i, skeleton in enumerate(skeletons):
        rng = np.random.default_rng([seed, 7, i])
        side = rng.uniform(90, 190)
        scale, x0, y0 = side / 28, rng.uniform(0, PAGE - side), rng.uniform(0, PAGE - side)
        width = max(2, int(side * rng.uniform(0.05, 0.14)))
        page, draw = _page()
        ys, xs = np.nonzero(skeleton)
        on = set(zip(ys.tolist(), xs.tolist()))
        for y, x in on:
            cx, cy = x0 + (x + 0.5) * scale, y0 + (y + 0.5) * scale
            draw.ellipse((cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2), fill=255)
            for dy, dx in steps:
                if (y + dy, x + dx) in on:
                    draw.line((cx, cy, cx + dx * scale, cy + dy * scale), fill=255, width=width)
        prepared = preprocess(np.asarray(page, np.float32) / 255.0)
        out[i] = prepared.image if prepared is not None else np.asarray(digits[i], np.float32) / 255.0
    return out
