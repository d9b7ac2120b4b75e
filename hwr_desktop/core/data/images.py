"""Safe image-file loading with Pillow: sizes are checked from the header before any pixel is decoded."""
from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from hwr_desktop.core.errors import ImageError

MAX_PIXELS = 40_000_000      # 40 MP: more than any phone photo; refuses decompression bombs
MAX_SIDE = 20_000
MAX_FILE_BYTES = 200 * 1024 * 1024
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")


def _decode(source, name: str) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            # Pillow warns about e.g. corrupt EXIF blocks; the pixels are still fine, and the CLI
            # must not print stray warnings. Decompression-bomb warnings become errors.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=FORMATS) as img:
                w, h = img.size
                if w <= 0 or h <= 0:
                    raise ImageError(f"{name}: the image has no pixels")
                if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
                    raise ImageError(f"{name}: image too large ({w}x{h} pixels; at most {MAX_PIXELS // 1_000_000} MP)")
                img.seek(0)  # first frame of animated GIF/WebP or multi-page TIFF
                mode = "RGBA" if ("A" in img.getbands() or "transparency" in img.info) else "RGB"
                if img.mode in ("1", "L", "I", "I;16", "F"):
                    mode = "L"
                if img.mode == "LA":
                    mode = "LA"
                return np.asarray(img.convert(mode))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: refused: image is a decompression bomb (too many pixels)") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not a supported image (PNG, JPEG, BMP, GIF, WebP, TIFF)") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, IndexError, TypeError, struct.error) as exc:
        raise ImageError(f"{name}: corrupt or truncated image ({str(exc)[:200] or type(exc).__name__})") from None


def load_image_bytes(data: bytes, name: str = "image") -> np.ndarray:
    if not data:
        raise ImageError(f"{name}: the file is empty")
    return _decode(io.BytesIO(data), name)


def load_image(path: str | Path) -> np.ndarray:
    """(H, W), (H, W, 2), (H, W, 3) or (H, W, 4) uint8 array, or ImageError with a clear message."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise ImageError(f"{name}: no such file")
    if path.is_dir():
        raise ImageError(f"{name}: is a folder, not an image")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageError(f"{name}: file too large ({size // 2**20} MiB)")
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return load_image_bytes(data, name)


def shrink_to_height(gray: np.ndarray, height: int) -> np.ndarray:
    """A uint8 grayscale image box-downscaled to `height` rows (its aspect kept); one that is no
    taller is returned as it is."""
    h, w = gray.shape
    if h <= height:
        return gray
    width = max(1, round(w * height / h))
    return np.asarray(Image.fromarray(gray).resize((width, height), Image.Resampling.BOX))
