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
