"""Read Image tab: removed lines, pieces, each mark's alternatives, the number's confidence, and
correcting a '?' by hand, on a reading made by hand (and one real reading)."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QLabel, QPushButton

from hwr_desktop.core.reading.digit_reader import DigitRead, ReadResult
from hwr_desktop.ui.panels.read_image_panel import ReadImagePanel
from hwr_desktop.ui.session import ModelSession
from hwr_desktop.ui.widgets.reading_overlays import CORRECTED, PIECES
from tests.ui.test_image_reader import number_image, wait_read

WIDTH, HEIGHT = 400, 200
LINE_ROWS = (150, 154)           # image rows of the printed line the reader "removed"


def probabilities(**by_digit) -> np.ndarray:
    p = np.zeros(10, np.float32)
    for name, value in by_digit.items():
        p[int(name[1:])] = value
    return p


def hand_made_result(number_confidence=0.62, with_lines=True) -> ReadResult:
    """'4?2': the '?' was torn between 7, 1 and 4; its mark was cut into two pieces."""
    mask = np.zeros((HEIGHT // 2, WIDTH // 2), bool)   # at half the image's size, as the reader may keep it
    mask[LINE_ROWS[0] // 2:LINE_ROWS[1] // 2] = True
    digits = [DigitRead(4, 0.99, (40, 40, 100, 130), probabilities(d4=0.99, d9=0.01)),
              DigitRead(None, 0.41, (160, 40, 220, 130), probabilities(d7=0.41, d1=0.30, d4=0.12, d9=0.10),
                        "less sure than the minimum confidence 40%"),
              DigitRead(2, 0.97, (280, 40, 340, 130), probabilities(d2=0.97, d7=0.03))]
    pieces = ((40, 40, 100, 130), (160, 40, 190, 130), (190, 40, 220, 130), (280, 40, 340, 130))
    return ReadResult(digits, number_confidence, pieces, mask if with_lines else None)


@pytest.fixture
def panel(qtbot, tmp_path):
    panel = ReadImagePanel(ModelSession(), QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.open_array(np.full((HEIGHT, WIDTH), 255, np.uint8), "hand.png")   # no model: nothing is read
    panel.show_result(hand_made_result())
    return panel


def grab(view):
    shot = view.grab().toImage()
    assert shot.width() == view.width()   # one image pixel per view pixel: positions carry over
    return shot


def colour_at(shot, x, y) -> str:
    return shot.pixelColor(int(x), int(y)).name()


def test_status_shows_the_number_confidence_and_the_strip_every_marks_alternatives(panel):
    assert panel.textLabel.text() == "4?2" and panel.corrected_text == "4?2"
    assert "number 62% sure" in panel.statusLabel.text()
    assert "1 not confidently a digit" in panel.statusLabel.text()
    entries = panel.strip.entries
    assert [type(e) for e in entries] == [QLabel, QPushButton, QLabel]      # only the '?' is a button
    assert entries[1].text() == "?  (7 41% · 1 30% · 4 12%)"
    assert entries[1].toolTip().startswith("Not read: less sure than the minimum confidence 40%")
    assert entries[0].text() == "4 99% · 9 1%" and entries[2].text() == "2 97% · 7 3%"
    assert entries[1].focusPolicy() & Qt.FocusPolicy.TabFocus                 # Tab reaches it
    tip = panel.view.tooltip_at(panel.view.box_rect((160, 40, 220, 130)).center())
    assert "7 41% · 1 30% · 4 12%" in tip and "Not read: less sure than the minimum confidence 40%" in tip


def test_the_removed_lines_are_drawn_over_the_mask_and_nowhere_else(panel):
    assert panel.linesCheck.isChecked() and panel.linesCheck.isEnabled()
    with_lines = grab(panel.view)
    panel.linesCheck.setChecked(False)
    without = grab(panel.view)
    band = panel.view.box_rect((0, LINE_ROWS[0], WIDTH, LINE_ROWS[1]))
    changed = [(x, y) for x in range(0, with_lines.width(), 2) for y in range(with_lines.height())
               if with_lines.pixel(x, y) != without.pixel(x, y)]
    assert len(changed) > 0.5 * band.width() / 2 * band.height()
    assert all(band.adjusted(-2, -2, 2, 2).contains(x, y) for x, y in changed)
    c = with_lines.pixelColor(int(band.center().x()), int(band.center().y()))
    assert c.red() > 240 and c.red() > c.green() + 30 > c.blue() + 60, c.name()   # light orange on white


def test_the_lines_box_is_disabled_when_no_lines_were_removed(panel):
    panel.show_result(hand_made_result(with_lines=False))
    assert not panel.linesCheck.isEnabled()
    panel.show_result(hand_made_result())
    assert panel.linesCheck.isEnabled()


def test_pieces_are_dashed_grey_boxes_shown_only_when_asked(panel):
    cut = panel.view.box_rect((190, 40, 220, 130))   # the cut inside the '?': only piece edges are there
    rows = range(int(cut.top()) + 5, int(cut.bottom()) - 5)
    columns = range(int(cut.left()) - 3, int(cut.left()) + 4)

    def grey_rows(shot):   # per column near the cut, the rows where it is grey
        return [sum(colour_at(shot, x, y) == PIECES.name() for y in rows) for x in columns]
    assert not panel.piecesCheck.isChecked() and max(grey_rows(grab(panel.view))) == 0
    panel.piecesCheck.setChecked(True)
    counts = grey_rows(grab(panel.view))
    dashed = [c for c in counts if 0.2 * len(rows) < c < 0.9 * len(rows)]
    assert len(dashed) == 2 and max(counts) < 0.9 * len(rows), counts      # one dashed edge per piece


def menu_digits(menu) -> list:
    return [a.data() for a in menu.actions() if a.data() is not None]


def choose(menu, digit):
    next(a for a in menu.actions() if a.text() == f"&{digit}").trigger()


def test_clicking_a_question_mark_offers_its_alternatives_first_and_corrects_the_text(panel, qtbot):
    view = panel.view
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.box_rect((40, 40, 100, 130)).center().toPoint())
    assert panel.correctionMenu is None                                       # a digit read needs no help
    where = view.box_rect((160, 40, 220, 130)).center()
    assert 160 <= view.to_image(where).x() < 220 and 40 <= view.to_image(where).y() < 130
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=where.toPoint())
    menu = panel.correctionMenu
    assert menu is not None and menu.isVisible()
    assert menu_digits(menu) == [7, 1, 4, *range(10)]
    next(a for a in menu.actions() if a.data() == 1).trigger()               # the second alternative
    assert panel.corrected_text == "412" and panel.textLabel.text() == "412"
    assert panel.result.text == "4?2"                                        # the reading itself is kept
    assert "1 corrected by you" in panel.statusLabel.text() and "not confidently" not in panel.statusLabel.text()
    shot = grab(view)
    assert colour_at(shot, where.x(), view.box_rect((160, 40, 220, 130)).top()) == CORRECTED
    assert panel.strip.entries[1].text().startswith("1 you  (7 41%")

    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=where.toPoint())  # a correction can be undone
    undo = [a for a in panel.correctionMenu.actions() if a.text() == "Back to ?"]
    assert len(undo) == 1 and [a.data() for a in panel.correctionMenu.actions() if a.isChecked()] == [1]
    undo[0].trigger()
    assert panel.corrected_text == "4?2" and panel.corrections == {}


def test_the_strip_opens_the_menu_from_the_keyboard(panel, qtbot):
    button = panel.strip.entries[1]
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    menu = panel.correctionMenu
    assert menu is not None and menu.isVisible() and menu_digits(menu)[:3] == [7, 1, 4]
    qtbot.keyClick(menu, Qt.Key.Key_9)                                        # the mnemonic of "&9"
    assert panel.corrected_text == "492"


def test_a_new_reading_clears_the_corrections(panel):
    panel.open_correction_menu(1, QPoint(0, 0))
    choose(panel.correctionMenu, 7)
    assert panel.corrected_text == "472"
    panel.show_result(hand_made_result(number_confidence=0.5))
    assert panel.corrections == {} and panel.textLabel.text() == "4?2"
    assert "number 50% sure" in panel.statusLabel.text()


def test_a_real_reading_offers_the_models_alternatives_and_a_new_threshold_clears_corrections(window, qtbot, mnist,
                                                                                           tmp_path):
    path = tmp_path / "two.png"
    Image.fromarray(number_image(mnist, [0, 1])).save(path)
    panel = window.read_image_panel
    panel.confidenceSpin.setValue(1.0)                                       # nothing is that sure: '??'
    window.open_image(path)
    result = wait_read(qtbot, window)
    assert result.text == "??" and "number " in panel.statusLabel.text()
    where = panel.view.box_rect(result.digits[0].box).center().toPoint()
    qtbot.mouseClick(panel.view, Qt.MouseButton.LeftButton, pos=where)
    best = result.digits[0].alternatives[0][0]
    assert menu_digits(panel.correctionMenu)[0] == best == mnist.y_test[0]
    choose(panel.correctionMenu, best)
    assert panel.corrected_text == f"{best}?"
    panel.result = None
    panel.confidenceSpin.setValue(0.0)                                       # a new reading
    result = wait_read(qtbot, window)
    assert panel.corrections == {} and panel.textLabel.text() == result.text == f"{mnist.y_test[0]}{mnist.y_test[1]}"


def test_the_likeliest_numbers_can_be_chosen_with_a_click(panel, qtbot):
    result = hand_made_result()
    readings = (("4?2", 0.62), ("412", 0.2), ("4172", 0.1))   # the third has another digit count
    panel.show_result(ReadResult(result.digits, 0.62, result.pieces, result.lines_mask, readings=readings))
    buttons = panel.readings.buttons
    assert [b.text() for b in buttons] == ["4?2  62%", "412  20%", "4172  10%"]
    assert panel.readings.isVisible() and buttons[1].focusPolicy() & Qt.FocusPolicy.TabFocus
    assert "Reading 2: 4 1 2, 20% likely" in buttons[1].accessibleName()
    qtbot.mouseClick(panel.readings.buttons[1], Qt.MouseButton.LeftButton)
    assert panel.textLabel.text() == "412" and panel.corrections == {1: 1}      # the '?' corrected to 1
    assert panel.readings.buttons[1].isChecked() and not panel.readings.buttons[0].isChecked()
    qtbot.mouseClick(panel.readings.buttons[2], Qt.MouseButton.LeftButton)
    assert panel.textLabel.text() == "4172" and panel.corrections == {}
    panel.correct(1, 7)                                        # a digit corrected by hand: back to the marks
    assert panel.textLabel.text() == "472"


def test_a_single_reading_offers_no_choice(panel):
    assert not panel.readings.isVisible() and panel.readings.buttons == []


def test_a_question_marks_tag_shows_its_best_guess_not_a_sure_question_mark():
    from hwr_desktop.ui.widgets.reading_overlays import mark_label
    read, unsure, _ = hand_made_result().digits
    assert mark_label(unsure, None) == "7? 41%" and mark_label(read, None) == "4 99%"
    assert mark_label(unsure, 1) == "1 you"
