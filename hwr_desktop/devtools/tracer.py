"""MNIST digits turned back into pen strokes, for writing numbers on the number strip with real mouse events.

An MNIST image is ink, not a pen path. The tracer upsamples the digit (UPSAMPLE x, bilinear),
binarises it at half ink, thins it to its centre line (Zhang-Suen, in numpy) and follows that
one-pixel skeleton into polylines: each stroke starts at a free end (or anywhere on a closed loop),
goes on in the direction that bends least at a fork, and a branch left behind starts a new stroke
from the point where it leaves, so the branches stay joined. Pieces shorter than two pixels of the
28x28 image are dropped (the pen, 2.5 pixels wide, covers them).

The pen is the canvas's own (its brush, 0.07 of the strip's height by default), and a number is
written at the size that makes that pen as wide as its digits' stroke (ink over centre line's
length, the median of its digits): a typical MNIST stroke of 2.5 px puts a digit's 28 px at 0.8
strip heights, bold digits are written smaller, fine ones larger (within SIZES). So bold digits
stay bold instead of becoming thin outlines of themselves, and the traced digits look to the
reader like the digits they came from. A number too wide for the strip is written smaller, with
the same pen, as a person would.

Used by tests/ui/test_number_tracing.py and the number-mode replay bench (devtools/number_replay.py).
"""
from __future__ import annotations

import numpy as np
from PIL import Image

UPSAMPLE = 4
PEN = 0.07             # the canvas's default pen, in strip heights
SIZES = (0.45, 0.95)   # strip heights per 28 MNIST pixels: the range a digit is written in
GAP = 0.12             # strip heights between two digits' ink
MARGIN = 0.15          # strip heights left free at each end
MIN_PIXELS = 2 * UPSAMPLE   # a stroke of its own shorter than two 28x28 pixels is under the pen anyway
FILL_ROUNDS = 3        # passes over ink the pen has not reached yet
RIM = 1.5              # upsampled px: the band of pen centres along the ink's edge (wide enough to stay joined)
STEP = 2               # keep every STEP-th skeleton pixel as a mouse position (~1 screen px apart)

_NEIGHBOURS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))   # P2..P9, clockwise


def zhang_suen(mask: np.ndarray) -> np.ndarray:
    """The Zhang-Suen thinning of a bool image: its centre line, one pixel wide, connectivity kept.

    T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning digital patterns", CACM 27(3), 1984."""
    image = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(np.roll(image, -dy, 0), -dx, 1) for dy, dx in _NEIGHBOURS]   # p[k] = P(k+2)
            count = sum(p)
            ring = p + [p[0]]
            transitions = sum(((ring[k] == 0) & (ring[k + 1] == 1)).astype(np.uint8) for k in range(8))
            p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
            if step == 0:
                spare = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                spare = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (image == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & spare
            if remove.any():
                image[remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1].astype(bool)


def _room(ink: np.ndarray) -> np.ndarray:
    """Per pixel, the distance from its centre to the nearest paper pixel's centre (Euclidean; 0 on
    paper): a pen centred there fits inside the ink when its radius is less than this."""
    padded = np.pad(ink, 1)
    paper = ~padded
    edge = paper & np.logical_or.reduce([np.roll(np.roll(padded, dy, 0), dx, 1)
                                         for dy in (-1, 0, 1) for dx in (-1, 0, 1)])   # paper touching ink
    rows, cols = np.nonzero(ink)
    room = np.zeros(ink.shape)
    if len(rows):
        er, ec = np.nonzero(edge)
        room[rows, cols] = _nearest(rows + 1, cols + 1, np.stack([er, ec], 1).astype(np.float64))
    return room


def follow(skeleton: np.ndarray) -> list[list[tuple[int, int]]]:
    """A skeleton's pixels as polylines of (row, col), every pixel on one of them; a stroke that
    meets ink already drawn (a branch, a loop closing on itself) starts or ends on it."""
    remaining = {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton))}
    drawn: set[tuple[int, int]] = set()

    def around(p, pool):
        return [(p[0] + dy, p[1] + dx) for dy, dx in _NEIGHBOURS if (p[0] + dy, p[1] + dx) in pool]

    strokes = []
    while remaining:
        # a free end first (fewest neighbours left), then the top-left: how people start a digit
        start = min(remaining, key=lambda p: (len(around(p, remaining)), p[0], p[1]))
        path = around(start, drawn)[:1]
        new = len(path)
        current = start
        while True:
            path.append(current)
            remaining.discard(current)
            drawn.add(current)
            options = around(current, remaining)
            if not options:
                break
            heading = np.subtract(current, path[max(0, len(path) - 4)])
            # least bend; among equals an orthogonal step (a diagonal would strand the corner pixel)
            step = min(options, key=lambda q: (-_cosine(np.subtract(q, current), heading),
                                               abs(q[0] - current[0]) + abs(q[1] - current[1])))
            # the corner of a staircase, beside both ends of a diagonal step, is on the line already
            for q in set(around(current, remaining)) & set(around(step, remaining)):
                if len(around(q, remaining)) <= 2:
                    remaining.discard(q)
                    drawn.add(q)
            current = step
        meets = [q for q in around(path[-1], drawn) if q not in path[-4:]]
        if meets and len(path) >= 3:
            path.append(meets[0])             # joins ink drawn before: a fork, or the loop's start
        if len(path) - new >= MIN_PIXELS:    # its own pixels: a stray corner or a short spur is under the pen
            strokes.append(path)
    return strokes


