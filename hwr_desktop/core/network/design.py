"""Networks as small JSON documents: checked, measured and explained without TensorFlow.

A design is {"name": "...", "layers": [{"type": "Conv2D", "filters": 32, "kernel_size": 3}, ...]}
(a bare list of layers works too). Each layer names a Keras layer type from the allow-list below
and uses that layer's own argument names; nothing else is accepted, so a design file can never
run code (Keras' safe mode, by construction: we build from a fixed table, never from the file).
Every network takes a 28x28x1 image and must end in Dense(10): ten logits, one per digit.

`check_design` walks the layers with plain arithmetic, as Keras will: each row's output shape,
parameters and multiply-adds per image, or the reason the row cannot work. The designer shows
this on every edit, and training refuses a design with any error (`require_buildable`). Keras is
only imported to build (core/network/build.py).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from hwr_desktop.core.errors import HwrError
from hwr_desktop.core.network.layer_types import LAYER_TYPES, format_arguments, pair

INPUT_SHAPE = (28, 28, 1)
CLASSES = 10
MAX_LAYERS = 100
MAX_FILE_BYTES = 256 * 1024
MAX_NESTING = 10                      # a design nests 4 deep ({"layers": [{"kernel_size": [3, 5]}]})
# What "too big to train here" means: beyond these a run takes hours or memory we do not have.
MAX_PARAMS = 20_000_000
MAX_MACS = 500_000_000               # multiply-adds per image: ~200x the default network
MAX_ACTIVATIONS = 2_000_000          # floats one image keeps per layer for the backward pass


class DesignError(HwrError):
    """A design that cannot be built; `row` is the 0-based layer index it is about (None: the whole)."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.row = row


# ---- the walk --------------------------------------------------------------------------------

@dataclass
class Row:
    """One layer as the designer shows it."""
    index: int
    type: str
    arguments: dict
    output_shape: tuple | None = None
    params: int = 0
    macs: int = 0
    error: str | None = None

    def describe(self) -> str:
        return f"{self.type}({format_arguments(self.arguments)})"


@dataclass
class Design:
    name: str
    layers: list[dict]
    rows: list[Row] = field(default_factory=list)
    error: str | None = None   # about the design as a whole (no layers, ...), not one row

    @property
    def params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def errors(self) -> list[tuple[int | None, str]]:
        found = [(r.index, r.error) for r in self.rows if r.error]
        return found + ([(None, self.error)] if self.error else [])

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def spec(self) -> dict:
        return {"name": self.name, "layers": [dict(layer) for layer in self.layers]}

    def to_dict(self) -> dict:
        return {**self.spec, "params": self.params, "macs": self.macs, "ok": self.ok,
                "rows": [{"index": r.index, "type": r.type, "arguments": r.arguments,
                          "output_shape": list(r.output_shape) if r.output_shape else None,
                          "params": r.params, "macs": r.macs, "error": r.error} for r in self.rows],
                "error": self.error}


def _spatial(size: int, window: int, stride: int, padding: str) -> int:
    return math.ceil(size / stride) if padding == "same" else (size - window) // stride + 1


