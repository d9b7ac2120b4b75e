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
    side = panel.numberCanvas.height()
    # a box over each digit, left to right, where it was written on the screen
    boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in panel.numberCanvas.digitRects()]
    k = side / panel._read_side
    assert len(boxes) == 4 and all(a[2] <= b[0] + 2 * k for a, b in zip(boxes, boxes[1:]))
    assert all(0.3 * side < (x0 + x1) / 2 - 0.8 * side * i < 1.3 * side for i, (x0, _, x1, _) in enumerate(boxes))
    panel.numberCanvas.grab()                                       # paints the boxes and tags
    panel.set_number_mode(False)                                  # back to the square: its digit is predicted again
    assert panel.prediction.predictionLabel.text() == digit_text
    panel.set_number_mode(True)
    panel.clearButton.click()
    assert panel.last_reading is None and panel.prediction.predictionLabel.text() == ""


def test_the_strips_reads_remember_their_crops_and_forget_them_with_the_model(window, qtbot):
    from hwr_desktop.core.reading.number_reader import bundled_reader, read_number
    panel = window.draw_panel
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    panel.set_number_mode(True)
    for i, digit in enumerate("1704"):       # a digit at a time, each read to its end before the next
        _write(panel.numberCanvas, digit, left=0.4 + 0.8 * i)
        qtbot.waitUntil(lambda: panel.last_reading is not None and not panel.number_jobs.is_running(), timeout=30000)
    memo = panel.number_memo
    # each read after the first found the digits written before it in the memo
    assert memo.hits >= 1 + 2 + 3 and len(memo) > 0
    alone = read_number(window.session.predictor, panel.numberCanvas.reading_array(), bundled_reader())
    assert panel.last_reading.text == alone.text == "1704" and panel.last_reading.confidence == alone.confidence
    window.session.modelChanged.emit()            # another model: what the old one said is forgotten
    assert len(memo) == 0


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


def _read(panel, qtbot, digits: str) -> None:
    qtbot.waitUntil(lambda: panel.window().session.ready, timeout=20000)
    panel.set_number_mode(True)
    _write(panel.numberCanvas, digits)
    qtbot.waitUntil(lambda: panel.last_reading is not None and not panel.number_jobs.is_running(), timeout=30000)
    assert panel.last_reading.text == digits


def test_under_the_strip_each_digit_is_shown_as_the_network_saw_it(window, qtbot):
    from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
    panel = window.draw_panel
    _read(panel, qtbot, "203")
    row = panel.digitImages
    assert row.isVisible() and [b.objectName() for b in row.buttons] == ["digitImage0", "digitImage1", "digitImage2"]
    images = [d.image for d in panel.last_reading.digits]
    # the images are the reader's own inputs: the digit model reads them as the digits read
    predicted = window.session.predictor.probabilities(__import__("numpy").stack(images)).argmax(axis=1)
    assert "".join(str(k) for k in predicted) == "203"
    for button, image in zip(row.buttons, images):
        assert button.icon().pixmap(56).toImage() == gray_pixmap(image, 56).toImage()
    boxes = panel.numberCanvas.digitRects()              # left to right, like the boxes on the strip
    assert [b.mapTo(panel, b.rect().center()).x() for b in row.buttons] == sorted(
        b.mapTo(panel, b.rect().center()).x() for b in row.buttons) and len(boxes) == 3
    panel.clearButton.click()
    assert row.buttons == []


