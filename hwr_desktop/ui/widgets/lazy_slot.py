"""A place in a layout for a widget that is costly to make, made when first asked for or shown.

Why: the app's plots are pyqtgraph widgets, and importing pyqtgraph alone takes ~0.3 s (its Qt shim
walks every attribute of QtCore, QtGui and QtWidgets, which makes PySide6 create each class and
enum): a third of the time from launch to the window shown, for plots that are either on hidden
tabs or an empty hint until a model trains. The modules that subclass pyqtgraph's widgets are
imported inside `make`, so nothing imports pyqtgraph before a plot is needed
(tests/test_core_isolation.py checks the start path).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazySlot(QWidget):
    def __init__(self, make: Callable[[], QWidget], placeholder: QWidget | None = None,
                 build_on_show: bool = True, parent=None):
        super().__init__(parent)
        self._make = make
        self._widget: QWidget | None = None
        self._build_on_show = build_on_show
        self._placeholder = placeholder or QWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._placeholder)

    def built(self) -> bool:
        return self._widget is not None

    def get(self) -> QWidget:
        """The widget, made now if it was not yet (in the placeholder's place)."""
        if self._widget is None:
            self._widget = self._make()
            layout = self.layout()
            layout.removeWidget(self._placeholder)
            self._placeholder.hide()
            self._placeholder.deleteLater()
            layout.addWidget(self._widget)
        return self._widget

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._build_on_show:
            self.get()