def _walk(kind: str, args: dict, shape: tuple) -> tuple[tuple, int, int]:
    """(output shape, parameters, multiply-adds per image) of one layer on `shape`, as Keras has them.
    Multiply-adds count convolutions and dense layers, the work that dominates."""
    if kind in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D"):
        h, w, c = shape
        if "Pooling" in kind:
            kh, kw = pair(args.get("pool_size", 2))
            sh, sw = pair(args.get("strides", args.get("pool_size", 2)))
        else:
            kh, kw = pair(args["kernel_size"])
            sh, sw = pair(args.get("strides", 1))
        padding = args.get("padding", "valid")
        oh, ow = _spatial(h, kh, sh, padding), _spatial(w, kw, sw, padding)
        if oh < 1 or ow < 1:
            raise DesignError(f"its {h}x{w} input shrinks below 1 px with a {kh}x{kw} window, stride {sh}x{sw} and "
                              f"'{padding}' padding: use padding 'same', a smaller window or fewer layers before it")
        bias = args.get("use_bias", True)
        f = args.get("filters", c)
        if kind == "Conv2D":
            return (oh, ow, f), kh * kw * c * f + f * bias, oh * ow * kh * kw * c * f
        if kind == "SeparableConv2D":
            return (oh, ow, f), kh * kw * c + c * f + f * bias, oh * ow * (kh * kw * c + c * f)
        if kind == "DepthwiseConv2D":
            return (oh, ow, c), kh * kw * c + c * bias, oh * ow * kh * kw * c
        return (oh, ow, c), 0, 0
    if kind == "BatchNormalization":
        return shape, 4 * shape[-1], 0     # scale, offset, moving mean and variance per channel
    if kind == "Flatten":
        return (math.prod(shape),), 0, 0
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        return (shape[-1],), 0, 0
    if kind == "Dense":
        units, n = args["units"], shape[0]
        return (units,), n * units + units * args.get("use_bias", True), n * units
    return shape, 0, 0                     # dropout, activations, Deskew


def _check_layer(index: int, layer, shape: tuple) -> Row:
    if not isinstance(layer, dict) or not isinstance(layer.get("type"), str):
        return Row(index, "?", {}, error='each layer must be an object with a "type", e.g. {"type": "Conv2D", ...}')
    kind, args = layer["type"], {k: v for k, v in layer.items() if k != "type"}
    row = Row(index, kind, args)
    spec = LAYER_TYPES.get(kind)
    if spec is None:
        row.error = f"unknown layer type {kind!r} (allowed: {', '.join(LAYER_TYPES)})"
        return row
    for name in args:
        if name not in spec.arguments:
            allowed = ", ".join(spec.arguments) or "none"
            row.error = f"{kind} has no argument {name!r} here (allowed: {allowed})"
            return row
    missing = [name for name in spec.required if name not in args]
    if missing:
        row.error = f"{kind} needs {' and '.join(missing)}"
        return row
    for name, value in args.items():
        try:
            spec.arguments[name](value)
        except ValueError as exc:
            row.error = f"{name} must be {exc}, not {json.dumps(value)}"
            return row
    if kind == "Deskew" and index != 0:
        row.error = "Deskew straightens the raw image: it can only be the first layer"
    elif spec.image_in is True and len(shape) != 3:
        row.error = f"{kind} needs an image-shaped input, but the layers before it made it flat {shape}"
    elif spec.image_in is False and len(shape) != 1:
        row.error = (f"{kind} needs a flat input, but it gets {'x'.join(map(str, shape))} maps: "
                     "put Flatten or GlobalAveragePooling2D before it")
    else:
        try:
            row.output_shape, row.params, row.macs = _walk(kind, args, shape)
        except DesignError as exc:
            row.error = str(exc)
    return row


def _check_size(design: Design) -> None:
    """Too big to train here: the error goes on the row that contributes the most."""
    for total, limit, what, key in ((design.params, MAX_PARAMS, "parameters", lambda r: r.params),
                                    (design.macs, MAX_MACS, "multiply-adds per image", lambda r: r.macs)):
        if total > limit:
            worst = max(design.rows, key=key)
            worst.error = worst.error or (f"too big to train here: {total:,} {what} in all (limit {limit:,}); "
                                          f"this layer has {key(worst):,}")
            return
    for row in design.rows:
        if row.output_shape and math.prod(row.output_shape) > MAX_ACTIVATIONS:
            row.error = row.error or (f"too big to train here: {math.prod(row.output_shape):,} values per image "
                                      f"(limit {MAX_ACTIVATIONS:,}); use fewer filters or shrink the maps first")
            return


