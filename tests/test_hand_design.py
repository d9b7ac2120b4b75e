"""core/network/design.py: arithmetic by hand and every limit at its exact edge (issue 33; no TensorFlow).

The layer table of tests/test_hand_computed.py counts each layer type once; these add the defaults,
the bias switches, odd sizes, and designs built to land exactly on a limit and one past it.
"""
from __future__ import annotations

import json

import pytest

from hwr_desktop.core.network.design import (
    MAX_FILE_BYTES,
    MAX_LAYERS,
    MAX_NESTING,
    DesignError,
    check_design,
    load_design,
    require_buildable,
)

DENSE10 = {"type": "Dense", "units": 10}


def _rows(*layers):
    return [(r.output_shape, r.params, r.macs) for r in check_design(list(layers) + [DENSE10]).rows[:-1]]


def test_window_defaults_and_odd_sizes_by_hand():
    # pooling: window 2 and strides = window unless given; 'valid' floors, 'same' rounds up
    assert _rows({"type": "MaxPooling2D"}, {"type": "Flatten"})[0] == ((14, 14, 1), 0, 0)
    assert _rows({"type": "MaxPooling2D", "pool_size": 3}, {"type": "Flatten"})[0] == ((9, 9, 1), 0, 0)   # 25 // 3 + 1
    assert _rows({"type": "AveragePooling2D", "pool_size": 3, "strides": 1}, {"type": "Flatten"})[0] == (
        (26, 26, 1), 0, 0)
    # Conv2D 3x3 stride 2: 'valid' (28 - 3) // 2 + 1 = 13; 'same' ceil(28 / 2) = 14, then ceil(14 / 4) = 4
    assert _rows({"type": "Conv2D", "filters": 2, "kernel_size": 3, "strides": 2}, {"type": "Flatten"})[0] == (
        (13, 13, 2), 9 * 2 + 2, 13 * 13 * 9 * 2)
    same = _rows({"type": "Conv2D", "filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
                 {"type": "Conv2D", "filters": 3, "kernel_size": 5, "strides": 4, "padding": "same"}, {"type": "Flatten"})
    assert same[:2] == [((14, 14, 2), 20, 14 * 14 * 18), ((4, 4, 3), 5 * 5 * 2 * 3 + 3, 4 * 4 * 25 * 2 * 3)]
    # a 3x5 kernel and (1, 2) strides: rows (28 - 3) + 1 = 26, columns (28 - 5) // 2 + 1 = 12
    assert _rows({"type": "Conv2D", "filters": 1, "kernel_size": [3, 5], "strides": [1, 2]}, {"type": "Flatten"})[0] == (
        (26, 12, 1), 15 + 1, 26 * 12 * 15)


def test_each_bias_can_be_switched_off():
    base = {"type": "Conv2D", "filters": 4, "kernel_size": 1}                     # 28x28x4, 4 + 4 parameters
    rows = _rows(base, {"type": "DepthwiseConv2D", "kernel_size": 3, "use_bias": False},
                 {"type": "SeparableConv2D", "filters": 2, "kernel_size": 3, "use_bias": False},
                 {"type": "GlobalMaxPooling2D"}, {"type": "Dense", "units": 3, "use_bias": False},
                 {"type": "Dropout", "rate": 0.1})
    assert rows == [((28, 28, 4), 8, 28 * 28 * 4),
                    ((26, 26, 4), 9 * 4, 26 * 26 * 9 * 4),                       # depthwise: 3*3 per channel, no bias
                    ((24, 24, 2), 9 * 4 + 4 * 2, 24 * 24 * (9 * 4 + 4 * 2)),    # depthwise + pointwise, no bias
                    ((2,), 0, 0), ((3,), 2 * 3, 2 * 3), ((3,), 0, 0)]
    last = check_design([base, {"type": "Flatten"}, DENSE10]).rows[-1]
    assert (last.params, last.macs) == (28 * 28 * 4 * 10 + 10, 28 * 28 * 4 * 10)


def test_a_window_too_wide_in_one_direction_shrinks_the_map_below_1px():
    narrow = {"type": "Conv2D", "filters": 1, "kernel_size": [1, 20]}                # 28x9
    design = check_design([narrow, {"type": "Conv2D", "filters": 1, "kernel_size": [3, 10]}, {"type": "Flatten"}, DENSE10])
    assert [i for i, _ in design.errors] == [1] and "28x9 input shrinks below 1 px with a 3x10 window" in design.errors[0][1]
    flat = {"type": "Conv2D", "filters": 1, "kernel_size": [20, 1]}                  # 9x28
    tall = check_design([flat, {"type": "Conv2D", "filters": 1, "kernel_size": [10, 3]}, {"type": "Flatten"}, DENSE10])
    assert [i for i, _ in tall.errors] == [1]
    assert check_design([narrow, {"type": "Conv2D", "filters": 1, "kernel_size": [3, 9]}, {"type": "Flatten"}, DENSE10]).ok


def test_deskew_may_come_first_and_the_totals_add_the_rows():
    design = check_design({"name": "  deskewed  ", "layers": [{"type": "Deskew"}, {"type": "Flatten"}, DENSE10]})
    assert design.ok and design.name == "deskewed" and design.params == 7850 and design.macs == 7840
    out = design.to_dict()
    assert out["params"] == 7850 and out["macs"] == 7840 and out["ok"] is True and out["error"] is None
    assert out["rows"][0] == {"index": 0, "type": "Deskew", "arguments": {}, "output_shape": [28, 28, 1], "params": 0,
                              "macs": 0, "error": None}
    assert out["rows"][1]["output_shape"] == [784] and out["layers"][2] == DENSE10
    broken = check_design([{"type": "Flatten"}, {"type": "Conv2D", "filters": 1, "kernel_size": 3}, DENSE10])
    assert broken.to_dict()["rows"][1]["output_shape"] is None and len(broken.rows) == 2     # stops at the error


def test_names_are_stripped_and_cut_to_60_characters():
    assert require_buildable({"name": "  " + "n" * 70 + " ", "layers": [{"type": "Flatten"}, DENSE10]}).name == "n" * 60
    with pytest.raises(DesignError, match='^design: "name" must be a non-empty string$'):
        require_buildable({"name": "   ", "layers": [{"type": "Flatten"}, DENSE10]})
    assert check_design([{"type": "Flatten"}, DENSE10]).name == "design"
    with pytest.raises(DesignError, match="^x: the design has no layers$"):
        require_buildable({"name": "x", "layers": []})


def test_at_most_max_layers():
    layers = [{"type": "Flatten"}] + [{"type": "Dropout", "rate": 0.1}] * (MAX_LAYERS - 2) + [DENSE10]
    assert MAX_LAYERS == 100 and check_design(layers).ok
    too_many = check_design(layers[:1] + [{"type": "Dropout", "rate": 0.1}] + layers[1:])
    assert too_many.errors == [(None, "the design has 101 layers; at most 100")]


def _two_hidden(u, v):
    return [{"type": "Flatten"}, {"type": "Dense", "units": u}, {"type": "Dense", "units": v}, DENSE10]


def _convs(a, b, w):
    return [{"type": "Conv2D", "filters": a, "kernel_size": 1},
            {"type": "Conv2D", "filters": b, "kernel_size": 3, "padding": "same"},
            {"type": "GlobalAveragePooling2D"}, {"type": "Dense", "units": w}, DENSE10]


def test_the_size_limits_hold_at_their_exact_edge():
    # parameters: 784u + u + uv + v + 10v + 10 (found by a search for these exact totals)
    at = check_design(_two_hidden(22856, 90))
    assert at.params == 785 * 22856 + 22857 * 90 + 910 == 20_000_000 and at.ok
    past = check_design(_two_hidden(23067, 82))
    assert past.params == 785 * 23067 + 23068 * 82 + 830 == 20_000_001
    assert past.errors == [(1, "too big to train here: 20,000,001 parameters in all (limit 20,000,000); "
                               "this layer has 18,107,595")]                    # on the biggest row: 785 x 23067
    # multiply-adds: 784a + 784 x 9ab + bw + 10w
    at = check_design(_convs(82, 862, 1364))
    assert at.macs == 784 * 82 + 7056 * 82 * 862 + 862 * 1364 + 13640 == 500_000_000 and at.ok
    past = check_design(_convs(94, 745, 7675))
    assert past.macs == 784 * 94 + 7056 * 94 * 745 + 745 * 7675 + 76750 == 500_000_001
    assert [i for i, _ in past.errors] == [1] and "500,000,001 multiply-adds per image in all" in past.errors[0][1]
    assert "this layer has 494,131,680" in past.errors[0][1]                    # 7056 x 94 x 745


def test_design_files_at_the_size_and_nesting_limits(tmp_path):
    path = tmp_path / "edge.json"
    path.write_text(" " * (MAX_FILE_BYTES - 2) + "[]")
    assert MAX_FILE_BYTES == 262_144 and load_design(path) == {"name": "edge", "layers": []}
    path.write_text(" " * (MAX_FILE_BYTES - 1) + "[]")
    with pytest.raises(DesignError, match=r"too large for a design file \(262,145 bytes\)"):
        load_design(path)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * MAX_NESTING + "]" * MAX_NESTING)                      # 10 levels: allowed
    assert MAX_NESTING == 10 and load_design(deep)["name"] == "deep"
    deep.write_text("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))
    with pytest.raises(DesignError, match="nested too deeply"):
        load_design(deep)
    deep.write_text(json.dumps({"name": "d", "layers": [{"type": "Conv2D", "kernel_size": [[[[[[[[3]]]]]]]]}]}))
    with pytest.raises(DesignError, match="nested too deeply"):                 # 11 levels through objects too
        load_design(deep)
    with pytest.raises(DesignError, match="is a folder"):
        load_design(tmp_path)
    (tmp_path / "latin1.json").write_bytes(b'{"name": "\xe9"}')
    with pytest.raises(DesignError, match="cannot read it"):
        load_design(tmp_path / "latin1.json")
    (tmp_path / "three.json").write_text("3")
    with pytest.raises(DesignError, match="a design is"):
        load_design(tmp_path / "three.json")
    (tmp_path / "shown.json").write_text(json.dumps({"layers": [DENSE10], "params": 1, "rows": []}))
    assert load_design(tmp_path / "shown.json") == {"name": "shown", "layers": [DENSE10]}


def test_a_broken_row_adds_nothing_to_the_totals():
    conv = {"type": "Conv2D", "filters": 2, "kernel_size": 3}                  # 9 x 2 + 2 = 20 parameters
    design = check_design([conv, {"type": "Flatten"}, {"type": "Conv2D", "filters": 2, "kernel_size": 3}, DENSE10])
    assert [i for i, _ in design.errors] == [2] and (design.rows[2].params, design.rows[2].macs) == (0, 0)
    assert design.params == 20 and design.macs == 26 * 26 * 18
    odd = check_design([conv, "Flatten"])
    assert (odd.rows[1].params, odd.rows[1].macs, odd.params) == (0, 0, 20)


def test_a_layer_without_arguments_says_so():
    design = check_design([{"type": "Flatten", "units": 3}, DENSE10])
    assert design.errors == [(0, "Flatten has no argument 'units' here (allowed: none)")]


def test_a_saved_design_is_indented_json(tmp_path):
    from hwr_desktop.core.network.design import save_design
    spec = {"name": "small", "layers": [{"type": "Flatten"}, DENSE10]}
    path = save_design(spec, tmp_path / "small.json")
    assert path.read_text() == json.dumps(spec, indent=2) + "\n"
    assert path.read_text().splitlines()[1] == '  "name": "small",'
    (tmp_path / "file").write_text("")
    with pytest.raises(DesignError, match=r"^cannot save .*: Not a directory$"):
        save_design(spec, tmp_path / "file" / "small.json")
