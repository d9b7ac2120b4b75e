"""Under the number strip: each digit's 28x28 image as the network saw it, left to right.

Each image is a flat button (Tab reaches it, Space or Enter opens the same menu as clicking the
digit's box on the strip), named for screen readers with the digit, its confidence and its
likeliest alternatives. Its caption says what was read, '?' or the user's correction, in the
colour of the digit's box on the strip.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
from hwr_desktop.ui.widgets.reading_overlays import alternatives_text, mark_color, mark_label

IMAGE_SIDE = 56          # 2x the network's 28 pixels, unsmoothed: each pixel stays visible


class DigitImagesRow(QWidget):
    digitClicked = Signal(int, QPoint)   # index of the digit, global position for a menu

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("digitImagesRow")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self._layout.addStretch(1)
        self.buttons: list[QToolButton] = []

    def show_digits(self, digits, corrections: dict[int, int]) -> None:
        """One button per digit. The buttons of the last reading are kept and given the new digits
        (a pen lift mostly reads as many digits as before: making eight buttons took 2.5 ms)."""
        keep = min(len(self.buttons), len(digits))
        for button in self.buttons[keep:]:
            self._layout.removeWidget(button)
            button.hide()                  # at once: deleteLater waits for the event loop
            button.deleteLater()
        self.buttons = self.buttons[:keep]
        for index, digit in enumerate(digits):
            if index >= keep:
                button = self._button(index)
                self._layout.insertWidget(1 + index, button)
                button.show()              # at once too: the layout would show it from the event loop,
                self.buttons.append(button)    # and until then Tab skips it and a grab() leaves it out
            self._fill(self.buttons[index], index, digit, corrections.get(index))

    def _button(self, index: int) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(f"digitImage{index}")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setIconSize(QSize(IMAGE_SIDE, IMAGE_SIDE))
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.clicked.connect(lambda _=False, i=index, b=button:
                               self.digitClicked.emit(i, b.mapToGlobal(b.rect().bottomLeft())))
        return button

    @staticmethod
    def _fill(button: QToolButton, index: int, digit, corrected: int | None) -> None:
        """What the button shows and says for the digit at `index`."""
        button.setIcon(QIcon(gray_pixmap(digit.image, IMAGE_SIDE)))
        button.setText(mark_label(digit, corrected))
        button.setToolTip(f"What the network saw. Likeliest: {alternatives_text(digit)}. Click to correct")
        button.setAccessibleName(digit_name(index, digit, corrected))
        palette = button.palette()
        palette.setColor(QPalette.ColorRole.ButtonText, mark_color(digit, corrected))
        button.setPalette(palette)

    def sizeHint(self) -> QSize:
        return QSize(IMAGE_SIDE, IMAGE_SIDE + 30)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


def digit_name(index: int, digit, corrected: int | None) -> str:
    """What a screen reader says for a digit of the number: "Digit 2: 7 93%, likeliest 7 93% · 1 5%"."""
    return f"Digit {index + 1}: {mark_label(digit, corrected)}, likeliest {alternatives_text(digit)}. Choose the right digit"
