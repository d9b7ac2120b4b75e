"""Mutation testing of core's pure modules (`make mutation`; not part of `make test` or CI).

Each mutant is one small change to one module (a comparison flipped, an arithmetic operator
swapped, a number off by one, `and` for `or`), written into a private copy of the checkout; the
module's fast numpy-level tests run against it in a fresh process with a timeout. A mutant the
tests fail on (or that times out) is killed; one they pass on survived: either a test is missing,
or the change does not alter behaviour (an equivalent mutant, listed in EQUIVALENT with why).

Why an own runner and not mutmut: mutmut 3 copies the package into mutants/ and runs the whole
suite once to map tests to functions, which starts TensorFlow and Qt (minutes, and TensorFlow
tolerates mutmut's forked workers badly); here each module names the few tests that cover it,
and a mutant costs one plain pytest start (~1-2 s).

    python -m hwr_desktop.devtools.mutation [--module NAME ...] [--budget SECONDS] [--timeout SECONDS] [--every N]

`--every N` tries every Nth mutant only: an estimate of a module's score when its covering tests
are slow (segmentation's take ~10 s a run under load, so its 734 mutants would take hours).
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HAND = "tests/test_hand_computed.py"

# module -> the fast tests that cover it (numpy only: no TensorFlow model, no Qt; about 1 s a run).
# tests/test_calibration.py imports TensorFlow at the top (12 s a run): its numpy tests are not used here.
MODULES: dict[str, list[str]] = {
    "hwr_desktop/core/models/evaluation.py": [HAND, "tests/test_hand_evaluation.py"],
    "hwr_desktop/core/models/calibration.py": [HAND, "tests/test_hand_calibration.py"],
    "hwr_desktop/core/models/info.py": ["tests/test_hand_model_info.py"],
    # the combination (scores, posterior, decide) and the crops; the rest of test_number_reader.py loads models
    "hwr_desktop/core/reading/number_reader.py": ["tests/test_hand_number_reader.py", "tests/test_number_reader.py",
                                                  "tests/test_crop_memo.py",
                                                  "-k", "hand or strings or weight or hand_edited or memo"],
    # number mode's memo between reads, with stand-in models
    "hwr_desktop/core/reading/crop_memo.py": ["tests/test_crop_memo.py"],
    "hwr_desktop/core/reading/ctc.py": [HAND, "tests/test_sequence_reader.py", "-k", "beam or greedy or digit or alignment"],
    "hwr_desktop/core/data/preprocess.py": [HAND, "tests/test_hand_preprocess.py", "tests/test_preprocess.py",
                                            "tests/test_shading.py"],
    "hwr_desktop/core/network/design.py": [HAND, "tests/test_hand_design.py", "tests/test_network_designs.py", "-k",
                                           "hand or impossible or no_layers or round_trip or keras_example"],
    # the store's own tests; "record" and "stopped" once also picked the two that train a model (8 min a run)
    "hwr_desktop/core/store/runs.py": [HAND, "tests/test_hand_runs.py", "tests/test_runs_store.py", "-k", "hand or "
                                       "record_update or kept_as_such or dead_process or reused or delete_removes "
                                       "or damaged_store or diff_names"],
    # segmentation's hand-made images (well under a second a run); test_segment.py and test_lines.py draw
    # digits with Pillow and MNIST and took ~10 s a run, hours for the 734 mutants; marks also takes
    # the hand-made photos of a desk, a shadow band and the image's edge; printed_lines the quick tick tests
    # (one comb of the bench's renderer among them, a second); marks the lighter digit in a form and in a row
    **{f"hwr_desktop/core/segmentation/{name}.py": ["tests/test_hand_segmentation.py", *more]
       for name, more in (("components", ()), ("cuts", ()),
                          ("marks", ("tests/test_desk.py", "tests/test_shading.py", "tests/test_boxes.py",
                                     "tests/test_segment.py", "-k", "hand or desk or shading or lighter")),
                          ("pieces", ()),
                          ("printed_lines", ("tests/test_lines.py", "-k", "hand or spacings or corners or comb_ticks")))},
    # form cells: its own hand-drawn cells, and printed_lines' tests that must leave grids and comb ticks alone
    "hwr_desktop/core/segmentation/boxes.py": ["tests/test_boxes.py", "tests/test_hand_segmentation.py"],
}

# (module, line, mutation) that cannot change behaviour, with why; excluded from the score. Lines are
# the module's own: re-check them when it changes (a stale entry only stops excluding).
_CTC = "hwr_desktop/core/reading/ctc.py"
_CAL = "hwr_desktop/core/models/calibration.py"
_EVAL = "hwr_desktop/core/models/evaluation.py"
_DESIGN = "hwr_desktop/core/network/design.py"
_READER = "hwr_desktop/core/reading/number_reader.py"
_RUNS = "hwr_desktop/core/store/runs.py"
_MEMO = "hwr_desktop/core/reading/crop_memo.py"
_PRE = "hwr_desktop/core/data/preprocess.py"
_COMP = "hwr_desktop/core/segmentation/components.py"
_CUTS = "hwr_desktop/core/segmentation/cuts.py"
_MARKS = "hwr_desktop/core/segmentation/marks.py"
_LINES = "hwr_desktop/core/segmentation/printed_lines.py"
EQUIVALENT: dict[tuple[str, int, str], str] = {
    (_MEMO, 24, "512 -> 513 @7"): "the default size only bounds memory: one crop more or less kept",
    (_MEMO, 37, "20 -> 21 @89"): "any digest size tells crops apart (a 21-byte digest as well as a 20-byte one)",
    (_CTC, 20, "1e+30 -> 2e+30"): "NEG only has to be far below any real log-probability",
    (_CTC, 21, "10.0 -> 11.0"): "pruning is a shortcut: a wider margin keeps classes that cannot reach the top beams",
    (_CTC, 37, "Lt -> LtE"): "_add swaps equal values: the same sum",
    (_CTC, 39, "LtE -> Lt"): "b == NEG exactly adds log1p(exp(NEG - a)) == 0",
    (_CTC, 42, "10 -> 11"): "a wider default beam keeps every beam the narrower one keeps",
    (_CTC, 48, "GtE -> Gt"): "differs only for a class exactly `prune` below the best, whose beams are ranked out",
    # fit_temperature: the NLL is unimodal in log T, so a finer grid, a wider bracket or more golden-section
    # steps find the same minimum (tests/test_hand_calibration.py holds it to 1e-6)
    (_CAL, 50, "61 -> 62"): "a finer grid: the same minimum",
    (_CAL, 52, "1 -> 2 @27"): "a bracket one grid step wider on the left still holds the minimum",
    (_CAL, 52, "1 -> 2 @51"): "a bracket one grid step wider on the right still holds the minimum",
    (_CAL, 56, "40 -> 41"): "one more golden-section step: closer still",
    (_CAL, 57, "Lt -> LtE"): "differs only when two NLLs are bit-equal; the minimum lies between them either way",
    (_EVAL, 48, "Sub -> Add @72"): "a confidence is at most 1, so its bin is at most bins - 1 before the clip",
    (_EVAL, 59, "1000 -> 1001"): "the batch size changes how the images are split, not the outputs",
    # design's activation limit cannot be reached: no layer grows a map, filters are at most 1024 and units
    # at most 65,536, so a layer keeps at most 28 x 28 x 1024 = 802,816 values (< MAX_ACTIVATIONS)
    (_DESIGN, 32, "2000000 -> 2000001"): "the activation limit is unreachable (at most 802,816 values)",
    (_DESIGN, 186, "Gt -> GtE"): "the activation limit is unreachable (at most 802,816 values)",
    (_DESIGN, 187, "Or -> And"): "the activation limit is unreachable (at most 802,816 values)",
    # strips and crops are float32, and no float32 equals the double 0.15: > INK and >= INK agree
    (_READER, 147, "Gt -> GtE"): "no float32 strip value equals INK (0.15 as a double)",
    (_READER, 297, "Gt -> GtE @33"): "no float32 crop value equals INK (0.15 as a double)",
    (_READER, 297, "Gt -> GtE @75"): "no float32 crop value equals INK (0.15 as a double)",
    (_READER, 41, "10 -> 11"): "a wider beam keeps every string the narrower one keeps (as ctc's default beam above)",
    (_PRE, 44, "1.0 -> 2.0"): "an integer image divided by its own top value never exceeds 1",
    (_PRE, 78, "1.0 -> 2.0"): "fully opaque either way: the flattening below gives gray x 1 + background x 0",
    (_PRE, 78, "GtE -> Gt"): "fully opaque either way: the flattening below gives gray x 1 + background x 0",
    (_PRE, 146, "1.0 -> 2.0"): "divided by its own peak, the resized crop is at most 1 already",
    (_PRE, 259, "Mult -> Div @25"): "np.ones_like(u / v) has the shape of np.ones_like(u * v)",
    (_RUNS, 89, "Gt -> GtE"): "a start time from clock ticks equal to the run's start + 2 s to the microsecond",
    (_RUNS, 95, "4096 -> 4097"): "the Windows branch (OpenProcess access rights): never runs on Linux, where this runs",
    # box_mean's two ways to the same means (tests/test_hand_segmentation.py holds both to the exact mean)
    (_COMP, 6, "2 -> 3 @16"): "radius 3 by shifted copies instead of the integral image: the same means, to rounding",
    (_COMP, 12, "2 -> 3 @27"): "more zero padding below: the shifted rows read only the first h + 2r rows",
    (_COMP, 12, "2 -> 3 @43"): "more zero padding on the right: the shifted columns read only the first w + 2r",
    (_COMP, 29, "LtE -> Lt @7"): "radius 0 by shifted copies: no shift, the image itself as float32",
    (_COMP, 36, "LtE -> Lt @7"): "radius 2 by the integral image instead of shifted copies: the same means, to rounding",
    (_COMP, 52, "0 -> 1 @30"): "a run's end lies in its start's row (the padding closes every run): same rows",
    (_COMP, 56, "2 -> 3"): "any stride above w (the largest run end) keeps the rows' search keys apart",
    # stroke_width: more zero padding (rows, or columns on either side) adds no run
    (_CUTS, 32, "0 -> 1 @44"): "an empty row above adds no run",
    (_CUTS, 32, "0 -> 1 @47"): "an empty row below adds no run",
    (_CUTS, 32, "1 -> 2 @52"): "a second empty column on the left adds no run",
    (_CUTS, 32, "1 -> 2 @55"): "a second empty column on the right adds no run",
    # cut_paths' early return is a shortcut: at w <= 2 x margin the lo..hi range of candidates is empty
    (_CUTS, 74, "Mult -> Div"): "the shortcut is taken less often; lo..hi is empty at w <= 2 x margin anyway",
    (_CUTS, 74, "LtE -> Lt"): "the shortcut is taken less often; lo..hi is empty at w == 2 x margin anyway",
    (_CUTS, 87, "Sub -> Add"): "(h - 1) // factor is ceil(h / factor) - 1 = traced's last row: the minimum never binds",
    (_CUTS, 91, "Sub -> Add"): "paths never leave the piece: the DP never steps off the small image, "
                               "and (ceil(w / f) - 1) x f <= w - 1",
    (_CUTS, 113, "1 -> 2"): "part numbers go up to len(paths) only: the extra one has no pixel and is skipped",
    # _pieces: labels come from label(), so each of 1..count has a pixel; slot 0 (paper) is never read
    (_MARKS, 99, "Gt -> GtE"): "paper (label 0) gets a peak, box and area too, but only labels 1..count are read",
    (_MARKS, 101, "1 -> 2"): "a spare slot after the last label is never read",
    (_MARKS, 105, "1 -> 2 @29"): "a spare slot after the last label is never read",
    (_MARKS, 105, "1 -> 2 @54"): "a spare slot after the last label is never read",
    (_MARKS, 106, "1 -> 2 @29"): "a spare slot after the last label is never read",
    (_MARKS, 106, "1 -> 2 @53"): "a spare slot after the last label is never read",
    (_MARKS, 106, "1 -> 2 @33"): "every label has a pixel, whose y + 1 >= 1 replaces the start value",
    (_MARKS, 106, "1 -> 2 @57"): "every label has a pixel, whose x + 1 >= 1 replaces the start value",
    (_MARKS, 106, "USub removed @32"): "every label has a pixel, whose y + 1 >= 1 replaces the start value",
    (_MARKS, 106, "USub removed @56"): "every label has a pixel, whose x + 1 >= 1 replaces the start value",
    (_MARKS, 109, "1 -> 2"): "bincount is count + 1 long anyway (the last label has a pixel); the spare slot is not read",
    (_MARKS, 109, "Add -> Sub"): "bincount is count + 1 long anyway: the last label has a pixel",
    # _should_merge's first test is a shortcut: _near's reach round(0.1 h) is less than a gap above 0.25 h
    # (pixels are at least gap + 1 apart), and two pieces at most h tall with such a gap span < 2.5 h
    (_MARKS, 50, "0.25 -> 1.25"): "the shortcut is taken less often; _near rejects a gap over 0.25 h anyway",
    (_MARKS, 142, "Gt -> GtE @7"): "a gap of exactly 0.25 h: _near (reach round(0.1 h)) rejects it anyway",
    (_MARKS, 142, "Or -> And"): "the shortcut is taken less often; _near rejects a gap over 0.25 h anyway",
    (_MARKS, 142, "2.5 -> 3.5"): "the span is at most 2.25 h where the gap is at most 0.25 h: never reaches 2.5 h",
    (_MARKS, 142, "Gt -> GtE @37"): "the span is at most 2.25 h where the gap is at most 0.25 h: never reaches 2.5 h",
    # ... and its side gap of 0.1 h for "stacked": a gap g is g + 1 pixels, beyond _near's round(0.1 h) from g = 0.1 h
    (_MARKS, 144, "GtE -> Gt"): "a side gap of exactly 0.1 h is beyond _near's reach anyway",
    (_MARKS, 144, "0.1 -> 1.1"): "side gaps over 0.1 h are beyond _near's reach anyway",
    (_MARKS, 236, "Sub -> Add @78"): "the last row index, int((y1 - 0.5) / fy) - gy0, is below the grown box's "
                                      "height already: the clip's top never binds",
    (_MARKS, 237, "Sub -> Add @78"): "the last column index is below the grown box's width already: the clip's "
                                      "top never binds",
    (_MARKS, 352, "2 -> 3"): "a positive multiple of the centre sorts the same",
    (_MARKS, 352, "Div -> Mult"): "a positive multiple of the centre sorts the same",
    (_MARKS, 320, "1.0 -> 2.0"): "a scale from 1 up is never used (only scale < 1.0 resizes)",
    (_MARKS, 322, "1.0 -> 2.0"): "scale is at most 1.0; at 1.0 the size is the image's own, which PIL's resize "
                                 "returns as a copy",
    (_MARKS, 322, "Lt -> LtE"): "at scale 1.0 the size is the image's own, which PIL's resize returns as a copy",
    (_LINES, 75, "0 -> 1 @22"): "a run starts and ends in the same row (each row is padded): either index gives its row",
    (_COMP, 95, "Add -> Sub @54"): "every label 1..count has pixels, so bincount is count + 1 long whatever minlength",
    (_LINES, 137, "1 -> 2 @63"): "one more row of work window: the candidates (bands grown by radius) end a row earlier",
    (_LINES, 153, "2 -> 3 @57"): "one more bound past the last line is never read",
    (_LINES, 177, "12 -> 13 @83"): "find_lines calls it only from MIN_HEIGHT 8, where 2.5 x height >= 20 > 13",
    (_LINES, 179, "0 -> 1 @73"): "find_lines, the only caller, ignores the count",
}



def _equivalent(module: str, mutant: Mutant) -> bool:
    """Listed in EQUIVALENT by line and change, or by line, change and column where one line has two alike."""
    return ((module, mutant.line, mutant.what) in EQUIVALENT
            or (module, mutant.line, f"{mutant.what} @{mutant.col}") in EQUIVALENT)


COMPARE_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
                ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
              ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}


@dataclass
class Mutant:
    index: int
    line: int
    what: str
    col: int = 0      # where on the line: tells apart two equal changes on one line ("1 -> 2 @24")


class _Mutator(ast.NodeTransformer):
    """Counts the mutation points in visiting order; with `target`, applies only that one."""

    def __init__(self, target: int | None = None):
        self.target, self.points = target, []

    def _point(self, node, what: str) -> bool:
        self.points.append(Mutant(len(self.points), node.lineno, what, node.col_offset))
        return len(self.points) - 1 == self.target

    def visit_Expr(self, node):          # docstrings and bare expressions: nothing to mutate
        return node if isinstance(node.value, ast.Constant) else self.generic_visit(node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            swap = COMPARE_SWAP.get(type(op))
            if swap and self._point(node, f"{type(op).__name__} -> {swap.__name__}"):
                node.ops[i] = swap()
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAP.get(type(node.op))
        if swap and self._point(node, f"{type(node.op).__name__} -> {swap.__name__}"):
            node.op = swap()
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAP.get(type(node.op))
        if swap and self._point(node, f"{type(node.op).__name__}= -> {swap.__name__}="):
            node.op = swap()
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._point(node, f"{type(node.op).__name__} -> {other.__name__}"):
            node.op = other()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not | ast.USub) and self._point(node, f"{type(node.op).__name__} removed"):
            return node.operand
        return node

    def visit_Constant(self, node):
        value = node.value
        if not isinstance(value, int | float) or isinstance(value, bool):
            return node
        changed = value + 1 if value + 1 != value else value * 2       # 1e30 + 1 is 1e30
        if self._point(node, f"{value!r} -> {changed!r}"):
            return ast.copy_location(ast.Constant(changed), node)
        return node


def mutants(source: str) -> list[Mutant]:
    mutator = _Mutator()
    mutator.visit(ast.parse(source))
    return mutator.points


def mutated(source: str, index: int) -> str:
    return ast.unparse(_Mutator(index).visit(ast.parse(source)))


def _private_copy() -> Path:
    """The checkout's tracked files in a temporary folder (big binary files linked, not copied)."""
    dest = Path(tempfile.mkdtemp(prefix="hwr-mutation-"))
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src, target = ROOT / name, dest / name
        if not src.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".py" or src.suffix in (".toml", ".cfg", ".ini"):
            shutil.copyfile(src, target)
        else:
            target.symlink_to(src)
    return dest