def _small_loop(room: np.ndarray, reach: float) -> list:
    """A loop one 28x28 pixel across round the deepest point of `room`, where the pen stays inside
    the ink; none if it does not fit. Not a dot: a pen that goes down and up on the spot, on a
    digit's box, is a click on the strip (it asks for that digit's alternatives)."""
    r, c = np.unravel_index(np.argmax(room), room.shape)
    radius = UPSAMPLE / 2
    if room[r, c] - reach < radius:
        return []
    angles = np.linspace(0, 2 * np.pi, 9)
    return [[(int(round(r + radius * np.sin(a))), int(round(c + radius * np.cos(a)))) for a in angles]]


def _nearest(rows, cols, points) -> np.ndarray:
    """For each pixel (rows, cols), the distance to the nearest of points (row, col); inf if none."""
    best = np.full(len(rows), np.inf)
    for chunk in range(0, len(points), 512):
        block = points[chunk:chunk + 512]
        d2 = (rows[:, None] - block[None, :, 0]) ** 2 + (cols[:, None] - block[None, :, 1]) ** 2
        best = np.minimum(best, d2.min(axis=1))
    return np.sqrt(best)


def _cosine(a, b) -> float:
    na, nb = float(np.hypot(*a)), float(np.hypot(*b))
    return float(np.dot(a, b)) / (na * nb) if na and nb else 0.0


def upsampled_ink(image28: np.ndarray) -> np.ndarray:
    """The digit's ink as the tracer follows it: UPSAMPLE x larger (bilinear), binarised at half."""
    big = Image.fromarray(np.asarray(image28, np.uint8)).resize((28 * UPSAMPLE,) * 2, Image.Resampling.BILINEAR)
    return np.asarray(big) >= 128


def trace_digit(image28: np.ndarray, pen28: float | None = None) -> list[list[tuple[float, float]]]:
    """A 28x28 MNIST digit (0-255 ink on 0) -> pen strokes as (x, y) in its 28 pixels.

    pen28: the pen's width in the digit's pixels. Given, ink the centre line's pen leaves uncovered
    (a bold stroke, a loop written as a blob) is gone over again, as a person fills a bold stroke:
    the pen's centre follows the rim of where the whole pen fits inside the ink (its outermost
    band, Euclidean), next to ink not yet covered, so it reaches the ink's edge and stays on the ink
    (up to the mouse's whole-pixel positions); then the middle of what is left, or a small loop there.
    - First the fill went along the uncovered ink itself: half a pen spilled beside bold strokes
      (hooks at a bold 7's bar); 71 % of the ink drawn lay on the digit's.
    - Then (2026-12-07) only over ink that was both deep enough for the pen and left uncovered: no
      spill (83 %), but of a blob that is only its middle, so its edge stayed bare. A 6 whose loop
      is a blob came out as a stem and a dot ("1"), a bold 2 lost its base ("7").
    - Along the rim (2026-12-08): 83 % on the digit's ink still, 96.5 % of it covered (94.6 %), and
      the digit model read 98.8 % of 1,000 validation digits written alone on the strip (98.3 %;
      99.7 % of the images themselves; `python -m hwr_desktop.devtools.tracer_fidelity`). Of 2,000
      numbers written the replay's way (devtools/pen_numbers.py), 90.3 % -> 92.6 % read exactly
      with seed 202, 90.5 % -> 94.0 % with seed 404. A rim of chessboard depth (its first
      version) sat up to 1.4 times deeper than the pen needs along diagonal edges: 95.9 % covered,
      91.8 % read exactly with seed 202."""
    ink = upsampled_ink(image28)
    paths = follow(zhang_suen(ink))
    if pen28 is not None:
        reach = pen28 * UPSAMPLE / 2
        room = _room(ink)
        fits = room > reach                              # the whole pen inside the ink
        rim = fits & (room <= reach + RIM)               # the outermost of those: the pen touches the edge
        ink_rows, ink_cols = np.nonzero(ink)
        for _ in range(FILL_ROUNDS):
            drawn = np.array([p for path in paths for p in path], np.float64).reshape(-1, 2)
            to_drawn = _nearest(ink_rows, ink_cols, drawn)
            uncovered = to_drawn > reach
            if not uncovered.any():
                break
            left = np.stack([ink_rows[uncovered], ink_cols[uncovered]], 1).astype(np.float64)
            # The pen's centre on the rim, next to ink it has not covered yet and off its own lines; where
            # the rim has nothing left to give (a blob's middle), along what is left wherever the pen fits,
            # and round its deepest point when that is too short to follow.
            near = np.zeros_like(ink)
            near[ink_rows, ink_cols] = (_nearest(ink_rows, ink_cols, left) <= reach) & (to_drawn > RIM)
            more = follow(zhang_suen(near & rim))
            if not more:
                middle = np.zeros_like(ink)
                middle[ink_rows[uncovered], ink_cols[uncovered]] = True
                middle &= fits
                more = follow(zhang_suen(middle))
                if not more and middle.any():
                    more = _small_loop(np.where(middle, room, 0), reach)
            if not more:
                break
            paths += more
    strokes = []
    for path in paths:
        kept = path[::STEP] + ([path[-1]] if (len(path) - 1) % STEP else [])
        strokes.append([((c + 0.5) / UPSAMPLE, (r + 0.5) / UPSAMPLE) for r, c in kept])
    return strokes


