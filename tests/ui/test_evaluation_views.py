"""The evaluation and insight tabs: evaluation, confusion-matrix gallery, samples, history, insight, dataset."""
import csv
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from hwr_desktop.core.models.info import ModelInfo
from hwr_desktop.core.training.pipeline import TrainedModel
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke, line


@pytest.fixture(scope="module")
def cli_figures(good_model_file):
    """What `hwr-desktop evaluate --json` reports for the model the window loads (evaluated once)."""
    import io
    from contextlib import redirect_stdout

    from hwr_desktop.cli import main
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["evaluate", "--model", str(good_model_file), "--json"]) == 0
    return json.loads(out.getvalue())


def show_tab(window, name):
    panel = window.findChild(object, name)
    window.show_view(panel)
    return panel


def test_evaluation_matches_the_cli_and_cells_show_their_mistakes(window, qtbot, mnist, cli_figures):
    panel = window.findChild(object, "evaluationPanel")
    assert panel.report is None and not panel.jobs.is_running()       # lazy: nothing until it is shown
    show_tab(window, "evaluationPanel")
    qtbot.waitUntil(lambda: panel.report is not None, timeout=60000)
    report = panel.report

    # The same figures as `hwr-desktop evaluate`, in the summary, the matrix and the table.
    assert report.n == cli_figures["n"] == 10000
    assert report.accuracy == pytest.approx(cli_figures["test_accuracy"], abs=1e-6)
    assert report.loss == pytest.approx(cli_figures["test_loss"], abs=1e-5)
    text = panel.findChild(object, "accuracyLabel").text()
    assert f"Accuracy {cli_figures['test_accuracy']:.2%}" in text and f"{cli_figures['errors']:,} errors" in text
    np.testing.assert_array_equal(panel.matrix.matrix, cli_figures["confusion_matrix"])
    table = panel.findChild(object, "classTable")
    for d in range(10):
        for col, key in enumerate(("precision", "recall", "f1")):
            assert table.item(d, col).text() == f"{cli_figures[key][d]:.4f}"
        assert table.item(d, 3).text() == f"{sum(cli_figures['confusion_matrix'][d]):,}"

    # A real click on the busiest off-diagonal cell shows exactly that cell's mistakes.
    confusion = np.array(cli_figures["confusion_matrix"])
    off = confusion * (1 - np.eye(10, dtype=int))
    true, pred = (int(v) for v in np.unravel_index(off.argmax(), off.shape))
    matrix = panel.findChild(object, "confusionMatrix")
    qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(true, pred).center().toPoint())
    gallery = panel.findChild(object, "mistakesGallery")
    shown = gallery.keys()
    assert shown == report.mistakes(true, pred).tolist()
    assert len(shown) == confusion[true, pred] == len(set(shown))
    assert np.all(mnist.y_test[shown] == true)
    probs = window.session.predictor.probabilities(mnist.x_test[shown] / 255.0)
    assert np.all(probs.argmax(axis=1) == pred)                                  # every one a true -> pred error
    assert np.all(np.diff(probs.max(axis=1)) <= 1e-4)                           # most confident first
    assert all(c.startswith(f"{true} → {pred}\n") for c in gallery.captions()) and all(gallery.wrong_flags())
    assert matrix.selected == (true, pred)

    # A diagonal cell: every mistake made on that digit; a cell with no errors: an empty gallery.
    qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(true, true).center().toPoint())
    assert gallery.keys() == report.mistakes(true=true).tolist()[:200]
    empty = [(t, p) for t in range(10) for p in range(10) if t != p and confusion[t, p] == 0]
    if empty:
        qtbot.mouseClick(matrix, Qt.MouseButton.LeftButton, pos=matrix.cell_rect(*empty[0]).center().toPoint())
        assert gallery.keys() == [] and "0 images" in panel.galleryTitle.text()


def test_a_model_change_re_evaluates_lazily_and_closing_stops_the_worker(window, qtbot, good_model_file):
    panel = window.findChild(object, "evaluationPanel")
    assert window.open_model(good_model_file)            # a model change while the tab is hidden
    assert panel.stale and not panel.jobs.is_running()
    with qtbot.waitSignal(window.session.kerasReady, timeout=120000):   # the bundled model's network loads first
        show_tab(window, "evaluationPanel")
        assert panel.progress.format() == "Loading TensorFlow…" and not panel.jobs.is_running()
    assert panel.jobs.is_running() and panel.report is None
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=30000)
    worker = panel.jobs.worker
    window.close()                                       # mid-evaluation: must stop and wait, not abort
    assert not worker.isRunning()


