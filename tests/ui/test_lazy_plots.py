"""The window opens without pyqtgraph (importing it is ~0.3 s, a third of the start): each plot is
made when its view is first shown (ui/widgets/lazy_slot.py), the training curves when a run starts."""
import os
import subprocess
import sys

from PySide6.QtWidgets import QLabel

from hwr_desktop.ui.widgets.lazy_slot import LazySlot


def test_a_fresh_window_has_no_pyqtgraph_until_a_plot_view_is_shown(tmp_path):
    code = ("import sys\n"
            "from hwr_desktop.devtools.offscreen_window import open_main_window\n"
            "app, window = open_main_window((1200, 760))\n"
            "for _ in range(20):\n"
            "    app.processEvents()\n"
            "slots = (window.training_panel.plotSlot, window.history_panel.plotSlot, window.runs_panel.curvesSlot)\n"
            "print('start', 'pyqtgraph' in sys.modules, [s.built() for s in slots])\n"
            "window.show_view('History')\n"
            "app.processEvents()\n"
            "print('history', 'pyqtgraph' in sys.modules, [s.built() for s in slots],"
            " window.history_panel.plot.isVisible())\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HWR_DESKTOP_DATA_DIR": str(tmp_path / "data"),
           "HWR_DESKTOP_CONFIG_DIR": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith(("start", "history"))]
    assert lines == ["start False [False, False, False]", "history True [False, True, False] True"], result.stdout


def test_a_slot_makes_its_widget_once_when_asked_or_shown(qtbot):
    made = []

    def make():
        made.append(QLabel("made"))
        return made[-1]
    placeholder = QLabel("waiting")
    asked = LazySlot(make, placeholder, build_on_show=False)
    qtbot.addWidget(asked)
    asked.show()
    assert not asked.built() and made == [] and placeholder.isVisible()
    assert asked.get() is made[0] and asked.get() is made[0] and len(made) == 1
    assert asked.layout().count() == 1 and asked.layout().itemAt(0).widget() is made[0]
    shown = LazySlot(make)
    qtbot.addWidget(shown)
    assert not shown.built()
    shown.show()
    assert shown.built() and len(made) == 2
    qtbot.waitUntil(made[1].isVisible)