def check_design(document) -> Design:
    """Every row's shape, parameters and multiply-adds, and each problem on the row it is about.
    `document`: a design dict, a bare list of layers, or a Design. Never raises for a bad design."""
    name, layers, problem = _parse(document)
    design = Design(name, layers, error=problem)
    shape: tuple = INPUT_SHAPE
    for index, layer in enumerate(layers):
        row = _check_layer(index, layer, shape)
        design.rows.append(row)
        if row.error:
            break      # the shapes after a broken layer mean nothing: the user fixes this one first
        shape = row.output_shape
    if design.ok and not problem:
        last = design.rows[-1]
        if last.type != "Dense":
            last.error = (f"the network must end in the classifier, Dense with 10 units (one per digit); "
                          f"it ends in {last.type}")
        elif last.arguments["units"] != CLASSES:
            units = last.arguments["units"]
            last.error = f"the last Dense layer is the classifier: it needs 10 units (one per digit), not {units}"
        elif last.arguments.get("activation") not in (None, "linear"):
            last.error = "leave out the last layer's activation: it outputs logits, the app applies the softmax"
        else:
            _check_size(design)
    return design


def _parse(document) -> tuple[str, list, str | None]:
    if isinstance(document, Design):
        return document.name, document.layers, document.error
    name = "design"
    if isinstance(document, dict):
        name = document.get("name", name)
        if not isinstance(name, str) or not name.strip():
            return "design", [], '"name" must be a non-empty string'
        document = document.get("layers")
    if not isinstance(document, list):
        return name, [], 'a design is {"name": ..., "layers": [...]} or a list of layers'
    if not document:
        return name, [], "the design has no layers"
    if len(document) > MAX_LAYERS:
        return name, [], f"the design has {len(document)} layers; at most {MAX_LAYERS}"
    return name.strip()[:60], document, None


def require_buildable(document) -> Design:
    """The checked design, or DesignError naming the first layer that cannot work."""
    design = check_design(document)
    for row, message in design.errors:
        if row is None:
            raise DesignError(f"{design.name}: {message}")
        r = design.rows[row]
        raise DesignError(f"layer {row + 1} ({r.type}): {message}", row)
    return design


def _nested_deeper(document, limit: int) -> bool:
    """Do lists and objects nest more than `limit` deep in `document`? Counted without recursion,
    so a hostile document cannot exhaust the stack here."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


def _too_deep(path: Path) -> DesignError:
    return DesignError(f"{path.name}: nested too deeply for a design (more than {MAX_NESTING} levels of lists "
                       f"and objects; a design is a list of layers, each with a few arguments)")


def load_design(path: str | Path) -> dict:
    """A design file's document (JSON only, size-checked); its layers are checked by check_design."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DesignError(f"{path.name}: too large for a design file ({path.stat().st_size:,} bytes)")
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DesignError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DesignError(f"{path}: is a folder, not a design file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DesignError(f"{path.name}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DesignError(f"{path.name}: not JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:   # [[[[...]]]] thousands deep: the parser itself runs out of stack
        raise _too_deep(path) from None
    if _nested_deeper(document, MAX_NESTING):
        raise _too_deep(path)
    if isinstance(document, list):
        document = {"name": path.stem, "layers": document}
    if not isinstance(document, dict):
        raise DesignError(f'{path.name}: a design is {{"name": ..., "layers": [...]}}')
    # Only the design itself: `design show --json` output (rows, totals) can be edited and used as it is.
    return {"name": document.get("name", path.stem), "layers": document.get("layers")}


def save_design(document: dict, path: str | Path) -> Path:
    """Write a design as indented JSON, atomically (a crash never leaves half a file)."""
    from hwr_desktop.core.files import write_text
    path = Path(path)
    design = check_design(document)
    try:
        return write_text(path, json.dumps(design.spec, indent=2) + "\n")
    except OSError as exc:
        raise DesignError(f"cannot save {path}: {exc.strerror or exc}") from None
