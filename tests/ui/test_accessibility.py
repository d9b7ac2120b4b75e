"""Every control in the main window can be reached with the keyboard and has a name a screen reader
can say: walked tab by tab, as a user would see them."""
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QSlider,
    QTabBar,
    QToolButton,
    QWidget,
)

from hwr_desktop.ui.widgets.canvas import DrawingCanvas
from hwr_desktop.ui.widgets.confusion_matrix import ConfusionMatrixView

CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QSlider, QLineEdit, QTabBar, QAbstractItemView, DrawingCanvas,
            ConfusionMatrixView)


def spoken_name(widget: QWidget) -> str:
    if widget.accessibleName().strip():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):
        return widget.text().replace("&", "").strip()
    return ""


def reachable(widget: QWidget) -> bool:
    """Tab focus, or (toolbar buttons, which Qt keeps out of the Tab chain) a shortcut for their action."""
    if widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
        return True
    action = widget.defaultAction() if isinstance(widget, QToolButton) else None
    return action is not None and not action.shortcut().isEmpty()


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__} {widget.objectName()!r} ({spoken_name(widget) or widget.toolTip()[:40]!r})"


def visible_controls(window):
    for widget in window.findChildren(QWidget):
        if isinstance(widget, CONTROLS) and widget.isVisibleTo(window) and widget.isEnabled():
            if isinstance(widget, QLineEdit) and isinstance(widget.parent(), (QAbstractSpinBox, QComboBox)):
                continue                     # a spin box's or combo's own editor: the parent is the control
            if isinstance(widget, QAbstractButton) and widget.parent() is not None and \
                    type(widget.parent()).__name__ in ("QTabBar", "QScrollBar", "QDialogButtonBox") and not widget.text():
                continue                     # the tab bar's scroll arrows: the bar itself takes the keys
            yield widget


def test_every_control_is_reachable_by_tab_and_has_an_accessible_name(window, qtbot):
    unreachable, unnamed, seen = set(), set(), set()
    for view in window.tabs.pages:                      # every view, in whichever group it sits
        window.show_view(view)
        qtbot.wait(10)
        for widget in visible_controls(window):
            seen.add(id(widget))
            if not reachable(widget):
                unreachable.add(describe(widget))
            if not spoken_name(widget):
                unnamed.add(describe(widget))
    assert len(seen) > 40                               # the walk saw the whole window, every tab
    assert not unreachable and not unnamed, "\n".join(["not reachable:", *sorted(unreachable), "no name:", *sorted(unnamed)])


def test_the_confusion_matrix_works_from_the_keyboard(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.set_matrix(np.eye(10, dtype=int) * 100)
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Left):
        QTest.keyClick(view, key)
    assert view.selected == (2, 0)                  # moved, and stopped at the left edge
    with qtbot.waitSignal(view.cellClicked) as clicked:
        QTest.keyClick(view, Qt.Key.Key_Return)
    assert clicked.args == [2, 0]
