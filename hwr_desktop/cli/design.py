"""`hwr-desktop design show NAME|FILE`: a network design (core/network/design.py) as a table of
layers with each one's output shape, parameters and multiply-adds, or why it cannot be built.
`architecture` is the command's old name, still accepted."""
from __future__ import annotations

from pathlib import Path

from hwr_desktop.cli.common import EXIT_OK, emit_json


def register(sub) -> None:
    design = sub.add_parser("design", aliases=["architecture"], help="show a network design: a preset or a design file")
    commands = design.add_subparsers(dest="design_command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="the layers, their output shapes, parameters and multiply-adds")
    show.add_argument("design", metavar="NAME|FILE", help="a preset name or a design .json file")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)


def design_document(name_or_file: str) -> dict:
    """A preset's design by name, else a design file's document (DesignError if unreadable)."""
    from hwr_desktop.core.network.design import load_design
    from hwr_desktop.core.network.presets import PRESETS
    if name_or_file in PRESETS and not Path(name_or_file).exists():
        return PRESETS[name_or_file].design
    return load_design(name_or_file)


LAYER_WIDTH = 60


def wrap_layer(text: str, width: int = LAYER_WIDTH) -> list[str]:
    """'Conv2D(filters=32, ..., strides=2)' in lines of at most `width`, broken only between arguments
    (never inside one: a cut once hid `strides=2`, the argument that explains 28 -> 14). Continuation
    lines are indented two spaces; an argument longer than a line gets a line of its own."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 1:      # inside the layer's own parentheses
            parts.append(text[start:i + 1])
            start = i + 2                    # skip ", "
    parts.append(text[start:])
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += " " + part
        else:
            lines.append("  " + part)
    return lines


def _shape(shape) -> str:
    return "x".join(map(str, shape)) if shape else "-"


def run_show(args) -> int:
    from hwr_desktop.core.network.design import INPUT_SHAPE, check_design, require_buildable

    design = check_design(design_document(args.design))
    if args.json:
        emit_json(design.to_dict())
    else:
        print(f"{design.name}: input {_shape(INPUT_SHAPE)}")
        print(f"{'#':>3}  {'layer':<{LAYER_WIDTH}} {'output':>10} {'params':>10} {'mult-adds':>12}")
        for row in design.rows:
            first, *more = wrap_layer(row.describe())
            print(f"{row.index + 1:>3}  {first:<{LAYER_WIDTH}} {_shape(row.output_shape):>10} "
                  f"{row.params:>10,} {row.macs:>12,}")
            for line in more:
                print(f"     {line}")
            if row.error:
                print(f"     ^ {row.error}")
        print(f"     {'total':<{LAYER_WIDTH}} {'':>10} {design.params:>10,} {design.macs:>12,}")
    require_buildable(design)    # a design with a problem: one line on stderr, exit status 2
    return EXIT_OK