def _run_tests(copy: Path, tests: list[str], timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(copy), "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        # Without the hypothesis and pytest-qt plugins: their imports were 3/4 of a run's CPU (1.2 s -> 0.34 s);
        # the covering tests use neither.
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p",
                               "no:hypothesispytest", "-p", "no:pytestqt", *tests], cwd=copy,
                              env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def _line_set(text: str) -> set[int]:
    """"140-180,322" -> {140, ..., 180, 322}."""
    lines = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        lines.update(range(int(first), int(last or first) + 1))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", help="a path or name fragment from MODULES (default: all)")
    parser.add_argument("--budget", type=float, default=45 * 60, help="seconds for the whole run (default 2700)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per mutant (default: 5x the clean run + 10)")
    parser.add_argument("--every", type=int, default=1, help="try every Nth mutant only (a sampled estimate)")
    parser.add_argument("--lines", type=_line_set, default=None,
                        help="only the mutants on these lines, e.g. 140-180,322 (re-checking survivors)")
    args = parser.parse_args(argv)
    chosen = [m for m in MODULES if not args.module or any(f in m for f in args.module)]
    if not chosen:
        parser.error(f"no module matches {args.module}; choose from {', '.join(MODULES)}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))    # a stopped run still removes its private copy
    copy = _private_copy()
    deadline = time.monotonic() + args.budget
    scores, out_of_time = [], False
    try:
        for module in chosen:
            tests, path = MODULES[module], copy / module
            original = path.read_text()
            start = time.monotonic()
            if _run_tests(copy, tests, 600) != "survived":
                print(f"{module}: its tests fail without any mutation; fix them first", flush=True)
                return 1
            timeout = args.timeout or 5 * (time.monotonic() - start) + 10
            results: dict[str, list[Mutant]] = {"killed": [], "timeout": [], "survived": [], "equivalent": []}
            points = [m for m in mutants(original) if args.lines is None or m.line in args.lines][::max(1, args.every)]
            sampled = f" (every {args.every}th)" if args.every > 1 else ""
            print(f"{module}: {len(points)} mutants{sampled}, {timeout:.0f} s each at most", flush=True)
            for mutant in points:
                if time.monotonic() > deadline:
                    out_of_time = True
                    break
                if _equivalent(module, mutant):
                    results["equivalent"].append(mutant)
                    continue
                path.write_text(mutated(original, mutant.index))
                try:
                    results[_run_tests(copy, tests, timeout)].append(mutant)
                finally:
                    path.write_text(original)
            caught = len(results["killed"]) + len(results["timeout"])
            tried = caught + len(results["survived"])
            score = caught / tried if tried else 0.0
            scores.append((module, score, caught, tried, len(points) - len(results["equivalent"]),
                           time.monotonic() - start))
            for mutant in results["survived"]:
                print(f"  survived  {module}:{mutant.line}  {mutant.what}  @{mutant.col}", flush=True)
            print(f"{module}: {score:.0%} killed ({caught}/{tried}, {len(results['timeout'])} by timeout, "
                  f"{len(results['equivalent'])} equivalent excluded) in {time.monotonic() - start:.0f} s", flush=True)
            if out_of_time:
                break
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    print("\nscore per module (killed / tried):")
    for module, score, caught, tried, total, seconds in scores:
        note = "" if tried >= total else f"  (only {tried} of {total} tried: out of time)"
        print(f"  {score:6.1%}  {caught:4d}/{tried:<4d} {module}  {seconds:.0f} s{note}")
    if out_of_time:
        print(f"stopped at the {args.budget:.0f} s budget; the modules after it were not tried")
    return 0


if __name__ == "__main__":
    sys.exit(main())
