"""Painting synthetic numbers: digits cut from MNIST, ink and paper colours, light, printed lines,
encoding. core/data/number_images.py lays the digits out in the five reading conditions and calls these.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

LUMA = np.float32([0.299, 0.587, 0.114])
MAX_CANVAS = 2400         # px; bigger canvases only make the tests slower


@dataclass
class NumberImage:
    data: bytes                                  # the encoded file (PNG or JPEG)
    text: str                                    # the digits drawn, left to right
    boxes: list[tuple[int, int, int, int]]       # each digit's ink box, x0, y0, x1, y1
    conditions: dict = field(default_factory=dict)

    def array(self) -> np.ndarray:
        from hwr_desktop.core.data.images import load_image_bytes
        return load_image_bytes(self.data, "synthetic")


def digit_alpha(x28: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit cropped to its ink and resized to `height` px: ink coverage in [0, 1]."""
    rows, cols = np.flatnonzero(x28.max(axis=1) > 0), np.flatnonzero(x28.max(axis=0) > 0)
    crop = x28[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32) / 255.0
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    big = np.asarray(Image.fromarray(crop, mode="F").resize((width, height), Image.Resampling.BICUBIC))
    # MNIST strokes are blurry; real ink has sharper edges. A random contrast curve also makes
    # the strokes a little thinner or thicker, like different pens.
    low, high = rng.uniform(0.0, 0.2), rng.uniform(0.5, 0.8)
    return np.clip((big - low) / (high - low), 0.0, 1.0)


def colours(rng: np.random.Generator, dark_ink: bool) -> tuple[np.ndarray, np.ndarray]:
    """Paper and ink RGB in [0, 1] with at least 0.35 luminance contrast."""
    paper_l = rng.uniform(0.6, 1.0) if dark_ink else rng.uniform(0.0, 0.35)
    paper = np.clip(paper_l + rng.uniform(-0.05, 0.05, 3), 0, 1).astype(np.float32)
    target = paper_l - rng.uniform(0.35, 0.95) if dark_ink else paper_l + rng.uniform(0.35, 0.95)
    target = float(np.clip(target, 0.0, 1.0))
    hue = rng.uniform(0.0, 1.0, 3).astype(np.float32)
    if rng.random() < 0.4:
        hue[:] = 1.0                                      # black / gray / white ink
    ink = np.clip(hue * target / max(float(hue @ LUMA), 1e-3), 0, 1)
    if abs(float(ink @ LUMA) - float(paper @ LUMA)) < 0.3:  # a hue that cannot reach the target
        ink = np.full(3, target, np.float32)
    return paper, ink


def lighting(shape: tuple[int, int], rng: np.random.Generator, strength: float = 1.0) -> tuple[np.ndarray, float]:
    """A multiplicative light field: a linear ramp in a random direction plus a vignette."""
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    y, x = y / max(h - 1, 1) - 0.5, x / max(w - 1, 1) - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    ramp, vignette = strength * rng.uniform(0.0, 0.3), strength * rng.uniform(0.0, 0.25)
    light = 1.0 + ramp * (np.cos(angle) * x + np.sin(angle) * y) - vignette * (x * x + y * y) * 2
    return light.astype(np.float32), ramp + vignette


def encode(image: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)).save(buffer, fmt, **options)
    return buffer.getvalue()


def render(alpha: np.ndarray, rng: np.random.Generator, conditions: dict) -> bytes:
    """Paint ink coverage `alpha` (H, W) as a photo/scan in a random style and encode it:
    either polarity, coloured ink, PNG / JPEG / transparent / grayscale PNG, noise, lighting."""
    dark_ink = rng.random() < 0.6
    paper, ink = colours(rng, dark_ink)
    conditions["polarity"] = "dark-on-light" if dark_ink else "light-on-dark"
    style = rng.choice(["png", "jpeg", "jpeg", "png-alpha", "png-gray"], p=[0.25, 0.25, 0.25, 0.1, 0.15])
    if style == "png-alpha":  # strokes on a transparent layer, as drawing programs export them
        rgba = np.concatenate([np.broadcast_to(ink, alpha.shape + (3,)), alpha[..., None]], axis=-1)
        conditions.update(format="png-alpha", noise=0.0, lighting=0.0)
        return encode(rgba, "PNG", compress_level=1)
    a = alpha[..., None]
    light, strength = lighting(alpha.shape, rng)
    image = (paper * (1 - a) + ink * a) * light[..., None]
    noise = float(rng.choice([0.0, 0.02, 0.04, 0.07]))
    if noise:
        image = image + noise * rng.standard_normal(image.shape, dtype=np.float32)
    conditions.update(noise=noise, lighting=round(strength, 3))
    if style == "png-gray":
        conditions["format"] = "png-gray"
        return encode(image @ LUMA, "PNG", compress_level=1)
    if style == "jpeg":
        quality = int(rng.integers(30, 96))
        conditions["format"] = "jpeg-q30-59" if quality < 60 else "jpeg-q60-95"
        conditions["jpeg_quality"] = quality
        return encode(image, "JPEG", quality=quality)
    conditions["format"] = "png"
    return encode(image, "PNG", compress_level=1)


def paint_printed(ink_alpha: np.ndarray, line_alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A form or notebook page: printed lines in their own (often lighter, coloured) colour under
    dark handwriting on light paper. (H, W, 3) float RGB."""
    paper, ink = colours(rng, dark_ink=True)
    paper = np.maximum(paper, 0.75)   # forms and notebooks are light
    tone = rng.choice(["gray", "blue", "red", "black"], p=[0.35, 0.35, 0.15, 0.15])
    line = {"gray": np.full(3, rng.uniform(0.3, 0.7)), "blue": np.float32([0.35, 0.55, 0.9]),
            "red": np.float32([0.9, 0.4, 0.4]), "black": np.full(3, rng.uniform(0.05, 0.3))}[tone]
    if tone != "black":
        line = np.clip(line + rng.uniform(-0.1, 0.1, 3), 0, 1)
    la, a = line_alpha[..., None], ink_alpha[..., None]
    image = paper * (1 - la) + line * la
    return (image * (1 - a) + ink * a).astype(np.float32)