def test_clicking_a_box_lists_its_alternatives_and_a_correction_is_kept_as_a_labelled_sample(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    panel = window.draw_panel
    _read(panel, qtbot, "1704")
    strokes = panel.numberCanvas.strokes()
    box = panel.numberCanvas.digitRects()[1]
    QTest.mouseClick(panel.numberCanvas, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert panel.numberCanvas.strokes() == strokes                   # a click on a box is not ink
    menu = panel.digitMenu
    qtbot.waitUntil(menu.isVisible)
    choices = [a.data() for a in menu.actions() if not a.isSeparator()]
    read = panel.last_reading.digits[1]
    assert choices[: len(read.alternatives)] == [k for k, _ in read.alternatives] and choices[0] == 7
    next(a for a in menu.actions() if a.isCheckable() and a.data() == 1).trigger()      # "Any digit": 1
    assert panel.number_text == "1104" == panel.prediction.predictionLabel.text()
    assert panel.numberCanvas._corrections == {1: 1} and panel.digitImages.buttons[1].text() == "1 you"
    before = window.personal.counts()[1]
    panel.digitImages.buttons[1].click()                            # the image opens the same menu
    keep = next(a for a in panel.digitMenu.actions() if a.data() == -2)
    assert keep.isEnabled() and "(1)" in keep.text()
    keep.trigger()
    assert window.personal.counts()[1] == before + 1               # kept under the corrected label
    from hwr_desktop.core.store.samples import to_uint8_image
    newest = max(window.personal.samples(1), key=lambda s: s.id)
    assert (newest.image28 == to_uint8_image(read.image)).all() and newest.has_original   # the reader's 28x28


def test_a_loop_that_ends_where_it_began_on_a_box_is_ink_not_a_click(window, qtbot):
    """An 8 written as two loops: the lower one begins and ends on the box the upper one was read
    in. Its press and release are one point, yet the pen went round: a stroke, not a click."""
    from hwr_desktop.devtools.strokes import ellipse
    panel = window.draw_panel
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    panel.set_number_mode(True)
    strip = panel.numberCanvas
    clicked = []
    strip.digitClicked.connect(lambda index, _where: clicked.append(index))
    draw_stroke(strip, ellipse(0.9, 0.33, 0.13, 0.15))
    qtbot.waitUntil(lambda: bool(strip.digitRects()) and not panel.number_jobs.is_running(), timeout=30000)
    lower = ellipse(0.9, 0.65, 0.16, 0.17)
    side = strip.height()
    assert strip.digitRects()[0].adjusted(-4, -4, 4, 4).contains(lower[0][0] * side, lower[0][1] * side)
    draw_stroke(strip, lower)
    assert len(strip.strokes()) == 2 and clicked == [] and panel.digitMenu is None
    qtbot.waitUntil(lambda: bool(strip.digitRects()) and not panel.number_jobs.is_running(), timeout=30000)
    assert panel.prediction.predictionLabel.text() == "8"


def test_digits_are_reached_by_tab_named_and_corrected_by_keyboard(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    panel = window.draw_panel
    _read(panel, qtbot, "473")
    buttons = panel.digitImages.buttons
    assert buttons[0].accessibleName().startswith("Digit 1: 4 ") and "likeliest 4 " in buttons[0].accessibleName()
    # The walk starts on the strip. (Once in three fresh-clone CI runs no digit was reached: the
    # buttons were shown by the layout from the event loop, after the read's end; now they are shown
    # at once, see the test below.)
    window.activateWindow()
    panel.numberCanvas.setFocus()
    qtbot.waitUntil(lambda: window.focusWidget() is panel.numberCanvas)
    reached = []
    for _ in range(12):                                   # Tab from the strip walks its digits, left to right
        QTest.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        reached.append(window.focusWidget())
    assert [w for w in reached if w in buttons] == buttons
    from tests.ui.test_accessibility import reachable, spoken_name, visible_controls
    controls = [w for w in visible_controls(window) if panel.isAncestorOf(w)]
    assert set(buttons) <= set(controls) and panel.numberModeButton in controls
    assert all(reachable(w) and spoken_name(w) for w in controls)      # like the rest of the app
    buttons[2].setFocus()
    QTest.keyClick(buttons[2], Qt.Key.Key_Space)          # Space opens the digit's menu
    qtbot.waitUntil(lambda: panel.digitMenu is not None and panel.digitMenu.isVisible())
    QTest.keyClick(panel.digitMenu, Qt.Key.Key_8)         # a digit key picks that digit
    qtbot.waitUntil(lambda: panel.number_text == "478")
    assert panel.prediction.predictionLabel.text() == "478"
    assert panel.digitImages.buttons[2].accessibleName().startswith("Digit 3: 8 you")
    # the row keeps its buttons: the keyboard stays on the digit just corrected, to go on from there
    qtbot.waitUntil(lambda: not panel.digitMenu.isVisible())
    assert panel.digitImages.buttons == buttons and window.focusWidget() is buttons[2]


def test_the_digits_images_are_shown_as_soon_as_the_reading_is(window, qtbot):
    """Not from the event loop later, as a layout shows a new child: until then Tab skipped them."""
    panel = window.draw_panel
    _read(panel, qtbot, "473")
    panel.digitImages.show_digits(panel.last_reading.digits, {})       # no event is processed after it
    buttons = panel.digitImages.buttons
    assert len(buttons) == 3 and all(b.isVisible() for b in buttons)
    panel.numberCanvas.setFocus()
    reached = []
    for _ in buttons:
        panel.numberCanvas.window().focusWidget().focusNextChild()
        reached.append(panel.numberCanvas.window().focusWidget())
    assert reached == buttons, [w.objectName() for w in reached]


def test_the_strip_is_read_on_blank_paper_and_its_paper_is_not_estimated(window, qtbot, monkeypatch):
    """The strip is black ink on white: the reader is told so, and models no paper (a third of a read)."""
    from hwr_desktop.core.data.preprocess import blank_paper
    from hwr_desktop.core.segmentation import marks
    told = []
    find_marks = marks.find_marks
    monkeypatch.setattr(marks, "find_marks", lambda image, paper=None: told.append(paper) or find_marks(image, paper))
    _read(window.draw_panel, qtbot, "70")
    assert told and all(paper == blank_paper() for paper in told)


def test_the_row_of_digit_images_keeps_its_buttons_and_grows_or_shrinks_with_the_reading(window, qtbot):
    from hwr_desktop.ui.widgets.prediction_view import gray_pixmap
    panel = window.draw_panel
    _read(panel, qtbot, "1704")
    row, digits = panel.digitImages, panel.last_reading.digits
    first = list(row.buttons)
    row.show_digits(digits[2:], {0: 9})                      # fewer digits: the first buttons, refilled
    assert row.buttons == first[:2] and not first[2].isVisible() and not first[3].isVisible()
    assert [b.text().split()[0] for b in row.buttons] == ["9", "4"]
    assert row.buttons[0].accessibleName().startswith("Digit 1: 9 you")
    assert row.buttons[1].icon().pixmap(56).toImage() == gray_pixmap(digits[3].image, 56).toImage()
    row.show_digits(digits, {})                              # more: new buttons after the kept ones
    assert row.buttons[:2] == first[:2] and len(row.buttons) == 4 and all(b.isVisible() for b in row.buttons)
    assert [b.objectName() for b in row.buttons] == [f"digitImage{i}" for i in range(4)]
    assert [b.text().split()[0] for b in row.buttons] == list("1704")
    clicked = []
    row.digitClicked.connect(lambda index, _where: clicked.append(index))
    row.buttons[3].click()
    row.buttons[0].click()
    assert clicked == [3, 0]


def test_a_tall_strip_is_read_at_the_reading_height_and_its_boxes_land_on_the_screens_digits(window, qtbot):
    """A full-HD window's strip is taller than the reader needs: it is read shrunk, the boxes scaled back."""
    panel = window.draw_panel
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    panel.set_number_mode(True)
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: panel.numberCanvas.height() > 1.2 * panel.numberCanvas.READ_HEIGHT)
    side = panel.numberCanvas.height()
    _write(panel.numberCanvas, "1704")
    qtbot.waitUntil(lambda: panel.last_reading is not None and not panel.number_jobs.is_running(), timeout=30000)
    image = panel.numberCanvas.reading_array()
    assert image.shape == (panel.numberCanvas.READ_HEIGHT, round(panel.numberCanvas.width() * image.shape[0] / side)) \
        and panel._read_side == image.shape[0]
    assert panel.last_reading.text == "1704"
    rects = panel.numberCanvas.digitRects()       # each box over its digit (digit i at 0.9 + 0.8 i sides)
    assert [round(((r.left() + r.right()) / 2 / side - 0.9) / 0.8) for r in rects] == [0, 1, 2, 3]
    assert all(0.1 * side < r.top() and r.bottom() < 0.95 * side and r.height() > 0.4 * side for r in rects)


def test_a_read_stopped_by_a_newer_stroke_reports_neither_a_result_nor_a_failure(window, qtbot):
    from hwr_desktop.core.reading.number_reader import bundled_reader
    from hwr_desktop.ui.workers.read_image import ReadImageWorker
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    bundled_reader()
    panel = window.draw_panel
    panel.set_number_mode(True)
    _write(panel.numberCanvas, "17")
    qtbot.waitUntil(lambda: not panel.number_jobs.is_running(), timeout=30000)
    worker = ReadImageWorker(window.session.predictor, panel.numberCanvas.reading_array(), 0.4)
    results, failures = [], []
    worker.resultReady.connect(results.append)
    worker.failed.connect(failures.append)
    worker.request_stop()                  # as JobSlot does when a newer stroke asks for a read
    worker.run()                           # on this thread: the read ends at its first step
    assert results == [] and failures == []
    fresh = ReadImageWorker(window.session.predictor, panel.numberCanvas.reading_array(), 0.4)
    fresh.resultReady.connect(results.append)
    fresh.run()
    assert [r.text for r in results] == ["17"]
