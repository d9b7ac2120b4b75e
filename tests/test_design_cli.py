"""`hwr-desktop design show` and `train --design`: a design's table, and one line naming the layer,
exit status 2, no model file, for a design that cannot be built. `architecture` and
`--architecture` are their old spellings, still accepted."""
import json

import pytest

from hwr_desktop.cli import main
from hwr_desktop.core.network.layer_types import parse_arguments


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


SHRINKS = {"name": "shrinks", "layers": [
    {"type": "Conv2D", "filters": 8, "kernel_size": 5}, {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 8, "kernel_size": 5}, {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 8, "kernel_size": 5}, {"type": "Flatten"}, {"type": "Dense", "units": 10}]}


def test_show_a_preset_prints_its_layers_and_totals(capsys):
    code, out, err = run(capsys, "design", "show", "default")
    assert code == 0, err
    assert "151,338" in out and "21,913,344" in out and out.count("Conv2D(") == 5
    code, out, _ = run(capsys, "design", "show", "quick", "--json")
    document = json.loads(out)
    assert code == 0 and document["ok"] and document["params"] == 621_738
    assert [r["output_shape"] for r in document["rows"][:3]] == [[14, 14, 32]] * 3


def test_an_impossible_design_exits_2_with_one_line_naming_the_layer(capsys, tmp_path):
    design = tmp_path / "shrinks.json"
    design.write_text(json.dumps(SHRINKS))
    code, out, err = run(capsys, "design", "show", str(design))
    assert code == 2
    assert "^ its 4x4 input shrinks below 1 px" in out            # the table shows it on its row
    assert err.count("\n") == 1 and err.startswith("hwr-desktop: error: layer 5 (Conv2D):")
    model = tmp_path / "never.keras"
    for option in ("--design", "--architecture"):
        code, _, err = run(capsys, "train", option, str(design), "--epochs", "1", "--out", str(model))
        assert code == 2 and err.count("\n") == 1 and "layer 5 (Conv2D)" in err
    assert not model.exists()


def test_the_old_command_name_architecture_still_works(capsys):
    new = run(capsys, "design", "show", "quick", "--json")
    old = run(capsys, "architecture", "show", "quick", "--json")
    assert new[0] == old[0] == 0 and new[1] == old[1] and json.loads(old[1])["params"] == 621_738


def test_untrusted_design_files_get_one_clear_error(capsys, tmp_path):
    cases = {"lambda.json": json.dumps([{"type": "Lambda", "function": "__import__('os')"}]),
             "broken.json": "[{", "object.json": json.dumps({"name": "x", "layers": "Conv2D"})}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        code, _, err = run(capsys, "design", "show", str(tmp_path / name))
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, name
    code, _, err = run(capsys, "design", "show", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


def test_a_design_nested_100000_levels_deep_exits_2_with_one_line(capsys, tmp_path):
    """json.loads gives up with a RecursionError on such a file; that was 'internal error', exit 1."""
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    deep_argument = tmp_path / "deep_argument.json"      # parses, but no design nests like this
    deep_argument.write_text(json.dumps([{"type": "Dense", "units": 10, "activation": ["x"]}])
                             .replace('["x"]', "[" * 50 + "]" * 50))
    model = tmp_path / "never.keras"
    for path in (deep, deep_argument):
        for argv in (["design", "show", path], ["architecture", "show", path],
                     ["train", "--design", path, "--out", model], ["train", "--architecture", path, "--out", model]):
            code, _, err = run(capsys, *map(str, argv))
            assert code == 2, (argv, err)
            assert err.count("\n") == 1 and f"{path.name}: nested too deeply for a design" in err, err[:300]
            assert "RecursionError" not in err and "internal error" not in err
    assert not model.exists()


def test_argument_text_nested_too_deeply_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_arguments("units=" + "[" * 100_000 + "]" * 100_000)


def test_argument_text_reads_json_values_and_plain_words():
    assert parse_arguments("filters=32, kernel_size=[3, 5], padding=same, use_bias=false, activation=None") == {
        "filters": 32, "kernel_size": [3, 5], "padding": "same", "use_bias": False, "activation": None}
    for bad in ("filters", "filters=64 kernel_size=3", "=3"):
        try:
            parse_arguments(bad)
        except ValueError as exc:
            assert "write name=value" in str(exc)
        else:
            raise AssertionError(bad)


def test_show_never_cuts_an_argument(capsys):
    """Rows were cut at 60 characters mid-word ("use_bias=fal"), hiding quick's strides=2, the argument that
    explains 28 -> 14: long rows wrap between arguments instead, and every argument is shown whole."""
    from hwr_desktop.core.network.design import check_design
    from hwr_desktop.core.network.layer_types import format_arguments
    from hwr_desktop.core.network.presets import PRESETS
    for name, preset in PRESETS.items():
        code, out, _ = run(capsys, "design", "show", name)
        assert code == 0
        shown = " ".join(line.strip() for line in out.splitlines())
        for row in check_design(preset.design).rows:
            for argument in format_arguments(row.arguments).split(", "):
                assert f" {argument}," in shown or f" {argument})" in shown or f"({argument}," in shown \
                    or f"({argument})" in shown, (name, argument)
    code, out, _ = run(capsys, "design", "show", "quick")
    first, second = out.splitlines()[2:4]
    assert first.split()[:5] == ["1", "Conv2D(filters=32,", "kernel_size=5,", "padding=same,", "14x14x32"]
    assert second.strip() == "use_bias=false, strides=2)"


def test_layer_text_wraps_between_arguments_only():
    from hwr_desktop.cli.design import wrap_layer
    text = "Conv2D(filters=32, kernel_size=[3, 3], padding=same, use_bias=false, strides=2, name=" + "x" * 70 + ")"
    lines = wrap_layer(text, 40)
    assert " ".join(line.strip() for line in lines) == text
    assert lines == ["Conv2D(filters=32, kernel_size=[3, 3],", "  padding=same, use_bias=false,",
                     "  strides=2,", "  name=" + "x" * 70 + ")"]
    assert wrap_layer("ReLU()") == ["ReLU()"]
