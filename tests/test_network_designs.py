"""Network designs (core/network/design.py): the arithmetic agrees with Keras, the presets are designs
that build their networks exactly, impossible designs are refused on the row that causes them, and a
designed network trains, is saved with its design and loads again."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hwr_desktop.core.network.design import DesignError, check_design, load_design, require_buildable, save_design
from hwr_desktop.core.network.presets import PRESETS
from hwr_desktop.resources import default_model_path


def _dense(units=10, **extra):
    return {"type": "Dense", "units": units, **extra}


CONV = {"type": "Conv2D", "filters": 8, "kernel_size": 3}
# A spread of layer kinds and arguments whose shapes, parameters and multiply-adds are checked against Keras.
VARIED = {"name": "varied", "layers": [
    {"type": "Conv2D", "filters": 6, "kernel_size": [5, 3], "strides": 2, "padding": "same", "activation": "relu"},
    {"type": "BatchNormalization"},
    {"type": "SeparableConv2D", "filters": 12, "kernel_size": 3, "use_bias": False},
    {"type": "DepthwiseConv2D", "kernel_size": 3, "padding": "same"},
    {"type": "AveragePooling2D", "pool_size": 3, "strides": 2},
    {"type": "SpatialDropout2D", "rate": 0.1},
    {"type": "Conv2D", "filters": 16, "kernel_size": 1, "activation": "gelu"},
    {"type": "GlobalAveragePooling2D"},
    _dense(20, activation="tanh"), {"type": "Dropout", "rate": 0.2}, {"type": "Activation", "activation": "relu"},
    _dense(10),
]}


def test_arithmetic_matches_keras_layer_by_layer():
    from hwr_desktop.core.network.build import build_network
    design = check_design(VARIED)
    assert design.ok, design.errors
    model = build_network(VARIED)
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    assert [type(layer).__name__ for layer in layers] == [row.type for row in design.rows]
    for row, layer in zip(design.rows, layers, strict=True):
        assert tuple(layer.output.shape[1:]) == row.output_shape, row.describe()
        assert layer.count_params() == row.params, row.describe()
    assert design.params == model.count_params()
    # Multiply-adds worked out by hand for three rows: 14x14 output of a 5x3x1 kernel x 6 filters, ...
    assert design.rows[0].macs == 14 * 14 * 5 * 3 * 1 * 6
    assert design.rows[2].macs == 12 * 12 * (3 * 3 * 6 + 6 * 12)
    assert design.rows[8].macs == 16 * 20


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_valid_design_whose_arithmetic_matches_its_network(name):
    design = check_design(PRESETS[name].design)
    assert design.ok, design.errors
    model = PRESETS[name].build()
    assert design.params == model.count_params()
    assert tuple(model.outputs[0].shape[1:]) == (10,)


def test_presets_design_builds_exactly_the_network_of_the_bundled_model():
    # default.keras was built by the Python builders this design format replaced: same layers,
    # arguments and parameter count, read back from the file.
    from hwr_desktop.core.models.modelfile import load_model
    from hwr_desktop.core.network.build import describe_model
    model, info = load_model(default_model_path())
    described = describe_model(model)
    assert info.preset == "default"
    assert described.layers == PRESETS["default"].design["layers"]
    assert described.params == model.count_params() == PRESETS["default"].build().count_params() == 151_338


def test_keras_example_has_the_parameter_count_keras_io_publishes():
    assert check_design(PRESETS["keras-example"].design).params == 34_826   # keras-io mnist_convnet summary


# One impossible design of each kind, with the (0-based) row the error must be on and words it must use.
IMPOSSIBLE = {
    "shrinks below 1 px": ([CONV, {"type": "MaxPooling2D", "pool_size": 4}, {"type": "Conv2D", "filters": 8,
                            "kernel_size": 7}, {"type": "Flatten"}, _dense()], 2, "below 1 px"),
    "no classifier": ([CONV, {"type": "Flatten"}], 1, "must end in the classifier"),
    "wrong classifier size": ([CONV, {"type": "Flatten"}, _dense(12)], 2, "10 units"),
    "softmax at the end": ([CONV, {"type": "Flatten"}, _dense(activation="softmax")], 2, "leave out"),
    "missing argument": ([{"type": "Conv2D", "filters": 8}, {"type": "Flatten"}, _dense()], 0, "needs kernel_size"),
    "unknown type": ([CONV, {"type": "Lambda", "function": "print"}, _dense()], 1, "unknown layer type"),
    "unknown argument": ([dict(CONV, kernel_initializer="ones"), {"type": "Flatten"}, _dense()], 0,
                         "no argument 'kernel_initializer'"),
    "bad value": ([dict(CONV, padding="full"), {"type": "Flatten"}, _dense()], 0, "padding must be one of"),
    "dense on maps": ([CONV, _dense()], 1, "put Flatten"),
    "conv after flatten": ([{"type": "Flatten"}, CONV, _dense()], 1, "image-shaped input"),
    "deskew not first": ([CONV, {"type": "Deskew"}, {"type": "Flatten"}, _dense()], 1, "first layer"),
    "too big": ([CONV, {"type": "Conv2D", "filters": 1024, "kernel_size": 3, "padding": "same"},
                 {"type": "Conv2D", "filters": 1024, "kernel_size": 3, "padding": "same"}, {"type": "Flatten"},
                 _dense()], 2, "too big to train here"),
    "not an object": ([CONV, "Flatten", _dense()], 1, 'object with a "type"'),
}


@pytest.mark.parametrize("kind", list(IMPOSSIBLE))
def test_each_impossible_design_is_refused_on_its_row(kind):
    layers, row, words = IMPOSSIBLE[kind]
    design = check_design({"name": kind, "layers": layers})
    assert not design.ok
    assert [index for index, _ in design.errors] == [row]
    assert words in design.rows[row].error
    with pytest.raises(DesignError) as caught:
        require_buildable({"name": kind, "layers": layers})
    assert caught.value.row == row
    assert str(caught.value).startswith(f"layer {row + 1} ({design.rows[row].type}):")


def test_a_design_with_no_layers_is_refused_as_a_whole():
    for document in ({"name": "x", "layers": []}, {"name": "x"}, "Conv2D", {"name": 3, "layers": [_dense()]}):
        with pytest.raises(DesignError) as caught:
            require_buildable(document)
        assert caught.value.row is None


def test_design_files_round_trip_and_bad_files_get_one_clear_error(tmp_path):
    path = save_design(VARIED, tmp_path / "varied.json")
    assert load_design(path) == VARIED
    assert [p.name for p in tmp_path.iterdir()] == ["varied.json"]     # no temporary left behind
    (tmp_path / "bare.json").write_text(json.dumps(VARIED["layers"]))
    assert load_design(tmp_path / "bare.json") == {"name": "bare", "layers": VARIED["layers"]}
    (tmp_path / "broken.json").write_text('{"name": "x", "layers": [')
    with pytest.raises(DesignError, match="not JSON"):
        load_design(tmp_path / "broken.json")
    (tmp_path / "big.json").write_text(" " * 300_000 + "[]")
    with pytest.raises(DesignError, match="too large"):
        load_design(tmp_path / "big.json")
    with pytest.raises(DesignError, match="no such file"):
        load_design(tmp_path / "missing.json")


def test_a_designed_network_trains_is_saved_with_its_design_and_reloads(tmp_path):
    from hwr_desktop.core.models.modelfile import load_model
    from hwr_desktop.core.network.build import describe_model
    from hwr_desktop.core.training.loop import TrainingConfig
    from hwr_desktop.core.training.pipeline import train_model

    design = {"name": "my-net", "layers": [
        {"type": "Conv2D", "filters": 16, "kernel_size": 3, "strides": 2, "activation": "relu"},
        {"type": "SeparableConv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
        {"type": "MaxPooling2D", "pool_size": 2}, {"type": "Flatten"}, _dense()]}
    config = TrainingConfig(preset="keras-example", architecture=design, epochs=2, batch_size=64,
                            train_limit=4096, val_limit=500, seed=3)
    trained = train_model(config, out=tmp_path / "my-net.keras")
    assert trained.info.preset == "my-net"
    assert trained.result.val_accuracy > 0.8          # 128 steps: 0.83-0.89 for seeds 0-3, chance is 0.1
    model, info = load_model(trained.path)
    assert info.preset == "my-net" and info.config["architecture"] == design
    assert describe_model(model).layers == design["layers"]
    images = np.zeros((2, 28, 28, 1), np.float32)
    np.testing.assert_allclose(model.predict(images, verbose=0), trained.model.predict(images, verbose=0), atol=1e-5)


def test_a_config_with_an_impossible_design_fails_before_training():
    from hwr_desktop.core.training.loop import TrainingConfig
    with pytest.raises(DesignError, match="layer 2"):
        TrainingConfig(architecture={"name": "x", "layers": [CONV, _dense()]}).resolved()


def test_the_epoch_estimate_is_scaled_by_runs_recorded_on_this_cpu():
    from hwr_desktop.core.store.runs import Run
    from hwr_desktop.core.training.epoch_time import machine_factor, observed_here, seconds_per_epoch
    default_macs = check_design(PRESETS["default"].design).macs
    assert seconds_per_epoch(0) == pytest.approx(55_000 * 60e-6)
    assert seconds_per_epoch(default_macs) == pytest.approx(55_000 * (60e-6 + 35e-6 * default_macs / 1e6))
    # A machine twice as slow as the constants say, seen in two runs; an odd third run does not swing the median.
    slow = [(default_macs, 0.5 / (60e-6 + 35e-6 * default_macs / 1e6)), (1_000_000, 0.5 / 95e-6),
            (1_000_000, 0.1 / 95e-6)]
    assert machine_factor(slow) == pytest.approx(2.0)
    assert machine_factor([]) is None
    runs = [Run(1, "", "train", "finished", machine={"cpu": "A"}, macs=10, metrics={"images_per_second": 100.0}),
            Run(2, "", "train", "finished", machine={"cpu": "B"}, macs=10, metrics={"images_per_second": 50.0}),
            Run(3, "", "finetune", "finished", machine={"cpu": "A"}, macs=10, metrics={"images_per_second": 9.0}),
            Run(4, "", "train", "crashed", machine={"cpu": "A"}, macs=10, metrics={})]
    assert observed_here(runs, "A") == [(10, 100.0)]
