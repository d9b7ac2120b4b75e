"""Regenerate resources/screenshots/not-a-digit.png: a letter A drawn on the canvas and the answer.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m hwr_desktop.devtools.screenshots_not_digit
"""
from hwr_desktop.devtools.offscreen_window import SCREENSHOTS as OUT
from hwr_desktop.devtools.offscreen_window import open_main_window
from hwr_desktop.devtools.strokes import draw_stroke, line

LETTER_A = [line(0.28, 0.8, 0.5, 0.2) + line(0.5, 0.2, 0.72, 0.8)[1:], line(0.37, 0.58, 0.63, 0.58)]


def main() -> None:
    app, window = open_main_window()
    panel = window.draw_panel
    while not window.session.ready:
        app.processEvents()
    for stroke in LETTER_A:
        draw_stroke(panel.canvas, stroke)
    panel.predict_now()
    app.processEvents()
    OUT.mkdir(parents=True, exist_ok=True)
    panel.grab().save(str(OUT / "not-a-digit.png"))
    window.close()


if __name__ == "__main__":
    main()