def ink_columns(image28: np.ndarray) -> tuple[int, int]:
    cols = np.flatnonzero((np.asarray(image28) >= 128).any(axis=0))
    return (int(cols[0]), int(cols[-1]) + 1) if len(cols) else (10, 18)


def stroke_width(image28: np.ndarray, strokes) -> float:
    """The digit's stroke width in its 28 pixels: its ink (grey counted in part) over its centre line's length."""
    length = sum(float(np.hypot(*np.diff(np.array(s), axis=0).T).sum()) for s in strokes if len(s) > 1)
    return float(np.asarray(image28, np.float64).sum() / 255) / max(length, 1.0)


def written_size(images, pen: float = PEN) -> float:
    """Strip heights per 28 MNIST pixels for these digits: the pen as wide as their median stroke."""
    width = float(np.median([stroke_width(image, trace_digit(image)) for image in images]))
    return float(np.clip(pen * 28 / width, *SIZES))


def number_strokes(images, gap: float = GAP, aspect: float = 4.0, pen: float = PEN) -> list[list[tuple[float, float]]]:
    """Digits written left to right on a strip `aspect` heights wide, in strip-height units (x in
    0..aspect, y in 0..1, as NumberCanvas keeps its points): each digit's ink `gap` heights after the
    previous one's (negative: overlapping), centred vertically, the whole number centred.

    The number is sized so that the pen (its width in strip heights, the canvas's brush) is as wide
    as its digits' median stroke, within SIZES: bold digits are written smaller, fine ones larger, as
    one pen would have to. One size for the whole number, as one hand writes (a size per digit read
    worse: 61 of 80 numbers exact, against 67 of 80 with one size and 65 of 80 with 0.8 for all, in
    80 numbers of 3-8 digits written on the strip, before the fill pass, 2026-12-05). A number too wide for the strip is written
    smaller as a whole."""
    sizes = [written_size(images, pen)] * len(images)     # one hand, one size
    spans = [ink_columns(image) for image in images]
    widths = [(b - a) * size / 28 for (a, b), size in zip(spans, sizes)]
    natural = sum(widths) + gap * (len(images) - 1)
    shrink = min(1.0, (aspect - 2 * MARGIN) / natural) if natural > 0 else 1.0
    x = (aspect - natural * shrink) / 2
    traced = [trace_digit(image, pen * 28 / (size * shrink)) for image, size in zip(images, sizes)]
    strokes = []
    for digit, (a, _), width, size in zip(traced, spans, widths, sizes):
        k = size * shrink / 28
        strokes.extend([(x + (px - a) * k, 0.5 + (py - 14) * k) for px, py in stroke] for stroke in digit)
        x += (width + gap) * shrink
    return strokes


def write_number(canvas, images, gap: float = GAP) -> None:
    """Write the digits on a NumberCanvas with real mouse events (press, moves, release per stroke),
    sized for the canvas's pen."""
    from hwr_desktop.devtools.strokes import draw_stroke
    for stroke in number_strokes(images, gap, canvas.ASPECT, canvas.brushSize()):
        draw_stroke(canvas, stroke)


def validation_number(length: int, rng: np.random.Generator, mnist=None) -> tuple[np.ndarray, str]:
    """`length` random digits of the MNIST *validation* split (never the test set): images and text."""
    if mnist is None:
        from hwr_desktop.core.data.mnist import load_mnist
        mnist = load_mnist()
    picks = rng.choice(len(mnist.y_val), size=length, replace=False)
    return mnist.x_val[picks], "".join(str(int(d)) for d in mnist.y_val[picks])
