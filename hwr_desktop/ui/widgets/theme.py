"""Light or dark: the colours our own painted widgets and plots take from the application palette.

The app has no theme of its own; it follows the system palette. Widgets call these helpers at
paint time (or on QEvent.PaletteChange where they cache colours), so a switch at run time is
followed. Accent colours (series, right/wrong) are fixed hues, lighter on a dark palette so they
keep their contrast.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette


def is_dark(palette: QPalette) -> bool:
    """A dark palette: the window colour is dark (what the widgets really show), or Qt says so."""
    if palette.color(QPalette.ColorRole.Window).lightness() < 128:
        return True
    app = QGuiApplication.instance()
    if app is None or palette.color(QPalette.ColorRole.Window).lightness() >= 160:
        return False   # a clearly light window wins over the system hint: that is what is painted
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def _pick(palette: QPalette, light: tuple, dark: tuple) -> QColor:
    return QColor(*(dark if is_dark(palette) else light))


def train_colour(palette: QPalette) -> QColor:
    return _pick(palette, (70, 130, 220), (110, 165, 255))


def val_colour(palette: QPalette) -> QColor:
    return _pick(palette, (230, 120, 40), (255, 160, 80))


def ok_colour(palette: QPalette) -> QColor:
    return _pick(palette, (26, 127, 55), (90, 200, 120))


def bad_colour(palette: QPalette) -> QColor:
    """Wrong answers, rejected marks, "not kept": red that reads on the palette's base colour."""
    return _pick(palette, (210, 40, 40), (255, 110, 110))


def plot_colours(palette: QPalette) -> tuple[QColor, QColor]:
    """(background, foreground) for a pyqtgraph plot: the palette's Base and Text."""
    return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)


def style_plot_widget(widget, palette: QPalette, plots, legends=()) -> None:
    """Background, axes, titles and legend text of a pyqtgraph GraphicsLayoutWidget from `palette`.

    Pass the palette of the widget whose PaletteChange triggered this: its children get theirs after.
    """
    background, foreground = plot_colours(palette)
    widget.setBackground(background)
    for plot in plots:
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTextPen(foreground)
            plot.getAxis(axis).setPen(foreground)
        title = plot.titleLabel
        if title.text:
            title.setText(title.text, color=foreground)
    for legend in legends:
        legend.setLabelTextColor(foreground)
