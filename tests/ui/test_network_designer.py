"""The network designer in the Training tab: every row shows what check_design works out for it, an
impossible design is explained on its row and keeps Start disabled, designs are opened and saved,
and a designed network trains through the same worker and pipeline as the presets."""
from __future__ import annotations

import json

from hwr_desktop.core.network.design import check_design
from hwr_desktop.core.network.presets import PRESETS
from hwr_desktop.ui.panels.training_panel import TrainingPanel
from hwr_desktop.ui.widgets.network_designer import CHECK, OUTPUT, PARAMS


def _panel(qtbot) -> TrainingPanel:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("keras-example"))
    panel.presetDesignButton.click()
    panel.designCheck.setChecked(True)
    return panel


def test_rows_show_each_layers_shape_parameters_and_totals(qtbot):
    panel = _panel(qtbot)
    designer, preset = panel.designer, PRESETS["keras-example"].design
    assert designer.table.rowCount() == len(preset["layers"])
    assert designer.table.item(0, OUTPUT).text() == "26x26x32"
    assert designer.table.item(0, PARAMS).text() == "320"
    assert all(designer.table.item(r, CHECK).text() == "✓" for r in range(designer.table.rowCount()))
    assert "34,826 parameters" in designer.totalsLabel.text() and "per epoch here" in designer.totalsLabel.text()
    assert panel.trainButton.isEnabled()
    assert panel.config().architecture == {"name": "my-keras-example", "layers": preset["layers"]}
    panel.designCheck.setChecked(False)
    assert panel.config().architecture is None          # the preset's own network


def test_an_impossible_design_is_explained_on_its_row_and_blocks_start(qtbot):
    panel = _panel(qtbot)
    designer = panel.designer
    designer.set_layer(2, arguments="filters=64, kernel_size=11")     # 13x13 maps, an 11x11 window: fine
    assert designer.table.item(2, OUTPUT).text() == "3x3x64" and panel.trainButton.isEnabled()
    designer.set_layer(2, arguments="filters=64, kernel_size=15")     # shrinks below 1 px
    problem = designer.table.item(2, CHECK).text()
    assert "below 1 px" in problem and designer.table.item(2, OUTPUT).text() == ""
    assert designer.table.item(3, CHECK).text() == "(after the problem above)"
    assert not panel.trainButton.isEnabled()
    assert panel.trainButton.toolTip().startswith("Fix the design first: layer 3:")
    assert designer.problemLabel.text().count("Layer 3:") == 1
    designer.set_layer(2, arguments="filters=64 kernel_size=3")        # unreadable text: the same row says so
    assert "write name=value" in designer.table.item(2, CHECK).text() and not panel.trainButton.isEnabled()
    designer.set_layer(2, arguments="filters=64, kernel_size=3")
    assert panel.trainButton.isEnabled()
    designer.remove_layer(designer.table.rowCount() - 1)               # no classifier at the end
    last = designer.table.rowCount() - 1
    assert "must end in the classifier" in designer.table.item(last, CHECK).text()
    assert not panel.trainButton.isEnabled()


def test_layers_are_added_moved_and_removed(qtbot):
    panel = _panel(qtbot)
    designer = panel.designer
    rows = designer.table.rowCount()
    designer.table.selectRow(0)
    designer.addButton.click()
    assert designer.table.rowCount() == rows + 1
    assert designer.document()["layers"][1] == {"type": "Conv2D", "filters": 32, "kernel_size": 3,
                                                "padding": "same", "activation": "relu"}
    designer.move_layer(1, +1)
    assert designer.document()["layers"][2]["type"] == "Conv2D" and designer.document()["layers"][1]["type"] == "MaxPooling2D"
    designer.remove_layer(2)
    assert designer.document()["layers"] == PRESETS["keras-example"].design["layers"]


def test_designs_are_saved_and_opened_and_a_bad_file_changes_nothing(qtbot, tmp_path):
    panel = _panel(qtbot)
    designer = panel.designer
    designer.nameEdit.setText("mine")
    assert designer.save_file(str(tmp_path / "mine.json"))
    assert json.loads((tmp_path / "mine.json").read_text())["name"] == "mine"
    (tmp_path / "bad.json").write_text("{ not json")
    with qtbot.waitSignal(panel.errorOccurred) as error:
        assert not designer.open_file(str(tmp_path / "bad.json"))
    assert "not JSON" in error.args[1]
    assert designer.document()["name"] == "mine"
    panel.designCheck.setChecked(False)
    panel.presetDesignButton.click()
    assert designer.open_file(str(tmp_path / "mine.json"))
    assert panel.designCheck.isChecked() and designer.document()["name"] == "mine"


def test_a_designed_network_trains_in_the_gui_worker(qtbot):
    panel = _panel(qtbot)
    designer = panel.designer
    designer.set_design({"name": "tiny-design", "layers": [
        {"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "activation": "relu"},
        {"type": "Flatten"}, {"type": "Dense", "units": 10}]})
    panel.epochsSpin.setValue(1)
    panel.limitSpin.setValue(1000)
    with qtbot.waitSignal(panel.trainingEnded, timeout=120_000):
        panel.start()
    outcome = panel.outcome
    assert outcome is not None and outcome.info.preset == "tiny-design"
    assert outcome.info.config["architecture"]["layers"] == designer.document()["layers"]
    assert outcome.model.count_params() == check_design(designer.document()).params == 13_610


def test_designing_fits_a_1200x760_window(window, qtbot):
    window.resize(1200, 760)
    window.show_view(window.training_panel)
    panel = window.training_panel
    panel.designCheck.setChecked(True)
    qtbot.waitUntil(lambda: panel.designerArea.height() >= 200)     # the layers get the room the empty curves had
    assert not panel.trainingPlot.isVisible()
    window.layout().activate()
    hint = window.minimumSizeHint()
    # The designer scrolls inside its area rather than making the window taller or wider than the screen.
    assert hint.width() <= 1200 and hint.height() <= 760
    assert (window.width(), window.height()) == (1200, 760)
    assert panel.designerArea.height() >= 200 and window.draw_panel.canvas.width() >= 400
