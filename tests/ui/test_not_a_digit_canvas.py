"""The canvas says "not a digit" for a dot, a dash, a letter and two digits side by side; a 3 stays a 3."""
import pytest

from hwr_desktop.devtools.strokes import SHAPES, draw_stroke, line


def _squeezed(digit: int, left: float, width: float):
    """A digit's strokes squeezed into [left, left + width] of the square, at full height."""
    return [[(left + (x - 0.25) * width / 0.5, y) for x, y in stroke] for stroke in SHAPES[digit]]


NON_DIGITS = {
    "dot": [[(0.5, 0.5), (0.506, 0.504)]],
    "dash": [line(0.25, 0.5, 0.75, 0.53)],
    "letter A": [line(0.28, 0.8, 0.5, 0.2) + line(0.5, 0.2, 0.72, 0.8)[1:], line(0.37, 0.58, 0.63, 0.58)],
    "two digits": _squeezed(4, 0.04, 0.42) + _squeezed(7, 0.52, 0.42),
}


@pytest.mark.parametrize("name", list(NON_DIGITS))
def test_a_non_digit_on_the_canvas_is_called_not_a_digit(window, qtbot, name):
    panel = window.draw_panel
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    for stroke in NON_DIGITS[name]:
        draw_stroke(panel.canvas, stroke)
    panel.predict_now()
    view = panel.prediction
    assert "not a digit" in view.predictionLabel.text(), (name, view.confidenceLabel.text())
    assert "sure" in view.confidenceLabel.text() and "the digits alone: " in view.confidenceLabel.text()
    assert panel.last_prediction.digit is None and panel.last_prediction.not_digit >= 0.5


def test_a_three_is_still_a_three(window, qtbot):
    panel = window.draw_panel
    qtbot.waitUntil(lambda: window.session.ready, timeout=20000)
    for stroke in SHAPES[3]:
        draw_stroke(panel.canvas, stroke)
    panel.predict_now()
    assert panel.prediction.predictionLabel.text() == "3"
    assert panel.last_prediction.not_digit < 0.5
