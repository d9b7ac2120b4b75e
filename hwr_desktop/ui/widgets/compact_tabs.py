"""A tab bar with half the style's padding left and right of each title, and no scroll arrows.

Nine titles in one row asked ~590 px even so, more than the ~530 px the tab pane gets at 1280x720,
and Qt elided them ("Trai...", "R..."): the window now groups its views (grouped_tabs.py), each row
holding at most six short titles, which the tighter padding keeps whole in that width. Should a
narrow window still not fit a row, its titles are elided at the right rather than scrolled out of
sight (the tooltips say the rest); tests/ui/test_window_fits.py checks that none is.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QTabWidget


class _TightTabStyle(QProxyStyle):
    """The application's own style, with half its padding left and right of a tab title."""

    def pixelMetric(self, metric, option=None, widget=None):
        value = super().pixelMetric(metric, option, widget)
        return value // 2 if metric == QStyle.PixelMetric.PM_TabBarTabHSpace else value


def make_tabs_compact(tabs: QTabWidget) -> None:
    style = _TightTabStyle(QApplication.style().name())   # a fresh instance: a proxy owns its base style
    style.setParent(tabs)                                  # setStyle does not take ownership
    bar = tabs.tabBar()
    bar.setStyle(style)
    bar.setUsesScrollButtons(False)
    bar.setElideMode(Qt.TextElideMode.ElideRight)
