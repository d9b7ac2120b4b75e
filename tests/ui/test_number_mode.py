"""Number mode in the drawing pane: a wide strip beside the digit's square, each keeping its drawing."""
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke, line


def test_number_mode_shows_a_wide_strip_that_grows_with_the_window(window, qtbot):
    panel = window.draw_panel
    window.resize(1200, 760)
    qtbot.wait(20)
    assert panel.canvas.isVisible() and not panel.numberCanvas.isVisible()
    panel.numberModeButton.click()
    qtbot.wait(20)
    strip = window.findChild(type(panel.numberCanvas), "numberCanvas")
    assert strip is panel.numberCanvas and strip.isVisible() and not panel.canvas.isVisible()
    assert panel.numberModeButton.isChecked() and panel.shown_canvas() is strip
    assert strip.width() >= 3 * strip.height()
    assert strip.image().width() >= 3 * strip.image().height()
    small = strip.width()
    window.resize(1600, 900)
    qtbot.wait(20)
    assert strip.width() > small and strip.width() >= 3 * strip.height()
    panel.numberModeButton.click()
    qtbot.wait(20)
    assert panel.canvas.isVisible() and not strip.isVisible()
    assert panel.canvas.width() == panel.canvas.height()


def test_each_mode_keeps_its_drawing_and_clear_clears_the_shown_one(window, qtbot):
    panel = window.draw_panel
    for stroke in SHAPES[7]:
        draw_stroke(panel.canvas, stroke)
    square = panel.canvas.strokes()
    panel.set_number_mode(True)
    qtbot.wait(20)
    draw_stroke(panel.numberCanvas, line(0.3, 0.2, 0.3, 0.8))     # a "1" near the left
    draw_stroke(panel.numberCanvas, line(3.5, 0.2, 3.5, 0.8))     # another near the right end
    strokes = panel.numberCanvas.strokes()
    assert len(strokes) == 2 and max(x for x, _ in strokes[1]) > 3      # x runs over the strip's width
    ink = panel.numberCanvas.to_array() < 128
    assert ink[:, : ink.shape[1] // 4].any() and ink[:, 3 * ink.shape[1] // 4:].any()
    panel.set_number_mode(False)
    qtbot.wait(20)
    assert panel.canvas.strokes() == square                             # the square kept its digit
    panel.set_number_mode(True)
    assert panel.numberCanvas.strokes() == strokes                      # and the strip its number
    panel.undoButton.click()
    assert len(panel.numberCanvas.strokes()) == 1 and panel.canvas.strokes() == square
    panel.clearButton.click()
    assert panel.numberCanvas.isEmpty() and panel.canvas.strokes() == square
    panel.set_number_mode(False)
    window.clearAction.trigger()
    assert panel.canvas.isEmpty()


def test_number_mode_is_reachable_by_keyboard_and_named(window):
    button = window.draw_panel.numberModeButton
    assert button.accessibleName() == "Number mode" and button.focusPolicy() != 0
    assert window.draw_panel.numberCanvas.accessibleName()


def _write(canvas, digits: str, left: float = 0.4, step: float = 0.8) -> None:
    """The digits' shapes (devtools/strokes.py) side by side on the strip, one pen stroke at a time."""
    for i, d in enumerate(digits):
        for stroke in SHAPES[int(d)]:
            draw_stroke(canvas, [(x + left + i * step, y) for x, y in stroke])


def test_a_number_written_on_the_strip_is_read_off_the_gui_thread(window, qtbot):
    from hwr_desktop.ui.workers.read_image import ReadImageWorker
    panel = window.draw_panel
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    for stroke in SHAPES[7]:
        draw_stroke(panel.canvas, stroke)
    digit_text = panel.prediction.predictionLabel.text()
    panel.set_number_mode(True)
    assert panel.prediction.predictionLabel.text() == "" and "Write a number" in panel.prediction.confidenceLabel.text()
    started = []
    panel.number_jobs.jobEnded.connect(lambda worker: started.append(type(worker)))
    _write(panel.numberCanvas, "1704")
    qtbot.waitUntil(lambda: panel.last_reading is not None and not panel.number_jobs.is_running(), timeout=30000)
    assert started and set(started) == {ReadImageWorker}        # every read ran as a worker, none on the GUI thread
    assert panel.last_reading.text == "1704" == panel.prediction.predictionLabel.text()
    assert "sure" in panel.prediction.confidenceLabel.text()
    boxes = [d.box for d in panel.numberCanvas.digits()]           # a box over each digit, left to right
    assert len(boxes) == 4 and all(a[2] <= b[0] + 2 for a, b in zip(boxes, boxes[1:]))
    side = panel.numberCanvas.height()
    assert all(0.3 * side < (x0 + x1) / 2 - 0.8 * side * i < 1.3 * side for i, (x0, _, x1, _) in enumerate(boxes))
    panel.numberCanvas.grab()                                       # paints the boxes and tags
    panel.set_number_mode(False)                                  # back to the square: its digit is predicted again
    assert panel.prediction.predictionLabel.text() == digit_text
    panel.set_number_mode(True)
    panel.clearButton.click()
    assert panel.last_reading is None and panel.prediction.predictionLabel.text() == ""


def test_number_mode_gives_the_strip_the_prediction_columns_room_and_gives_it_back(window, qtbot):
    panel, view = window.draw_panel, window.draw_panel.prediction
    window.resize(1200, 760)
    qtbot.wait(20)
    beside = panel.canvas.width() + view.width()          # the square and the column beside it
    panel.numberModeButton.click()
    qtbot.wait(20)
    strip = panel.numberCanvas
    # the bars, the single model input and the single digit's label row are gone; the answer stays, above
    assert not view.bars.isVisible() and not view.preview.isVisible() and not panel.sampleRow.isVisible()
    assert view.predictionLabel.isVisible()
    assert view.mapTo(panel, view.rect().bottomLeft()).y() < strip.mapTo(panel, strip.rect().topLeft()).y()
    assert strip.width() >= 0.95 * panel.canvasArea.width() and strip.width() > beside
    assert not panel.addSampleAction.isEnabled()       # Ctrl+Enter would keep the hidden square's drawing
    window.resize(1600, 900)
    qtbot.wait(20)
    assert strip.width() >= 0.95 * panel.canvasArea.width() and strip.width() >= 3.9 * strip.height()
    panel.numberModeButton.click()
    qtbot.wait(20)
    assert view.bars.isVisible() and view.preview.isVisible() and panel.sampleRow.isVisible()
    assert view.x() > panel.canvas.mapTo(panel, panel.canvas.rect().topRight()).x()   # beside the square again
    assert panel.canvas.width() == panel.canvas.height()