def test_samples_show_predictions_with_wrong_ones_marked(window, qtbot, mnist):
    panel = show_tab(window, "testPredictionsPanel")
    grid = panel.findChild(object, "predictionsGrid")
    qtbot.waitUntil(lambda: grid.count() == 30, timeout=30000)
    first = grid.keys()
    predicted = window.session.predictor.probabilities(mnist.x_test[first] / 255.0).argmax(axis=1)
    assert grid.wrong_flags() == list(predicted != mnist.y_test[first])
    assert [c.split()[0] for c in grid.captions()] == [str(p) for p in predicted]
    right = int((predicted == mnist.y_test[first]).sum())
    assert panel.summaryLabel.text().startswith(f"{right} of 30")
    qtbot.mouseClick(panel.findChild(object, "newDrawButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: grid.keys() != first and grid.count() == 30, timeout=30000)
    assert len(set(grid.keys())) == 30


def test_history_shows_the_model_and_the_last_run_and_exports(window, qtbot, tmp_path):
    panel = show_tab(window, "historyPanel")
    history = window.session.info.history
    assert history and panel.history == history
    xs, ys = panel.curves["val_accuracy"].getData()
    np.testing.assert_allclose(ys, [h["val_accuracy"] for h in history])
    np.testing.assert_allclose(xs, [h["epoch"] for h in history])

    with open(panel.export_csv(tmp_path / "h.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["loss"]) for r in rows] == pytest.approx([h["loss"] for h in history])
    png = QImage(str(panel.export_png(tmp_path / "h.png")))
    assert png.width() > 200 and png.height() > 200
    assert len({png.pixel(x, y) for x in range(0, png.width(), 7) for y in range(0, png.height(), 7)}) > 5

    # The end of a training run switches the view to that run's curves.
    run = [{"epoch": 1, "loss": 0.9, "accuracy": 0.7, "val_loss": 0.5, "val_accuracy": 0.85},
           {"epoch": 2, "loss": 0.4, "accuracy": 0.9, "val_loss": 0.3, "val_accuracy": 0.93},
           {"epoch": 3, "loss": 0.3, "accuracy": 0.93, "val_loss": 0.2, "val_accuracy": 0.95}]
    window.training_panel.outcome = TrainedModel(None, None, ModelInfo(preset="quick", history=run))
    window.training_panel.trainingEnded.emit()
    assert panel.source() == "last_run" and panel.history == run
    np.testing.assert_allclose(panel.curves["loss"].getData()[1], [0.9, 0.4, 0.3])
    assert "3 epochs" in panel.findChild(object, "historyInfo").text()
    panel.sourceCombo.setCurrentIndex(panel.sourceCombo.findData("current"))
    assert panel.history == history


def test_insight_overlay_and_feature_maps_follow_the_drawing(window, qtbot):
    panel = window.findChild(object, "insidePanel").why     # the Inside tab's first view, "Why"
    canvas = window.draw_panel.canvas
    draw_stroke(canvas, SHAPES[1][0])
    assert panel.heat is None                     # hidden tab: nothing is computed
    show_tab(window, "insidePanel")
    qtbot.waitUntil(lambda: panel.heat is not None, timeout=30000)
    filters = panel.inspector.feature_count
    assert panel.heat.shape == (28, 28) and panel.heat.max() == pytest.approx(1.0) and panel.heat.min() >= 0
    assert panel.feature_maps.shape[0] == filters and panel.findChild(object, "featureMaps").count() == filters
    assert not panel.findChild(object, "saliencyImage").pixmap().isNull()
    image = window.draw_panel.last_prediction.prepared.image
    assert panel.heat[image < 0.01].max() < 0.5  # the saliency sits on the strokes
    heat_1, maps_1 = panel.heat.copy(), panel.feature_maps.copy()

    draw_stroke(canvas, line(0.3, 0.35, 0.7, 0.35))  # a cross-bar: new input, new pictures
    qtbot.waitUntil(lambda: not np.array_equal(panel.heat, heat_1), timeout=5000)
    assert not np.allclose(panel.feature_maps, maps_1)
    assert f"Why <b>{window.draw_panel.last_prediction.digit}</b>" in panel.captionLabel.text()

    panel.findChild(object, "overlayMethod").setCurrentIndex(1)     # Grad-CAM
    assert panel.method() == "gradcam" and "Grad-CAM" in panel.captionLabel.text()
    assert panel.heat.shape == (28, 28) and 0 <= panel.heat.min() and panel.heat.max() <= 1

    window.clearAction.trigger()
    qtbot.waitUntil(lambda: panel.heat is None, timeout=5000)
    assert panel.findChild(object, "featureMaps").count() == 0

    # A model without convolutions: a clear message instead of pictures.
    import keras
    dense = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    window.session.use_trained(dense, {"preset": "dense"})
    draw_stroke(canvas, SHAPES[7][0])
    qtbot.waitUntil(lambda: "no convolution layer" in panel.captionLabel.text(), timeout=10000)
    assert panel.heat is None and panel.findChild(object, "featureMaps").count() == 0


def test_dataset_browser_filters_by_digit_and_pages(window, qtbot, mnist):
    browser = show_tab(window, "datasetPanel")
    qtbot.waitUntil(lambda: browser.data is not None, timeout=30000)
    assert browser.shown_indices() == list(range(64))
    digit_filter = browser.findChild(object, "digitFilter")
    digit_filter.setCurrentIndex(digit_filter.findData(3))
    threes = np.flatnonzero(mnist.y_test == 3)
    assert browser.shown_indices() == threes[:64].tolist()
    page_label = browser.findChild(object, "pageLabel")
    pages = -(-len(threes) // 64)
    assert f"Page 1 of {pages}" in page_label.text() and f"{len(threes):,} images of 3" in page_label.text()
    prev_button, next_button = browser.findChild(object, "prevPageButton"), browser.findChild(object, "nextPageButton")
    assert not prev_button.isEnabled()
    qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
    assert browser.shown_indices() == threes[64:128].tolist() and f"Page 2 of {pages}" in page_label.text()
    browser.show_page(pages - 1)
    assert browser.shown_indices() == threes[(pages - 1) * 64:].tolist() and not next_button.isEnabled()

    browser.findChild(object, "splitCombo").setCurrentIndex(browser.splitCombo.findData("train"))
    shown = browser.shown_indices()
    assert len(shown) == 64 and np.all(mnist.y_train[shown] == 3) and browser.page == 0
    digit_filter.setCurrentIndex(0)
    assert len(browser.matches) == len(mnist.y_train)
