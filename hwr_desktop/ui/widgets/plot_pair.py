"""Two pyqtgraph plots (loss, accuracy) stacked in a tall widget, side by side in a wide one.

Stacked in a short widget each plot got ~40 px and its tick labels overlapped (the Training view
at 1280x720 after a run); side by side each keeps the widget's whole height. The arrangement
changes only when the widget's shape crosses WIDE, so resizing does not re-lay the plots out at
every pixel (a re-layout repaints both plots whole).
"""
from __future__ import annotations

WIDE = 1.3      # width / height above which the two plots sit side by side
# What the empty training curves say; here, free of pyqtgraph, because the training panel shows it
# before the curves are made (ui/widgets/lazy_slot.py).
TRAINING_HINT = "Loss and accuracy curves appear here while a model trains."


def arrange_pair(layout_widget, first, second, second_legend=None) -> bool:
    """Put `first` and `second` of a GraphicsLayoutWidget in a row or a column; True when they moved.

    Side by side, `second_legend` (naming the same series as the first plot's) is hidden: in a plot
    half as wide it covered the curves."""
    wide = layout_widget.width() > WIDE * layout_widget.height()
    where = (0, 1) if wide else (1, 0)              # (row, column) of the second plot
    layout = layout_widget.ci
    if second_legend is not None:
        second_legend.setVisible(not wide)
    if getattr(layout_widget, "_pair_second_at", None) == where or second not in layout.items:
        return False      # (not in the layout: the widget was cleared on shutdown, a resize came after)
    layout.removeItem(second)
    layout.addItem(second, row=where[0], col=where[1])
    layout_widget._pair_second_at = where
    return True
