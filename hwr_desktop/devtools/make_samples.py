"""Write resources/samples/: one scanned-looking PNG per digit, made from MNIST test digits.

The self-test recognizes these files through the same path as a user's image (load_image ->
preprocess -> model), so they should look like a photographed note, not like MNIST: dark ink on
off-white paper, several times larger, smooth edges, a little paper grain. The label is the first
character of the file name (`7-test0000.png` is a 7, MNIST test image 0).

INDICES are clear, typical examples, picked once so the files never change unless this script
does: `.venv/bin/python -m hwr_desktop.devtools.make_samples`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[2]   # the checkout: these tools write into its resources/

# digit -> index in the MNIST test set
INDICES = {0: 71, 1: 39, 2: 72, 3: 30, 4: 27, 5: 127, 6: 100, 7: 75, 8: 146, 9: 99}
SCALE = 6           # 28 px -> 168 px, about the size of a digit written on a phone photo crop
MARGIN = 36
PAPER = np.array([246, 243, 234], np.float32)   # warm off-white
INK = np.array([28, 32, 58], np.float32)        # blue-black ballpoint


def render(digit28: np.ndarray, seed: int) -> Image.Image:
    big = Image.fromarray(digit28).resize((28 * SCALE, 28 * SCALE), Image.Resampling.BICUBIC)
    big = big.filter(ImageFilter.GaussianBlur(1.2))              # soften the upscaled pixel grid
    ink = np.asarray(big, np.float32)[..., None] / 255.0         # 1 where the pen went
    ink = np.pad(ink, ((MARGIN, MARGIN), (MARGIN, MARGIN), (0, 0)))
    rng = np.random.default_rng(seed)
    h, w = ink.shape[:2]
    shade = 1.0 - 0.04 * np.linspace(0, 1, w)[None, :, None]     # uneven light across the page
    grain = rng.normal(0.0, 3.0, (h, w, 1))                      # paper texture and sensor noise
    rgb = (PAPER * shade + grain) * (1 - ink) + INK * ink
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def main() -> int:
    from hwr_desktop.core.data.mnist import load_mnist
    data = load_mnist()
    out = ROOT / "resources" / "samples"
    out.mkdir(parents=True, exist_ok=True)
    for digit, index in INDICES.items():
        if data.y_test[index] != digit:
            raise SystemExit(f"MNIST test image {index} is a {data.y_test[index]}, not a {digit}")
        path = out / f"{digit}-test{index:04d}.png"
        render(data.x_test[index], seed=index).save(path, optimize=True)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
