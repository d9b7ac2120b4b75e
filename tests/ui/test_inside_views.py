"""The Inside tab's views of the network: every layer live, one unit worked out, what a filter looks
for, and the digit map, on the bundled model with a drawn digit (the numbers checked against core)."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from hwr_desktop.core.inside.layer_activations import MAPS, OUTPUT
from hwr_desktop.core.inside.receptive_field import receptive_field
from hwr_desktop.devtools.strokes import SHAPES, draw_stroke, line
from hwr_desktop.ui.widgets.layer_row import UnitRequest, shape_text


def open_view(window, qtbot, name):
    inside = window.inside_panel
    window.show_view(inside)
    view = getattr(inside, name)
    inside.views.setCurrentWidget(view)
    return inside, view


def draw(window, digit=3):
    for stroke in SHAPES[digit]:
        draw_stroke(window.draw_panel.canvas, stroke)


@pytest.fixture
def layers(window, qtbot):
    """The Every layer view showing a drawn 3 (rows made)."""
    draw(window)
    inside, view = open_view(window, qtbot, "layers")
    qtbot.waitUntil(lambda: len(view.rows) > 0, timeout=30000)
    return inside, view


def test_every_layer_has_a_row_with_its_name_type_and_shape(window, qtbot):
    draw(window)
    view = window.inside_panel.layers
    assert window.inside_panel.source.image is not None      # the drawing reached the Inside tab...
    assert view.updates == 0 and not view.rows and not view._timer.isActive()   # ...hidden: nothing computed or scheduled
    inside, view = open_view(window, qtbot, "layers")
    qtbot.waitUntil(lambda: len(view.rows) > 0, timeout=30000)
    model = window.session.model
    assert len(view.rows) == len(model.layers) == 21
    for row, layer in zip(view.rows, model.layers):
        text = row.titleLabel.text()
        assert layer.name in text and type(layer).__name__ in text
        assert f"output {shape_text(layer.output.shape[1:])}" in text
    first = view.rows[0]
    assert first.kind == MAPS and first.countLabel.text() == "16 of 32 maps, most active first"
    assert first.shown_units() == list(first.activation.order[:16])
    activity = first.activation.activity[first.shown_units()]
    assert np.all(np.diff(activity) <= 0)               # most active first
    qtbot.mouseClick(first.moreButton, Qt.MouseButton.LeftButton)
    assert len(first.shown_units()) == 32 and first.countLabel.text() == "all 32 maps, most active first"
    assert not first.moreButton.isEnabled() and first.lessButton.isEnabled()
    vector = view.rows[18]                              # flatten: 1,152 units
    assert vector.kind == "vector" and vector.countLabel.text() == "32 of 1152 units, most active first"
    out = view.rows[-1]
    assert out.kind == OUTPUT and out.body.labels == [str(d) for d in range(10)]
    np.testing.assert_allclose(out.body.values, window.draw_panel.last_prediction.probabilities, atol=1e-4)
    assert int(out.body.values.argmax()) == 3 == window.draw_panel.last_prediction.digit


def test_rows_follow_the_drawing(window, qtbot, layers):
    inside, view = layers
    before = view.rows[0].activation.values.copy()
    draw_stroke(window.draw_panel.canvas, line(0.2, 0.5, 0.8, 0.5))
    qtbot.waitUntil(lambda: not np.array_equal(view.rows[0].activation.values, before), timeout=5000)
    np.testing.assert_allclose(view.rows[-1].body.values, window.draw_panel.last_prediction.probabilities, atol=1e-4)


def test_clicking_a_map_position_works_that_unit_out(window, qtbot, layers):
    inside, view = layers
    row = view.rows[0]                                  # conv2d_5, the first convolution
    channel = int(row.activation.order[0])
    y, x = np.unravel_index(int(row.activation.values[..., channel].argmax()), row.activation.values.shape[:2])
    qtbot.mouseClick(row.body, Qt.MouseButton.LeftButton, pos=row.body.point_of(channel, int(y), int(x)))
    unit = inside.unit
    assert inside.views.currentWidget() is unit
    a = unit.arithmetic
    assert (a.layer_index, a.channel, a.y, a.x) == (0, channel, y, x)
    keras_value = float(row.activation.values[y, x, channel])
    assert a.framework == pytest.approx(keras_value, abs=1e-6) and a.value == pytest.approx(keras_value, abs=1e-4)
    assert f"Keras computes: <b>{keras_value:.6f}</b>" in unit.sumLabel.text()
    box = receptive_field(window.session.model, 0, int(y), int(x))
    assert unit.box == box == unit.inputView.box and (box.height, box.width) == (3, 3)
    assert f"rows {box.clipped().top}–" in unit.boxLabel.text()
    assert unit.kernelGrid.values.shape == (3, 3)
    np.testing.assert_allclose(unit.patchGrid.values, a.patch[..., 0])


def test_a_deeper_unit_steps_through_its_input_channels_and_its_batch_norm(window, qtbot, layers):
    inside, view = layers
    row = view.rows[4]                                  # batch_normalization_6, after conv2d_6
    channel = int(row.activation.order[0])
    qtbot.mouseClick(row.body, Qt.MouseButton.LeftButton, pos=row.body.point_of(channel, 12, 14))
    unit = inside.unit
    a = unit.arithmetic
    assert a.layer_index == 3 and a.layer_name in unit.titleLabel.text()   # the convolution before it
    assert [s.type for s in a.then] == ["BatchNormalization", "ReLU"]
    assert a.then[0].framework == pytest.approx(float(row.activation.values[12, 14, channel]), abs=1e-6)
    assert abs(a.then[0].value - a.then[0].framework) < 1e-4
    per_channel = a.products.sum(axis=(0, 1))
    assert unit.channelSpin.maximum() == 32
    sums = []
    for rank in range(1, 33):
        unit.channelSpin.setValue(rank)
        sums.append(unit.productGrid.values.sum())
    assert np.all(np.diff(np.abs(sums)) <= 1e-12)       # largest contribution first
    assert sum(sums) == pytest.approx(a.products_sum, abs=1e-9) == pytest.approx(per_channel.sum(), abs=1e-9)
    assert f"{a.products_sum:.6f}" in unit.sumLabel.text()


def test_a_dense_bar_shows_its_strongest_inputs(window, qtbot, layers):
    inside, view = layers
    out = view.rows[-1]
    qtbot.mouseClick(out.body, Qt.MouseButton.LeftButton, pos=QPoint(int(out.body.bar_centre(3)), out.body.height() // 2))
    unit = inside.unit
    a = unit.arithmetic
    assert (a.layer_index, a.unit) == (20, 3)
    logit = float(window.inside_panel.source.activations()[-1].values[3])
    assert a.framework == pytest.approx(logit, abs=1e-6) and abs(a.value - logit) < 1e-4
    table = unit.strongestTable
    assert table.isVisibleTo(unit) and table.rowCount() == len(a.strongest) == 10
    assert table.item(0, 4).text() == f"{a.strongest[0].product:.4f}"
    assert table.item(0, 1).text() == ", ".join(map(str, a.strongest[0].position))   # a flattened map position
    products = [abs(c.product) for c in a.strongest]
    assert products == sorted(products, reverse=True)


def test_a_pooling_unit_shows_its_value_and_window(window, qtbot, layers):
    inside, view = layers
    row = view.rows[6]                                  # max_pooling2d_3: 14x14
    channel = int(row.activation.order[0])
    qtbot.mouseClick(row.body, Qt.MouseButton.LeftButton, pos=row.body.point_of(channel, 5, 6))
    unit = inside.unit
    assert unit.arithmetic is None and "no weights" in unit.sumLabel.text()
    assert unit.box == receptive_field(window.session.model, 6, 5, 6)
    assert f"{float(row.activation.values[5, 6, channel]):.6f}" in unit.sumLabel.text()


def test_filters_view_finds_the_nine_patches_and_draws_the_kernels(window, qtbot):
    inside, view = open_view(window, qtbot, "filters")
    qtbot.waitUntil(lambda: view.search is not None, timeout=60000)
    assert view.patchGrid.count() == 9 and view.kernelsGrid.count() == 32
    values = [p.value for p in view.search.patches]
    assert values == sorted(values, reverse=True) and view.search.searched == 10000
    assert view.patchGrid.captions()[0].startswith(f"{values[0]:.3f}")
    view.kernelsGrid.tileClicked.emit(5)                # a kernel chooses its channel
    assert view.channelSpin.value() == 5 and view.search is None
    qtbot.waitUntil(lambda: view.search is not None, timeout=60000)
    assert view.search.channel == 5 and view.patchGrid.count() == 9
    assert not view.stopButton.isEnabled()


def test_digit_map_has_2000_points_and_the_drawing_moves_on_it(window, qtbot):
    draw(window)
    inside, view = open_view(window, qtbot, "digit_map")
    qtbot.waitUntil(lambda: view.mapped is not None, timeout=60000)
    found = view.mapped.digit_map
    assert len(view.plot.points) == 2000 and len(view.plot.mistakes.data) == int(found.mistakes.sum()) > 0
    assert sum(len(item.data) for item in view.plot.digits) == 2000
    qtbot.waitUntil(lambda: view.plot.marker_position is not None, timeout=5000)
    first = view.plot.marker_position.copy()
    draw_stroke(window.draw_panel.canvas, line(0.2, 0.3, 0.8, 0.7))
    qtbot.waitUntil(lambda: not np.allclose(view.plot.marker_position, first), timeout=5000)
    features = window.inside_panel.source.activations()[found.layer_index].values
    np.testing.assert_allclose(view.plot.marker_position, found.place(features), atol=1e-5)
    row = 123
    view.show_nearest(*found.points[row])
    assert view.hovered_row == row and f"Test #{int(found.image_indices[row])}" in view.hoverLabel.text()
    window.clearAction.trigger()
    qtbot.waitUntil(lambda: view.plot.marker_position is None, timeout=5000)


def test_an_ensemble_offers_its_members(window, qtbot):
    from hwr_desktop.resources import ensemble_model_path
    draw(window)
    inside, view = open_view(window, qtbot, "layers")
    qtbot.waitUntil(lambda: len(view.rows) > 0, timeout=30000)
    assert not inside.networkCombo.isVisibleTo(inside)
    window.session.load(ensemble_model_path())
    window.draw_panel.predict_now()
    qtbot.waitUntil(lambda: inside.networkCombo.count() == 6, timeout=30000)
    assert inside.networkCombo.isVisibleTo(inside) and "deskew" in inside.networkCombo.itemText(3)
    qtbot.waitUntil(lambda: len(view.rows) > 0, timeout=30000)
    inside.networkCombo.setCurrentIndex(3)
    qtbot.waitUntil(lambda: bool(view.rows) and view.rows[0].activation.type == "Deskew", timeout=30000)
    assert len(view.rows) == len(inside.source.network.model.layers)


def test_every_inside_view_is_reachable_and_named(window, qtbot, layers):
    from PySide6.QtWidgets import QHeaderView

    from tests.ui.test_accessibility import describe, reachable, spoken_name, visible_controls
    inside, view = layers
    inside.show_unit(UnitRequest(20, 3))                # One unit with its table of strongest inputs
    problems, seen = set(), set()
    for index in range(inside.views.count()):
        inside.views.setCurrentIndex(index)
        qtbot.wait(10)
        for widget in visible_controls(inside):
            if isinstance(widget, QHeaderView):
                continue                                # a table's own header: the table is the control
            seen.add(type(widget).__name__)
            if not reachable(widget) or not spoken_name(widget):
                problems.add(describe(widget))
    assert {"QPushButton", "QSpinBox", "QComboBox", "QTableWidget", "ImageGrid"} <= seen   # the slider: no frames yet
    assert not problems, "\n".join(sorted(problems))


def test_why_explains_the_chosen_member_of_an_ensemble(window, qtbot):
    from hwr_desktop.resources import ensemble_model_path
    window.session.load(ensemble_model_path())
    draw(window)
    inside, why = open_view(window, qtbot, "why")
    qtbot.waitUntil(lambda: why.heat is not None, timeout=30000)    # not "no convolution layer"
    assert inside.networkCombo.count() == 6 and why.inspector_model is inside.source.network.model
    first = why.inspector_model
    inside.networkCombo.setCurrentIndex(3)
    qtbot.waitUntil(lambda: why.inspector_model is not first and why.heat is not None, timeout=30000)
    assert why.inspector_model is inside.source.networks[3].model
