"""The one preprocessing module: MNIST normalization and the MNIST-style pipeline for user images.

Training, the canvas, image files, the CLI and the tests all come through here, so a drawing is
prepared exactly like the 28x28 digits the network learned from:
light ink on black, cropped to the ink, longer side scaled to 20 px with anti-aliasing, pasted
into 28x28 and shifted so that the centre of mass sits at pixel (14, 14), as in MNIST.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from hwr_desktop.core.errors import ImageError

SIZE = 28
BOX = 20                 # MNIST fits each digit into a 20x20 box before centring
CENTRE = 14.0            # measured mean centre of mass of MNIST training digits (row, column)
MIN_CONTRAST = 0.12      # ink must differ from the background by this much (0..1) to count as a digit
INK_FRACTION = 0.25      # pixels brighter than this share of the peak ink define the bounding box
MAX_SIDE = 20000         # arrays larger than this are refused, not resized


@dataclass(frozen=True)
class Preprocessed:
    """A 28x28 float32 image in [0, 1] (light ink on black) and the ink's box in the source image."""
    image: np.ndarray
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), source pixel coordinates


def normalize_mnist(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]: what every model eats."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., None]


def _scale_to_unit(a: np.ndarray) -> np.ndarray:
    """Any numeric array -> float32 in [0, 1]."""
    if a.dtype == bool:
        return a.astype(np.float32)
    if np.issubdtype(a.dtype, np.integer):
        top = 255.0 if a.size == 0 or (a.min() >= 0 and a.max() <= 255) else float(np.iinfo(a.dtype).max)
        return np.clip(a.astype(np.float32) / top, 0.0, 1.0)
    if np.issubdtype(a.dtype, np.floating):
        with np.errstate(over="ignore", invalid="ignore"):  # huge float64 -> inf, handled next line
            a = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        if a.size and a.max() > 1.0:
            a = a / 255.0  # float images holding 0..255 values
        return np.clip(a, 0.0, 1.0)
    raise ImageError(f"unsupported pixel type {a.dtype}")


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1|2|3|4) of any numeric dtype -> (H, W) float32 luminance in [0, 1].

    Transparency is flattened onto a background that keeps the ink visible: the colour of the
    opaque area when it is mostly opaque (a scan with transparent margins), otherwise a colour
    contrasting with the ink (strokes drawn on a transparent layer, dark or light).
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise ImageError(f"unsupported image shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageError("the image is empty (0 pixels)")
    if max(a.shape[0], a.shape[1]) > MAX_SIDE:
        raise ImageError(f"image too large ({a.shape[1]}x{a.shape[0]} pixels)")
    a = _scale_to_unit(a)
    if a.ndim == 2:
        return a
    colour = a[:, :, :-1] if a.shape[2] in (2, 4) else a
    gray = colour[:, :, 0] if colour.shape[2] == 1 else colour @ np.float32([0.299, 0.587, 0.114])
    if a.shape[2] in (3,):
        return gray.astype(np.float32)
    alpha = a[:, :, -1]
    if alpha.min() >= 1.0:
        return gray.astype(np.float32)
    opaque = alpha > 0.5
    if opaque.mean() > 0.5:
        background = float(np.median(gray[opaque]))
    else:
        weight = float(alpha.sum())
        ink = float((gray * alpha).sum() / weight) if weight > 0 else 0.0
        background = 1.0 if ink < 0.5 else 0.0
    return (gray * alpha + background * (1.0 - alpha)).astype(np.float32)


def border_ring(gray: np.ndarray) -> np.ndarray:
    """The pixels of the outer 5 % of the image (at least 1 px): where the paper is."""
    h, w = gray.shape
    ring = max(1, min(h, w) // 20)
    return np.concatenate([gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(), gray[:, -ring:].ravel()])


def ink_map(gray: np.ndarray) -> np.ndarray | None:
    """Light-ink-on-black version of a grayscale image scaled to peak 1, or None when there is no ink.

    The background level is the median of the border ring; if it is light, the image is inverted
    (MNIST is light ink on dark).
    """
    background = float(np.median(border_ring(gray)))
    if background > 0.5:
        gray, background = 1.0 - gray, 1.0 - background
    ink = np.clip(gray - background, 0.0, None)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        return None
    return ink / peak


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Translate with zero fill (no wrap-around)."""
    out = np.zeros_like(image)
    h, w = image.shape
    src_y, dst_y = slice(max(0, -dy), min(h, h - dy)), slice(max(0, dy), min(h, h + dy))
    src_x, dst_x = slice(max(0, -dx), min(w, w - dx)), slice(max(0, dx), min(w, w + dx))
    out[dst_y, dst_x] = image[src_y, src_x]
    return out


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = float(image.sum())
    rows = np.arange(image.shape[0], dtype=np.float32)
    cols = np.arange(image.shape[1], dtype=np.float32)
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total


def fit_to_mnist(ink: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Crop an ink map (light on black, peak 1) to its ink, scale to 20 px, centre by mass in 28x28."""
    mask = ink > INK_FRACTION
    if not mask.any():
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[y0:y1, x0:x1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS))
    resized = np.clip(resized, 0.0, None)
    peak = float(resized.max())
    if peak <= 0.0:
        return None
    resized = np.minimum(resized / peak, 1.0)  # thin strokes keep full MNIST brightness after shrinking
    canvas = np.zeros((SIZE, SIZE), np.float32)
    top, left = (SIZE - new_h) // 2, (SIZE - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = resized
    cy, cx = centre_of_mass(canvas)
    canvas = _shift(canvas, int(round(CENTRE - cy)), int(round(CENTRE - cx)))
    return canvas, (int(x0), int(y0), int(x1), int(y1))


def preprocess(image: np.ndarray) -> Preprocessed | None:
    """Any user image (array) -> the 28x28 image a model sees, or None when there is no digit."""
    ink = ink_map(to_gray(image))
    if ink is None:
        return None
    fitted = fit_to_mnist(ink)
    if fitted is None:
        return None
    return Preprocessed(*fitted)


def as_batch(images28: np.ndarray) -> np.ndarray:
    """(28, 28) or (N, 28, 28) float images in [0, 1] -> float32 (N, 28, 28, 1)."""
    a = np.asarray(images28, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 4 and a.shape[-1] == 1:
        return a
    if a.ndim != 3 or a.shape[1:] != (SIZE, SIZE):
        raise ImageError(f"expected 28x28 images, got shape {a.shape}")
    return a[..., None]


# --- Photos and scans ------------------------------------------------------------------------------
# `ink_map` above assumes a flat background, which holds for the canvas and clean scans. Photos have
# uneven lighting, noise and JPEG artefacts, so the reader (core/segmentation/marks.py) first models the paper:
# a smooth background surface, which side of it the ink is on, and the noise level. Its ink image
# (light on black, 0 = paper) then goes through `preprocess` like a canvas drawing.

PAPER_TILES = 16         # background = robust surface fitted to the medians of up to 16x16 tiles
# Shading the surface cannot follow (a shadow band across a photographed page, a lamp's edge) is kept
# as a coarse grid of what is left (`with_shading`): one value per tile of SHADING_TILE of the longer
# side (at least SHADING_MIN_TILE px), from the paper side of the tile (SHADING_PERCENTILE: paper
# wherever a tenth of the tile is) once ink stronger than SHADING_INK of the strongest is left out,
# each the median of its 3x3 neighbours (a tile under a bold stroke is an outlier). Only where the
# grid's 95th percentile leaves SHADING_MIN or more: on even paper it is all noise. It is measured on
# the image shrunk to about SHADING_TILE_PX pixels a tile side: shade is smooth, and sorting every
# pixel of a megapixel photo took 25 ms (6 ms shrunk).
SHADING_TILE = 1 / 40
SHADING_MIN_TILE = 16
SHADING_PERCENTILE = 90
SHADING_INK = 0.5
SHADING_MIN = 0.03
SHADING_TILE_PX = 8


@dataclass(frozen=True)
class Paper:
    """The paper under the ink, in coordinates normalised to the image (so any resolution works)."""
    coefficients: tuple[float, ...]   # background gray = polynomial in (u, v) = (x/W, y/H)
    dark_ink: bool                    # True: ink darker than the paper (pen on paper)
    noise: float                      # standard deviation of the pixel noise, gray levels
    # (rows, cols) gray added to the surface, one value per tile centre, bilinear between them
    # (`with_shading`); None: the surface alone. The tiles cover (v, u) = shading_span of the image.
    shading: np.ndarray | None = field(default=None, compare=False, repr=False)
    shading_span: tuple[float, float] = (1.0, 1.0)

    def background(self, full_shape: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Background gray of the pixels in `box` (x0, y0, x1, y1) of an image of `full_shape` (h, w)."""
        h, w = full_shape
        x0, y0, x1, y1 = box if box is not None else (0, 0, w, h)
        if len(self.coefficients) == 1 and self.shading is None:      # even paper (a drawing's): no terms to add
            return np.full((y1 - y0, x1 - x0), np.float32(self.coefficients[0]), np.float32)
        u = ((np.arange(x0, x1, dtype=np.float32) + 0.5) / w)[None, :]
        v = ((np.arange(y0, y1, dtype=np.float32) + 0.5) / h)[:, None]
        surface = np.zeros((y1 - y0, x1 - x0), np.float32)
        for c, term in zip(self.coefficients, _surface_terms(u, v, len(self.coefficients))):
            surface += np.float32(c) * term  # (1, W) and (H, 1) terms broadcast over the box
        if self.shading is not None:
            rows, cols = self.shading.shape
            span_v, span_u = self.shading_span
            surface += (_between(v[:, 0] * rows / span_v - 0.5, rows) @ self.shading
                        @ _between(u[0] * cols / span_u - 0.5, cols).T)
        return surface

    def ink(self, gray: np.ndarray, full_shape: tuple[int, int] | None = None,
            origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        """Light-on-black ink (contrast above the paper, 0..1) of `gray`, a region of the image at `origin` (x, y)."""
        full_shape = full_shape or gray.shape
        x, y = origin
        difference = gray - self.background(full_shape, (x, y, x + gray.shape[1], y + gray.shape[0]))
        return np.clip(-difference if self.dark_ink else difference, 0.0, 1.0).astype(np.float32)


def blank_paper() -> Paper:
    """The paper of a drawing made in the app: white, even, without noise, dark ink. A caller that
    knows this (number mode's strip) hands it to find_marks, which then models no paper."""
    return Paper((1.0,), True, 0.0)


def _between(t: np.ndarray, n: int) -> np.ndarray:
    """(len(t), n) weights of linear interpolation at positions t of a row of n values (clamped at the ends)."""
    t = np.clip(t, 0, n - 1)
    i = np.minimum(np.floor(t).astype(int), max(n - 2, 0))
    f = (t - i).astype(np.float32)
    weights = np.zeros((len(t), n), np.float32)
    weights[np.arange(len(t)), i] = 1 - f
    if n > 1:
        weights[np.arange(len(t)), i + 1] = f
    return weights


def _surface_terms(u, v, n: int) -> list:
    """1, u, v (a plane) and, with 6 coefficients, u², uv, v² (lighting that bends)."""
    return [np.ones_like(u * v), u, v, u * u, u * v, v * v][:n]


def _robust_sigma(values: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def ink_is_dark(gray: np.ndarray) -> bool:
    """Polarity as in `ink_map` (the border ring is paper), but judged against the image's own
    range rather than a fixed 0.5, so that a dim photo of white paper (gray ~0.4) still reads as
    dark ink on light paper. The range comes from a lightly blurred image, so that noise
    does not stretch it."""
    h, w = gray.shape
    paper = float(np.median(border_ring(gray)))
    small = np.asarray(Image.fromarray(gray.astype(np.float32), mode="F").reduce(2)) if min(h, w) >= 8 else gray
    return float(small.max()) - paper < paper - float(small.min())


def _neighbourhoods(grid: np.ndarray) -> np.ndarray:
    """(9, rows, cols): each cell of a grid with its 8 neighbours (the edge repeated beyond it)."""
    rows, cols = grid.shape
    padded = np.pad(grid, 1, mode="edge")
    return np.stack([padded[dy:dy + rows, dx:dx + cols] for dy in range(3) for dx in range(3)])


def estimate_paper(gray: np.ndarray) -> Paper:
    """Polarity, the paper's lighting as a smooth surface, and the noise of a grayscale image.

    The surface is fitted to one value per tile: the paper side of the tile (75th percentile for
    dark ink, 25th for light), which is paper wherever at least a quarter of the tile is, even
    under a big bold digit; a tile entirely under ink borrows from its neighbours, and what ink
    remains is an outlier of the fit and dropped.
    """
    h, w = gray.shape
    dark_ink = ink_is_dark(gray)
    rows, cols = max(1, min(PAPER_TILES, h // 4)), max(1, min(PAPER_TILES, w // 4))
    th, tw = h // rows, w // cols
    tiles = gray[:rows * th, :cols * tw].reshape(rows, th, cols, tw).transpose(0, 2, 1, 3).reshape(rows * cols, -1)
    values = np.percentile(tiles, 75 if dark_ink else 25, axis=1).reshape(rows, cols)
    # A tile entirely under a thick stroke takes the paper of its lightest (darkest) neighbour.
    around = _neighbourhoods(values)
    values = (around.max(axis=0) if dark_ink else around.min(axis=0)).ravel()
    u = np.tile((np.arange(cols) + 0.5) * tw / w, rows)
    v = np.repeat((np.arange(rows) + 0.5) * th / h, cols)
    design = np.stack(_surface_terms(u, v, 6), axis=1)
    # Fit a constant, then a plane, then (with enough tiles) a quadratic, each time only to the
    # tiles the previous fit explains: tiles covered by thick strokes stay outliers instead of
    # bending a flexible surface towards them.
    coefficients = np.array([np.median(values)])
    residual = values - coefficients[0]
    keep = np.ones(values.size, bool)
    for n_terms in (1, 3, 3, 6, 6) if values.size >= 64 else (1, 3, 3) if values.size >= 9 else ():
        keep = np.abs(residual) <= 2.5 * max(_robust_sigma(residual[keep]), 0.01)
        if keep.sum() < 2 * n_terms:
            break
        coefficients = np.linalg.lstsq(design[keep, :n_terms], values[keep], rcond=None)[0]
        residual = values - design[:, :n_terms] @ coefficients
    # The 75th (25th) percentile of noisy paper lies 0.67 sigma above (below) its middle.
    noise = pixel_noise(gray)
    coefficients[0] += -0.6745 * noise if dark_ink else 0.6745 * noise
    return Paper(tuple(float(c) for c in coefficients), dark_ink, noise)


def with_shading(gray: np.ndarray, paper: Paper) -> Paper:
    """`paper` with the shading its smooth surface leaves on `gray` (see SHADING_TILE), where there is any.

    Strong ink (beyond SHADING_INK of the strongest) is left out of every tile first: a bold digit
    filling a small image would otherwise pass for shade and be taken off itself."""
    h, w = gray.shape
    tile = max(SHADING_MIN_TILE, int(round(max(h, w) * SHADING_TILE)))
    shrink = max(1, tile // SHADING_TILE_PX)
    side = tile // shrink                              # a tile's side in shrunk pixels
    tile = side * shrink
    rows, cols = h // tile, w // tile
    if rows < 3 or cols < 3:
        return paper
    small = np.asarray(Image.fromarray(np.ascontiguousarray(gray[:rows * tile, :cols * tile], np.float32), mode="F")
                       .reduce(shrink), np.float32)
    # the surface at the shrunk pixels' centres: the same normalised u, v in an image shrunk as much
    left = small - paper.background((h / shrink, w / shrink), (0, 0, cols * side, rows * side))
    if not paper.dark_ink:
        left = -left                                   # from here on, ink is below the paper
    ink = -left > SHADING_INK * float(np.percentile(-left, 99.9))
    tiles = np.sort(left.reshape(rows, side, cols, side).transpose(0, 2, 1, 3).reshape(rows, cols, -1), axis=2)
    strong = ink.reshape(rows, side, cols, side).sum(axis=(1, 3))    # the lowest values of each sorted tile
    paper_px = side * side - strong
    at = np.minimum(strong + np.floor(SHADING_PERCENTILE / 100 * np.maximum(paper_px - 1, 0)).astype(int), side * side - 1)
    values = np.take_along_axis(tiles, at[..., None], axis=2)[..., 0]
    values[paper_px < 0.1 * side * side] = np.nan     # under ink: the neighbours decide
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a neighbourhood all under ink: the surface alone
        values = np.nanmedian(_neighbourhoods(values), axis=0)
    # The surface is the paper's middle; the percentile of noisy paper lies 1.28 sigma off it (of
    # the shrunk pixels' noise: the mean of shrink x shrink pixels).
    values = np.nan_to_num(values - 1.2816 * paper.noise / shrink, nan=0.0)
    if float(np.percentile(np.abs(values), 95)) < SHADING_MIN:
        return paper
    values = values if paper.dark_ink else -values
    return replace(paper, shading=values.astype(np.float32), shading_span=(rows * tile / h, cols * tile / w))


def pixel_noise(gray: np.ndarray) -> float:
    """Standard deviation of the pixel noise, from differences between horizontal neighbours:
    lighting and the inside of strokes cancel out, and stroke edges are too few to move the median."""
    step = max(1, gray.shape[0] // 512)
    differences = np.diff(gray[::step], axis=1).ravel()
    return 1.4826 * float(np.median(np.abs(differences))) / np.sqrt(2.0) if differences.size else 0.0
