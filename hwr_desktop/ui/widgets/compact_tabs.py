"""A tab bar whose titles all stay readable in a 1200 px window, with no scroll arrows.

Eight titles with the style's padding need ~640 px (Fusion, 9 pt), more than the tab pane gets
in a 1200 px window, so Qt hid the last titles behind scroll arrows. Half the horizontal padding
brings them to ~545 px without renaming anything (nine, with Runs: ~590 px asked, and whole in the
~520 px a 1200 px window gives the tabs); should a narrow window still not fit them, the titles
are elided at the right rather than scrolled out of sight (the tooltips say the rest).
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
