"""A square widget (the drawing canvas) as large as the space allows, with the controls that belong
to it just below at the same width, the two centred together; the rest is plain window background.

A layout would stretch the canvas into a tall rectangle of which only the top square can be drawn
on; here the canvas widget itself is the square, so nothing looks drawable that is not.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize
from PySide6.QtWidgets import QSizePolicy, QWidget


class SquareArea(QWidget):
    SPACING = 8

    def __init__(self, square: QWidget, below: QWidget, parent=None):
        super().__init__(parent)
        self.setObjectName("squareArea")
        self.square, self.below = square, below
        self.aspect = 1.0          # width over height of the shown "square" (the number strip is wide)
        for child in (square, below):
            child.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _below_height(self, width: int) -> int:
        if self.below.hasHeightForWidth():
            return max(self.below.heightForWidth(width), self.below.minimumSizeHint().height())
        return self.below.sizeHint().height()

    def show_square(self, square: QWidget, aspect: float = 1.0) -> None:
        """Show another widget in the square's place (the number strip, at its aspect), hiding the old one."""
        square.setParent(self)
        if square is not self.square:
            self.square.hide()
        self.square, self.aspect = square, aspect
        square.show()
        self._place()
        self.updateGeometry()

    def square_rect(self) -> QRect:
        """Where the square goes: the largest that leaves room for the controls, centred with them."""
        if self.aspect != 1.0:
            return self._wide_rect()
        width, height = self.width(), self.height()
        side = min(width, height - self._below_height(width) - self.SPACING)
        side = max(self.square.minimumWidth(), side)
        block = side + self.SPACING + self._below_height(side)
        return QRect((width - side) // 2, max(0, (height - block) // 2), side, side)

    def _wide_rect(self) -> QRect:
        width, height = self.width(), self.height()
        wide = min(width, int((height - self._below_height(width) - self.SPACING) * self.aspect))
        wide = max(self.square.minimumWidth(), wide)
        tall = round(wide / self.aspect)
        block = tall + self.SPACING + self._below_height(wide)
        return QRect((width - wide) // 2, max(0, (height - block) // 2), wide, tall)

    def _place(self) -> None:
        rect = self.square_rect()
        self.square.setGeometry(rect)
        self.below.setGeometry(rect.x(), rect.bottom() + 1 + self.SPACING, rect.width(),
                               self._below_height(rect.width()))

    # At the shown widget's aspect: the number strip at its minimum width is a quarter as tall, and
    # a square's height here made the window 847 px tall at least in number mode (it could not fit 720).
    def minimumSizeHint(self) -> QSize:
        wide = max(self.square.minimumWidth(), self.below.minimumSizeHint().width())
        return QSize(wide, round(wide / self.aspect) + self.SPACING + self._below_height(wide))

    def sizeHint(self) -> QSize:
        wide = max(self.square.sizeHint().width(), self.below.sizeHint().width())
        return QSize(wide, round(wide / self.aspect) + self.SPACING + self._below_height(wide))

    def resizeEvent(self, event) -> None:
        self._place()
        super().resizeEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:   # the controls changed size (a status line wrapped)
            self._place()
            self.updateGeometry()
        return super().event(event)
