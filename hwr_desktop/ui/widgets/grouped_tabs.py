"""The window's views in two levels of tabs: a few groups on top, each group's views in a row under it.

Why groups and not one row or a side list: nine titles in one row needed ~590 px and the tab pane
gets ~520 px at 1200 or 1280 px wide, so Qt elided them ("Trai...", "R..."); a side list of nine
names with icons would take ~130 px of that same width, which the views need more (Every layer's
16 maps in a row, the Runs table's columns). Groups of at most four short titles fit whole in
~350 px from 1280x720 up and cost one row of height only where a group holds more than one view
(a group of one shows its view directly, so nothing is ever three levels deep: the Inside group's
second level is its own row of views).

`show_page(widget)` selects the group and the view that hold a widget, so callers (the window,
tests, screenshot scripts) never need to know which level a view sits at.
"""
from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from hwr_desktop.ui.widgets.compact_tabs import make_tabs_compact


class GroupedTabs(QTabWidget):
    def __init__(self, parent=None, objectName: str = "tabs"):
        super().__init__(parent, objectName=objectName)
        make_tabs_compact(self)
        self.tabBar().setAccessibleName("View groups")   # Ctrl+Tab / Ctrl+Shift+Tab switch them too
        self.pages: dict[str, QWidget] = {}               # view title -> its page, in order
        self.rows: list[QTabWidget] = []                  # the groups' own rows of views

    def add_group(self, title: str, tip: str, views, name: str = "") -> None:
        """One group: `views` is [(page, title, tip), ...]; a single view is shown without a second row."""
        if len(views) == 1:
            page, view_title, _view_tip = views[0]
            self.setTabToolTip(self.addTab(page, title), tip)
            self.pages[view_title] = page
            return
        row = QTabWidget(objectName=name or f"{title.lower()}Views")
        make_tabs_compact(row)
        row.tabBar().setAccessibleName(f"{title} views")
        for page, view_title, view_tip in views:
            row.setTabToolTip(row.addTab(page, view_title), view_tip)
            self.pages[view_title] = page
        self.rows.append(row)
        self.setTabToolTip(self.addTab(row, title), tip)

    def tab_bars(self) -> list:
        """Every bar of titles this widget shows: the groups' and each group's row of views."""
        return [self.tabBar(), *(row.tabBar() for row in self.rows)]

    def page_of(self, widget: QWidget) -> QWidget | None:
        """The view page that is or holds `widget`, or None."""
        pages = set(map(id, self.pages.values()))
        while widget is not None and id(widget) not in pages:
            widget = widget.parentWidget()
        return widget

    def show_page(self, view: QWidget | str) -> QWidget:
        """Select the group and the view showing `view` (a view's title, its page or a widget in it)."""
        page = self.pages[view] if isinstance(view, str) else self.page_of(view)
        if page is None:
            raise KeyError(f"no view holds {view!r}")
        holder = page.parentWidget()
        while holder is not None and not isinstance(holder, QTabWidget):    # a QTabWidget's QStackedWidget
            holder = holder.parentWidget()
        if holder is not self and holder is not None:
            holder.setCurrentWidget(page)
            self.setCurrentWidget(holder)
        else:
            self.setCurrentWidget(page)
        return page

    def current_page(self) -> QWidget:
        current = self.currentWidget()
        return current.currentWidget() if current in self.rows else current
