"""Dark mode: our painted widgets follow a dark application palette (set here, restored after
each test), while the image the model reads stays black ink on white in every palette."""
import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from hwr_desktop.devtools.palettes import dark_palette
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke
from hwr_desktop.ui.widgets import theme
from hwr_desktop.ui.widgets.canvas import DrawingCanvas
from hwr_desktop.ui.widgets.confusion_matrix import ConfusionMatrixView
from hwr_desktop.ui.widgets.image_grid import ImageGrid, Tile
from hwr_desktop.ui.widgets.prediction_view import PredictionView


@pytest.fixture
def dark(qapp):
    """Switch the application to a dark palette; the light one comes back whatever the test does."""
    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    yield
    QApplication.setPalette(light)
    QApplication.processEvents()


def lightness(image, x, y) -> int:
    return QColor(image.pixel(x, y)).lightness()


def drawn_canvas(qtbot) -> DrawingCanvas:
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    for stroke in SHAPES[4]:
        draw_stroke(canvas, stroke)
    return canvas


def test_the_theme_tells_dark_from_light(qapp, dark):
    assert theme.is_dark(QApplication.palette())
    light = QApplication.style().standardPalette()
    assert not theme.is_dark(light)
    assert theme.bad_colour(QApplication.palette()).lightness() > theme.bad_colour(light).lightness()


def test_dark_canvas_shows_light_ink_on_a_dark_page_and_the_model_reads_the_same(qtbot):
    light_array = drawn_canvas(qtbot).to_array()
    light = QApplication.palette()
    QApplication.setPalette(dark_palette())
    try:
        canvas = drawn_canvas(qtbot)
        shown = canvas.grab().toImage()
        array = canvas.to_array()
    finally:
        QApplication.setPalette(light)
    assert np.array_equal(array, light_array)                  # the model sees exactly the same image
    assert array[5, 5] == 255 and array.min() == 0             # black ink on white
    assert lightness(shown, 5, 5) < 60                         # the page on screen is dark
    ink = np.argwhere(array == 0)[len(np.argwhere(array == 0)) // 2]
    assert lightness(shown, int(ink[1]), int(ink[0])) > 200    # and the ink light


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_a_finished_stroke_leaves_the_pixels_of_painting_every_stroke_again(qtbot, palette):
    """A pen lift paints only its stroke onto the finished ones (the screen's image too, separate in
    the dark palette); the pixels are those of a full repaint. Undo gives back the image before."""
    from PySide6.QtGui import QImage

    from hwr_desktop.ui.widgets.canvas import NumberCanvas
    light = QApplication.palette()
    if palette == "dark":
        QApplication.setPalette(dark_palette())
    try:
        canvas = NumberCanvas()
        qtbot.addWidget(canvas)
        canvas.resize(800, 200)
        canvas.show()
        qtbot.waitExposed(canvas)
        assert (canvas.displayImage() is canvas.image()) == (palette == "light")
        before = None
        for i, d in enumerate((1, 7, 0, 4)):
            if d == 4:
                before = canvas.to_array()
            for stroke in SHAPES[d]:
                draw_stroke(canvas, [(x + 0.2 + 0.8 * i, y) for x, y in stroke])
        model, screen = QImage(canvas.image()), QImage(canvas.displayImage())
        canvas._render()                                   # every stroke painted again
        assert canvas.image() == model and canvas.displayImage() == screen
        canvas.undo()
        canvas.undo()                                      # the 4 was two strokes
        assert np.array_equal(canvas.to_array(), before)
    finally:
        QApplication.setPalette(light)


def test_canvas_follows_a_palette_switch_at_run_time(qtbot, dark):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    assert lightness(canvas.grab().toImage(), 20, 20) < 60
    canvas.setPalette(QApplication.style().standardPalette())   # back to light, on this widget
    assert lightness(canvas.grab().toImage(), 20, 20) > 200
    assert canvas.to_array()[20, 20] == 255


def test_confusion_matrix_paints_on_the_dark_base(qtbot, dark):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.resize(420, 420)
    matrix = np.diag([980, 1130, 1020, 1000, 980, 890, 950, 1020, 970, 1000])
    matrix[4, 9] = 12
    view.set_matrix(matrix)
    image = view.grab().toImage()
    empty = view.cell_rect(0, 5).center()
    assert lightness(image, int(empty.x()), int(empty.y())) < 60          # an empty cell: the dark base
    wrong = view.cell_rect(4, 9)
    colours = {QColor(image.pixel(int(wrong.x()) + x, int(wrong.center().y()))).rgb() for x in range(2, int(wrong.width()) - 2)}
    assert any(QColor(c).lightness() > 200 for c in colours)             # its count is light text
    cell = QColor(image.pixel(int(wrong.x()) + 3, int(wrong.y()) + 3))
    assert cell.red() > cell.green() + 40 and cell.lightness() < 128      # on a red cell dark enough for it


def test_prediction_view_bars_and_text_follow_the_dark_palette(qtbot, dark):
    view = PredictionView()
    qtbot.addWidget(view)
    view.resize(260, 520)
    bars = view.bars
    bars.setProbabilities(np.eye(10)[3] * 0.9 + 0.01)
    image = bars.grab().toImage()
    assert lightness(image, bars.width() - 2, 2) < 80                     # the window behind is dark
    track = QColor(image.pixel(bars.width() // 2, int(bars.height() * 0.05)))
    assert track.lightness() < 100                                        # tracks are not white
    text = QColor(view.confidenceLabel.palette().color(view.confidenceLabel.foregroundRole()))
    assert text.lightness() > 200


def test_wrong_tiles_take_a_red_that_reads_on_the_dark_base(qtbot, dark):
    grid = ImageGrid()
    qtbot.addWidget(grid)
    grid.set_tiles([Tile(np.zeros((28, 28)), "4 → 9", key=1, wrong=True)])
    assert grid.item(0).foreground().color() == theme.bad_colour(dark_palette())
    grid.setPalette(QApplication.style().standardPalette())               # switched back to light
    assert grid.item(0).foreground().color() == theme.bad_colour(QApplication.style().standardPalette())
    assert grid.keys() == [1]


def test_history_plots_follow_a_palette_switch(window, dark):
    QApplication.processEvents()
    background = window.history_panel.plot.backgroundBrush().color()
    axis_text = window.history_panel.loss_plot.getAxis("left").textPen().color()
    assert background.lightness() < 60 and axis_text.lightness() > 200


def test_the_training_plot_follows_a_palette_switch(qtbot, dark):
    from hwr_desktop.ui.widgets.training_plot import TrainingPlot
    plot = TrainingPlot()
    qtbot.addWidget(plot)
    QApplication.processEvents()
    assert plot.backgroundBrush().color().lightness() < 60
    assert plot.loss_plot.getAxis("left").textPen().color().lightness() > 200
    assert plot.hint.palette().color(plot.hint.backgroundRole()).lightness() < 60   # the hint covers it dark too
    dark_train = plot.curves["batch_loss"].opts["pen"].color()
    assert dark_train == theme.train_colour(dark_palette())
    QApplication.setPalette(QApplication.style().standardPalette())                 # back to light while shown
    QApplication.processEvents()
    assert plot.backgroundBrush().color().lightness() > 200
    assert plot.curves["batch_loss"].opts["pen"].color() != dark_train
