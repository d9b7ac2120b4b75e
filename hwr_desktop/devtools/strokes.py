"""Mouse strokes for tests, probes and screenshots: real press/move/release events on the canvas, and
the shapes of a few digits drawn in canvas-relative coordinates (0..1)."""
import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


def draw_stroke(canvas, points) -> None:
    """Real mouse events: press, moves, release, in canvas-relative coordinates (0..1)."""
    side = min(canvas.width(), canvas.height())
    pts = [QPoint(int(x * side), int(y * side)) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])


def line(x0, y0, x1, y1, n=12):
    return [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in np.linspace(0, 1, n)]


def ellipse(cx, cy, rx, ry, n=40):
    return [(cx + rx * np.sin(t), cy - ry * np.cos(t)) for t in np.linspace(0, 2 * np.pi, n)]


SHAPES = {
    1: [line(0.52, 0.2, 0.48, 0.8)],
    7: [line(0.3, 0.22, 0.7, 0.22) + line(0.7, 0.22, 0.42, 0.8)[1:]],
    0: [ellipse(0.5, 0.5, 0.2, 0.3)],
    4: [line(0.4, 0.2, 0.3, 0.55) + line(0.3, 0.55, 0.7, 0.55)[1:], line(0.6, 0.3, 0.6, 0.82)],
    3: [[(0.48 + 0.16 * np.sin(t), 0.36 - 0.13 * np.cos(t)) for t in np.linspace(-1.3, np.pi, 16)]
        + [(0.48 + 0.19 * np.sin(t), 0.64 - 0.15 * np.cos(t)) for t in np.linspace(0.15, 4.4, 20)]],
    2: [[(0.32 + 0.36 * (0.5 - 0.5 * np.cos(t)), 0.32 - 0.12 * np.sin(t)) for t in np.linspace(0, np.pi, 12)]
        + line(0.68, 0.32, 0.3, 0.78)[1:] + line(0.3, 0.78, 0.72, 0.78)[1:]],
}
