"""Drawing canvas: mouse or pen strokes rendered into an off-screen QImage.

Strokes are kept as point lists in normalized coordinates (0..1 of the canvas side), so the
image can be re-rendered exactly after an undo or when the widget is resized; the off-screen
image is what the model reads (`to_array`), the widget just shows it. The widget is meant to be
square (ui/widgets/square_area.py keeps it so): all of it can be drawn on.

On a high-DPI screen the strokes are also rendered at the screen's device pixel ratio for display,
so they look crisp; the model still reads the image in logical pixels, the same on every screen.
An empty canvas shows a hint, painted on the widget only, never into the image the model reads.

The model always reads black ink on a white page, whatever the palette, so the same strokes give
the same prediction in light and dark mode; the screen shows the palette's text colour on its base
colour (light ink on a dark page in dark mode), rendered separately when the two differ.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Stroke = list[tuple[float, float]]


class DrawingCanvas(QWidget):
    strokeFinished = Signal()   # mouse released: the drawing is complete for now
    drawingChanged = Signal()   # any change (points added while drawing, undo, clear)

    MIN_SIDE = 280
    HINT = "Draw a digit here"
    # Width over height. Points are kept in units of the height (x in 0..ASPECT, y in 0..1), so
    # at 1 the square canvas is exactly what it always was; NumberCanvas is a wide strip.
    ASPECT = 1.0

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAccessibleName("Drawing canvas")
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(round(self.MIN_SIDE * self.ASPECT), self.MIN_SIDE)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse or a pen. Right-click or Ctrl+Z undoes the last stroke.")
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self._brush = 0.07           # pen width as a fraction of the canvas side (MNIST-like strokes)
        self._image = QImage()           # what the model reads: logical pixels
        self._shown = QImage()           # what the screen shows: device pixels (the same image at ratio 1)
        self._render()

    # ----- public API -----
    def brushSize(self) -> float:
        return self._brush

    def setBrushSize(self, fraction: float) -> None:
        """Pen width as a fraction of the canvas side; applies to new strokes and re-renders old ones."""
        self._brush = float(min(0.2, max(0.01, fraction)))
        self._render()

    def strokes(self) -> list[Stroke]:
        return [list(s) for s in self._strokes]

    def setStrokes(self, strokes: list[Stroke]) -> None:
        self._strokes = [list(s) for s in strokes if s]
        self._render()
        self.drawingChanged.emit()

    def isEmpty(self) -> bool:
        return not self._strokes and not self._current

    def undo(self) -> None:
        if self._strokes:
            self._strokes.pop()
            self._render()
            self.drawingChanged.emit()
            self.strokeFinished.emit()

    def clear(self) -> None:
        if self._strokes or self._current:
            self._strokes, self._current = [], None
            self._render()
            self.drawingChanged.emit()
            self.strokeFinished.emit()

    def image(self) -> QImage:
        return self._image

    def to_array(self) -> np.ndarray:
        """The off-screen image as a uint8 grayscale array (H, W): black ink on white, in every palette."""
        gray = self._image.convertToFormat(QImage.Format.Format_Grayscale8)
        w, h, stride = gray.width(), gray.height(), gray.bytesPerLine()
        buffer = np.frombuffer(gray.constBits(), np.uint8, count=stride * h).reshape(h, stride)
        return buffer[:, :w].copy()

    def displayImage(self) -> QImage:
        """The image painted on screen, at the widget's device pixel ratio."""
        return self._shown

    def sizeHint(self) -> QSize:
        return QSize(round(420 * self.ASPECT), 420)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return round(width / self.ASPECT)

    # ----- rendering -----
    def _side(self) -> int:
        """The height of the drawable area in pixels, the unit the points are kept in."""
        return max(1, min(int(self.width() / self.ASPECT), self.height()))

    def _span(self, side: int) -> int:
        return round(side * self.ASPECT)

    def _point(self, pos: QPointF, side: int) -> tuple[float, float]:
        return (min(self.ASPECT, max(0.0, pos.x() / side)), min(1.0, max(0.0, pos.y() / side)))

    MODEL_PAGE, MODEL_INK = QColor(255, 255, 255), QColor(0, 0, 0)

    def _screen_colors(self) -> tuple[QColor, QColor]:
        palette = self.palette()
        return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)

    def _pen(self, side: int, ink: QColor) -> QPen:
        pen = QPen(ink, self._brush * side, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        return pen

    def _paint_stroke(self, painter: QPainter, stroke: Stroke, side: int) -> None:
        points = [QPointF(x * side, y * side) for x, y in stroke]
        if len(points) == 1:
            painter.drawPoint(points[0])
            return
        path = QPainterPath(points[0])
        for p in points[1:]:
            path.lineTo(p)
        painter.drawPath(path)

    def _images(self) -> list[tuple[QImage, QColor, QColor]]:
        """(image, page, ink): the model's image, and the screen's when it is a separate one."""
        model = (self._image, self.MODEL_PAGE, self.MODEL_INK)
        return [model] if self._shown is self._image else [model, (self._shown, *self._screen_colors())]

    def _render(self) -> None:
        side = self._side()
        ratio = self.devicePixelRatioF()
        self._image = QImage(self._span(side), side, QImage.Format.Format_RGB32)
        page, ink = self._screen_colors()
        if ratio == 1 and page.rgb() == self.MODEL_PAGE.rgb() and ink.rgb() == self.MODEL_INK.rgb():
            self._shown = self._image
        else:
            self._shown = QImage(round(self._span(side) * ratio), round(side * ratio), QImage.Format.Format_RGB32)
            self._shown.setDevicePixelRatio(ratio)    # a painter on it draws in logical coordinates
        for image, page, _ink in self._images():
            image.fill(page)
        self._paint(self._strokes)
        # The finished strokes alone, kept: a stroke begins on a copy of them and, finished, is
        # painted onto them, so a pen lift does not paint every stroke again (1.3 ms of 8 digits).
        self._done = [image.copy() for image, _page, _ink in self._images()]
        if self._current:
            self._paint([self._current])
        self._strokes_changed()
        self.update()

    def _paint(self, strokes: list[Stroke], images: list[QImage] | None = None) -> None:
        """Paint strokes as paths onto the images (default: the model's and the screen's), in order."""
        side = self._side()
        for k, (image, _page, ink) in enumerate(self._images()):
            painter = QPainter(images[k] if images is not None else image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(self._pen(side, ink))
            for stroke in strokes:
                self._paint_stroke(painter, stroke, side)
            painter.end()

    def _from_done(self) -> None:
        """The images back to the finished strokes alone (a copy of them: they stay as they are)."""
        separate = self._shown is not self._image
        self._image = self._done[0].copy()
        self._shown = self._done[1].copy() if separate else self._image

    def _strokes_changed(self) -> None:
        """The drawing is another one (subclasses forget what they knew of the old one)."""

    def _extend_current(self, pos: QPointF) -> None:
        side = self._side()
        point = self._point(pos, side)
        last = self._current[-1]
        self._current.append(point)
        # Draw only the new segment into the off-screen images: cheap enough for every mouse move.
        for image, _page, ink in self._images():
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(self._pen(side, ink))
            painter.drawLine(QPointF(last[0] * side, last[1] * side), QPointF(point[0] * side, point[1] * side))
            painter.end()
        pad = self._brush * side
        self.update(QRectF(QPointF(min(last[0], point[0]) * side - pad, min(last[1], point[1]) * side - pad),
                           QPointF(max(last[0], point[0]) * side + pad, max(last[1], point[1]) * side + pad)).toAlignedRect())
        self.drawingChanged.emit()

    # ----- events -----
    def resizeEvent(self, event) -> None:
        self._render()
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() in (event.Type.PaletteChange, event.Type.ApplicationPaletteChange):
            self._render()  # light/dark switch: re-render with the new colours
        super().changeEvent(event)

    def paintEvent(self, event) -> None:
        if self._shown.devicePixelRatio() != self.devicePixelRatioF():
            self._render()                  # moved to a screen with another pixel ratio
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))  # only if not square
        painter.drawImage(QPointF(0, 0), self._shown)
        side = self._side()
        if self.isEmpty():
            font = painter.font()
            font.setPixelSize(max(12, side // 16))
            painter.setFont(font)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(0, 0, self._span(side), side), Qt.AlignmentFlag.AlignCenter, self.HINT)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(0, 0, self._span(side) - 1, side - 1)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.undo()
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        side = self._side()
        pos = event.position()
        self._current = [self._point(pos, side)]
        self._from_done()
        self._paint([self._current])
        self.update()
        self.drawingChanged.emit()

    def mouseMoveEvent(self, event) -> None:
        if self._current is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend_current(event.position())

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            stroke, self._current = self._current, None
            self._strokes.append(stroke)
            # Painted as a path onto the finished strokes, not kept as the segments drawn while
            # dragging: those antialias slightly differently, and undo must give back exactly the
            # image the model saw before. The same pixels as painting every stroke again.
            self._paint([stroke], self._done)
            self._from_done()
            self._strokes_changed()
            self.update()
            self.strokeFinished.emit()


class NumberCanvas(DrawingCanvas):
    """The number mode's writing strip: a whole number of up to ten digits, written left to right.

    It shows what the reader did, a box and tag over each digit. A click that does not move (the pen
    stays within CLICK_SLOP of where it went down) on a box is not ink: it asks for that digit's
    alternatives (digitClicked)."""

    digitClicked = Signal(int, QPoint)   # index of the digit clicked, global position for a menu

    ASPECT = 4.0
    MIN_SIDE = 110
    # The strip is read at most this tall: the reader's own strip is 32 px tall and a digit's model
    # input 20 px, so a larger window's strip only costs time. The replay's 100 numbers written on
    # the full-HD window's strip (1320x330) read in 64 ms on the whole image and 40-50 ms at 200 px;
    # 83 against 81 exact, 2 against 3 wrong without a '?' (on a 1092x273 strip read at 192 px: 81
    # against 82 exact): resampling moves a number or two either way. The default window's strip
    # (193 px) is read as it is; at 160 / 128 / 96 px it read 82 / 81 / 82 exact against 83, and 1 /
    # 3 / 4 wrong without a '?' against 2, no faster beyond the machine's spread. (AVX2-only AMD
    # EPYC, 2026-12-07.)
    READ_HEIGHT = 200
    HINT = "Write a number here, left to right"
    CLICK_SLOP = 3                       # pixels a click may wander, at any point before release, and stay a click

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("numberCanvas")
        self.setAccessibleName("Number writing strip")
        self.setToolTip("Write a whole number, left to right. Click a digit's box to correct it. "
                        "Right-click or Ctrl+Z undoes the last stroke.")

        self._digits = []          # the last reading's DigitRead list: boxes in image pixels at _read_side
        self._corrections: dict[int, int] = {}
        self._read_side = 1        # the image's height when it was read: boxes scale with the strip
        self._press: QPointF | None = None

    def sizeHint(self) -> QSize:
        return QSize(720, 180)

    def reading_array(self) -> np.ndarray:
        """The strip as the number reader gets it: `to_array()` box-downscaled to READ_HEIGHT rows."""
        from hwr_desktop.core.data.images import shrink_to_height
        return shrink_to_height(self.to_array(), self.READ_HEIGHT)

    def setDigits(self, digits, corrections: dict[int, int] | None = None, read_side: int | None = None) -> None:
        """Show what the reader did: a box over each digit with its digit and confidence ('?' in red,
        the user's corrections in blue). read_side: the image height the boxes are in (default: now)."""
        self._digits = list(digits)
        self._corrections = dict(corrections or {})
        self._read_side = read_side or self._side()
        self.update()

    def digits(self) -> list:
        return list(self._digits)

    def _to_view(self, box) -> QRectF:
        k = self._side() / self._read_side
        return QRectF(box[0] * k, box[1] * k, (box[2] - box[0]) * k, (box[3] - box[1]) * k)

    def digitRects(self) -> list[QRectF]:
        """Each digit's box in widget pixels, now."""
        return [self._to_view(d.box) for d in self._digits]

    def _strokes_changed(self) -> None:
        self._digits = []          # the drawing changed (a stroke, undo, clear): the boxes are stale

    def resizeEvent(self, event) -> None:
        digits = self._digits      # the same drawing, larger or smaller: the boxes scale with it
        super().resizeEvent(event)
        self._digits = digits

    def mousePressEvent(self, event) -> None:
        self._press = event.position() if event.button() == Qt.MouseButton.LeftButton else None
        super().mousePressEvent(event)     # a stroke has only begun (or it is a click on a box): the boxes stay

    def mouseMoveEvent(self, event) -> None:
        # A pen that went farther than the slop wrote a stroke, wherever it is let go: a loop (an "0",
        # an 8's lower half) ends where it began, often on a box of the last reading, and was once
        # taken for a click there and lost (ink of 7 of the replay's 100 numbers, 2026-12-07).
        if self._press is not None and (event.position() - self._press).manhattanLength() > self.CLICK_SLOP:
            self._press = None
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        press, self._press = self._press, None
        if (event.button() == Qt.MouseButton.LeftButton and press is not None and self._current is not None
                and (event.position() - press).manhattanLength() <= self.CLICK_SLOP):
            hit = next((i for i, r in enumerate(self.digitRects()) if r.adjusted(-4, -4, 4, 4).contains(press)), None)
            if hit is not None:            # a click on a digit: no dot of ink, its alternatives instead
                self._current = None
                self._from_done()          # drops the dot drawn on press; the drawing and its boxes stay
                self.update()
                self.digitClicked.emit(hit, self.mapToGlobal(event.position().toPoint()))
                return
        super().mouseReleaseEvent(event)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._digits:
            from hwr_desktop.ui.widgets.reading_overlays import paint_marks
            painter = QPainter(self)
            paint_marks(painter, self._digits, self._corrections, self._to_view)
            painter.end()
