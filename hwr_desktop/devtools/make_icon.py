"""Draw the app icon: a handwritten-looking "7" in white ink on a rounded blue tile.

Writes resources/icons/app.png (256 px, used for the window icon and by PyInstaller on macOS) and
resources/icons/app.ico (16-256 px, the Windows executable icon). Drawn at 4x and scaled down so
the edges are anti-aliased. Run: `.venv/bin/python -m hwr_desktop.devtools.make_icon`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[2]   # the checkout: these tools write into its resources/
OUT = ROOT / "resources" / "icons"
SIZE = 256
SS = 4                              # supersampling factor
TOP, BOTTOM = (46, 110, 214), (24, 52, 128)   # tile gradient, light to dark blue
INK = (255, 255, 255)


def bezier(p0, p1, p2, p3, n: int = 64) -> list[tuple[float, float]]:
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3)
    return [tuple(p) for p in pts]


def stroke(draw: ImageDraw.ImageDraw, points, width: float) -> None:
    """A pen stroke: round caps and joins, slightly thinner towards the end as a pen lifts."""
    for i, (a, b) in enumerate(zip(points, points[1:])):
        w = width * (1.0 - 0.25 * i / len(points))
        draw.line([a, b], fill=INK, width=int(w))
        r = w / 2
        draw.ellipse([b[0] - r, b[1] - r, b[0] + r, b[1] + r], fill=INK)
    r = width / 2
    draw.ellipse([points[0][0] - r, points[0][1] - r, points[0][0] + r, points[0][1] + r], fill=INK)


def tile(size: int) -> Image.Image:
    """Rounded square with a vertical gradient and a transparent outside."""
    rows = np.linspace(0.0, 1.0, size)[:, None, None]
    rgb = (1 - rows) * np.array(TOP) + rows * np.array(BOTTOM)
    img = Image.fromarray(np.broadcast_to(rgb, (size, size, 3)).astype(np.uint8), "RGB").convert("RGBA")
    mask = Image.new("L", (size, size), 0)
    inset = size * 0.04
    ImageDraw.Draw(mask).rounded_rectangle([inset, inset, size - inset, size - inset], radius=size * 0.2, fill=255)
    img.putalpha(mask)
    return img


def make_icon() -> Image.Image:
    s = SIZE * SS
    img = tile(s)
    draw = ImageDraw.Draw(img)
    u = s / 100.0                                        # draw in a 100x100 coordinate system
    P = lambda x, y: np.array([x * u, y * u])            # noqa: E731
    top = bezier(P(27, 31), P(40, 27), P(58, 29), P(73, 26))          # the bar, slightly rising
    down = bezier(P(73, 26), P(64, 43), P(52, 60), P(45, 80))         # the downstroke, curving
    stroke(draw, top + down[1:], width=10.5 * u)
    stroke(draw, bezier(P(43, 53), P(51, 52), P(59, 52), P(66, 51), 24), width=8 * u)  # continental cross bar
    return img.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = make_icon()
    icon.save(OUT / "app.png", optimize=True)
    icon.save(OUT / "app.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    print(f"wrote {OUT / 'app.png'} and {OUT / 'app.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
