"""The Inside tab: a row of views into the network, one module each under ui/panels/inside/.

Why (saliency / Grad-CAM and the first layer's maps), Every layer, One unit, Filters, Digit map and
Watch it learn. Above them, a network chooser when the model is an ensemble (each member is a
network of its own). The views share one ProbeSource: the chosen network, its traced LayerProbe and
the current drawing's activations. Clicking a unit in Every layer opens it in One unit.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from hwr_desktop.ui.panels.inside.filters_view import FiltersView
from hwr_desktop.ui.panels.inside.layers_view import LayersView
from hwr_desktop.ui.panels.inside.learning_view import LearningView
from hwr_desktop.ui.panels.inside.map_view import DigitMapView
from hwr_desktop.ui.panels.inside.probe_source import ProbeSource
from hwr_desktop.ui.panels.inside.unit_view import UnitView
from hwr_desktop.ui.panels.inside.why_view import WhyView
from hwr_desktop.ui.widgets.compact_tabs import make_tabs_compact


class InsidePanel(QWidget):
    errorOccurred = Signal(str, str)     # title, message

    def __init__(self, session, draw_panel, parent=None):
        super().__init__(parent)
        self.setObjectName("insidePanel")
        self.source = ProbeSource(session, draw_panel, self)
        self.why = WhyView(session, draw_panel, self.source)
        self.layers = LayersView(self.source)
        self.unit = UnitView(self.source)
        self.filters = FiltersView(self.source)
        self.digit_map = DigitMapView(self.source)
        self.learning = LearningView()
        self.views = QTabWidget(objectName="insideViews")
        make_tabs_compact(self.views)
        for view, title, tip in (
                (self.why, "Why", "Which pixels drove the answer; the first layer's maps"),
                (self.layers, "Every layer", "Every layer's activations for your drawing, live"),
                (self.unit, "One unit", "One unit's arithmetic, number by number"),
                (self.filters, "Filters", "What a filter looks for: the test patches that excite it most"),
                (self.digit_map, "Digit map", "2,000 test digits as the network arranges them, and your drawing"),
                (self.learning, "Watch it learn", "Kernels and the digit map at every epoch of a training run")):
            self.views.setTabToolTip(self.views.addTab(view, title), tip)
        self.views.tabBar().setAccessibleName("Inside views")
        # Six titles whole: the bar elides rather than widening the views, and in number mode the views
        # stand at their minimum width.
        self.views.setMinimumWidth(self.views.tabBar().sizeHint().width())

        self.networkCombo = QComboBox(objectName="insideNetwork")
        self.networkCombo.setAccessibleName("Network to look inside")
        self.networkCombo.setToolTip("An ensemble averages several networks: choose the one to look inside")
        self.networkCombo.currentIndexChanged.connect(lambda i: i >= 0 and self.source.choose(i))
        self.networkLabel = QLabel("Network")
        chooser = QHBoxLayout()
        chooser.addWidget(self.networkLabel)
        chooser.addWidget(self.networkCombo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 4, 2, 2)           # Every layer needs the width for 16 maps in a row
        layout.addLayout(chooser)
        layout.addWidget(self.views, 1)

        self.source.networksChanged.connect(self._fill_networks)
        self.layers.unitRequested.connect(self.show_unit)
        self.learning.errorOccurred.connect(self.errorOccurred)
        self._fill_networks()

    def _fill_networks(self) -> None:
        self.networkCombo.blockSignals(True)
        self.networkCombo.clear()
        for network in self.source.networks:
            self.networkCombo.addItem(network.name)
        self.networkCombo.setCurrentIndex(self.source.index if self.source.networks else -1)
        self.networkCombo.blockSignals(False)
        several = len(self.source.networks) > 1
        self.networkCombo.setVisible(several)
        self.networkLabel.setVisible(several)

    def show_unit(self, request) -> None:
        """Open One unit on a unit (ui.widgets.layer_row.UnitRequest)."""
        self.views.setCurrentWidget(self.unit)
        self.unit.show_unit(request)

    def shutdown(self) -> bool:
        return all([self.why.shutdown(), self.source.shutdown(), self.filters.shutdown(),
                    self.digit_map.shutdown()])
