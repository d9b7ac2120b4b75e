"""TensorFlow only when a view needs it: the views that need a bundled model's Keras network say
"Loading TensorFlow…" while the session loads it in the background (ui/session.py keras_model()),
then fill themselves, driven by the session's kerasReady signal."""
import ctypes
import os
import subprocess
import sys

import pytest

from hwr_desktop.ui.session import LOADING_TENSORFLOW, ModelSession

# Destroying a LiteRT interpreter in a process that has imported TensorFlow sometimes corrupts the heap
# (an abort in xnn_delete_runtime, in ai_edge_litert's library: seen 5 times in 11 runs of this file,
# 2026-12-05, with TensorFlow imported on the main thread or a worker alike). Until that is fixed in
# the LiteRT back end, the sessions (and so the predictors) these tests make are kept for the life of
# the process, never destroyed (the extra reference keeps the list alive through interpreter shutdown).
_NEVER_DESTROYED: list = []
ctypes.pythonapi.Py_IncRef(ctypes.py_object(_NEVER_DESTROYED))


@pytest.fixture
def litert_session(qtbot, good_model_file):
    """A session predicting through the bundled model's LiteRT twin: no Keras network loaded yet."""
    session = ModelSession()
    session.load(good_model_file)
    assert session.predictor.backend == "litert" and not session.predictor.has_keras_model
    _NEVER_DESTROYED.append(session)
    yield session
    session.shutdown()
    # Let the ended load's queued signals (the JobSlot's `finished`) arrive while the session is alive:
    # destroying it with them pending once aborted the run ("pure virtual method called").
    qtbot.waitUntil(lambda: not session.keras_jobs.is_running())


def test_predictions_view_says_loading_tensorflow_then_shows_its_images(qtbot, litert_session):
    from hwr_desktop.ui.panels.predictions_panel import PredictionsPanel
    panel = PredictionsPanel(litert_session, count=6, seed=3)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(litert_session.kerasReady, timeout=120_000):
        panel.show()                                   # the first view that needs the network
        assert panel.summaryLabel.text() == LOADING_TENSORFLOW
        assert panel.grid.count() == 0
    assert litert_session.predictor.has_keras_model
    qtbot.waitUntil(lambda: "random test images read right" in panel.summaryLabel.text(), timeout=60_000)
    assert panel.report.n == 6 and panel.stale is False
    panel.jobs.shutdown()


def test_evaluation_view_is_busy_loading_tensorflow_then_evaluates(qtbot, litert_session):
    from hwr_desktop.ui.panels.evaluation_panel import EvaluationPanel
    panel = EvaluationPanel(litert_session)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(litert_session.kerasReady, timeout=120_000):
        panel.show()
        assert panel.progress.format() == LOADING_TENSORFLOW
        assert (panel.progress.minimum(), panel.progress.maximum()) == (0, 0)     # busy, not 0 of 10,000
        assert panel.accuracyLabel.text() == LOADING_TENSORFLOW              # a busy bar shows no text
    # kerasReady started the evaluation: a live job counting the 10,000 test images
    assert panel.jobs.is_running() and panel.progress.maximum() == 10000
    assert panel.progress.format().startswith("Evaluating")
    assert panel.accuracyLabel.text() != LOADING_TENSORFLOW
    panel.jobs.shutdown()


def test_a_second_view_asking_while_it_loads_starts_no_second_load(qtbot, litert_session):
    assert litert_session.keras_model() is None
    first = litert_session.keras_jobs.worker
    assert litert_session.keras_model() is None and litert_session.keras_jobs.worker is first
    with qtbot.waitSignal(litert_session.kerasReady, timeout=120_000):
        pass
    assert litert_session.keras_model() is litert_session.predictor.model
    assert litert_session.keras_model().count_params() > 0


APP_THEN_PREDICTIONS = r"""
import sys, threading
from importlib.abc import MetaPathFinder

class WhereTensorFlowIsImported(MetaPathFinder):
    thread = None
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" and self.thread is None:
            WhereTensorFlowIsImported.thread = threading.current_thread().name
        return None
sys.meta_path.insert(0, WhereTensorFlowIsImported())

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from hwr_desktop.app import create_main_window
window = create_main_window()
window.show()
app.processEvents()
for panel in (window.training_panel, window.runs_panel, window.dataset_panel):   # views needing no TensorFlow
    window.show_view(panel)
    app.processEvents()
print("after start", "tensorflow" in sys.modules, "keras" in sys.modules, flush=True)
session, panel = window.session, window.predictions_panel
loop = QEventLoop()
session.kerasReady.connect(loop.quit)
window.show_view(panel)
print("waiting view says", panel.summaryLabel.text(), flush=True)
loop.exec()
done = QEventLoop()
check = QTimer(interval=20)
check.timeout.connect(lambda: done.quit() if "read right" in panel.summaryLabel.text() else None)
check.start()
done.exec()
print("filled", panel.summaryLabel.text(), flush=True)
print("imported on", WhereTensorFlowIsImported.thread, "main is", threading.main_thread().name, flush=True)
for owner in (window.predictions_panel, window.session):
    owner.shutdown()
import os
os._exit(0)   # no interpreter shutdown: destroying the LiteRT interpreter after TensorFlow may abort (above)
"""


def test_the_app_imports_tensorflow_only_when_a_view_needs_it_and_off_the_gui_thread():
    # A fresh interpreter (this one has TensorFlow already); the user data and settings folders are
    # the test's own (conftest's fixtures set them in the environment it inherits).
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", APP_THEN_PREDICTIONS], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "after start False False" in lines, result.stdout
    assert f"waiting view says {LOADING_TENSORFLOW}" in lines, result.stdout
    assert any(line.startswith("filled ") and "random test images read right" in line for line in lines), result.stdout
    imported = next(line for line in lines if line.startswith("imported on "))
    assert imported != "imported on MainThread main is MainThread" and "None" not in imported, imported
