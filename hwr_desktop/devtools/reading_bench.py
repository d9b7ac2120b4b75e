"""Measure reading of real-looking images with the bundled (or any) model.

    python -m hwr_desktop.devtools.reading_bench [--n-single N] [--n-strings N] [--json]

Single digits and 3-8 digit numbers are rendered from MNIST *test* digits by devtools/synthetic.py
(random size 15-1000 px, position, polarity, ink colour, lighting, noise, JPEG quality,
transparent and grayscale PNGs), then read with core/reading.read_image exactly as
`hwr-desktop read` does. A single digit counts as read when the text is exactly that digit
(a rejection '?' or an extra/missing mark is an error); a string only when every digit is right.
Figures are broken down by condition, and errors by kind (segmentation count vs wrong digit vs
rejected), to show where the remaining errors come from.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

from hwr_desktop.core.reading import DEFAULT_MIN_CONFIDENCE, read_image

SINGLE_GROUPS = ("polarity", "size", "format", "noise")
STRING_GROUPS = ("length", "touching", "size", "format", "polarity")


def _error_kind(read: str, truth: str) -> str:
    if read == truth:
        return "ok"
    if len(read) != len(truth):
        return "segmentation"     # a digit missed, split in two, or two read as one
    return "rejected" if "?" in read else "wrong digit"


def run_set(predictor, samples, groups, min_confidence: float) -> dict:
    by_group = {g: defaultdict(lambda: [0, 0]) for g in groups}
    kinds = defaultdict(int)
    examples = []
    for i, sample in enumerate(samples):
        text = read_image(predictor, sample.array(), min_confidence).text
        kind = _error_kind(text, sample.text)
        kinds[kind] += 1
        for g in groups:
            cell = by_group[g][str(sample.conditions.get(g))]
            cell[0] += kind == "ok"
            cell[1] += 1
        if kind != "ok" and len(examples) < 20:
            examples.append({"index": i, "truth": sample.text, "read": text, **sample.conditions})
    n = len(samples)
    return {"n": n, "accuracy": kinds["ok"] / n if n else 0.0,
            "errors": {k: v for k, v in kinds.items() if k != "ok"},
            "by": {g: {k: {"accuracy": c[0] / c[1], "n": c[1]} for k, c in sorted(cells.items())}
                   for g, cells in by_group.items()},
            "examples": examples}


def _print_set(title: str, report: dict) -> None:
    print(f"{title}: {report['accuracy']:.2%} of {report['n']}  (errors: "
          + (", ".join(f"{k} {v}" for k, v in sorted(report["errors"].items())) or "none") + ")")
    for group, cells in report["by"].items():
        print(f"  by {group}: " + ", ".join(f"{k} {c['accuracy']:.1%} ({c['n']})" for k, c in cells.items()))
    for e in report["examples"][:8]:
        print(f"    miss #{e['index']}: {e['truth']!r} read as {e['read']!r}  "
              f"({e.get('size')}, {e.get('polarity')}, {e.get('format')}, noise {e.get('noise')})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hwr_desktop.devtools.reading_bench",
                                     description=__doc__.splitlines()[0],
                                     epilog="Defaults: 1000 single digits and 300 numbers, seed 0, ~2 minutes.")
    parser.add_argument("--model", help="model file (default: the bundled model)")
    parser.add_argument("--n-single", type=int, default=1000, help="single-digit images (default 1000)")
    parser.add_argument("--n-strings", type=int, default=300, help="3-8 digit numbers (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-confidence", type=float, default=DEFAULT_MIN_CONFIDENCE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.inference import Predictor
    from hwr_desktop.core.tfload import import_tensorflow
    from hwr_desktop.devtools.synthetic import make_singles, make_strings
    from hwr_desktop.resources import default_model_path
    import_tensorflow()
    try:
        predictor = Predictor.from_file(args.model or default_model_path())
    except HwrError as exc:
        print(f"reading_bench: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    singles = run_set(predictor, make_singles(args.n_single, seed=args.seed), SINGLE_GROUPS, args.min_confidence)
    strings = run_set(predictor, make_strings(args.n_strings, seed=args.seed + 1), STRING_GROUPS, args.min_confidence)
    seconds = time.perf_counter() - start
    report = {"model": args.model or "bundled default", "seed": args.seed, "min_confidence": args.min_confidence,
              "single_digit_accuracy": singles["accuracy"], "string_exact_accuracy": strings["accuracy"],
              "seconds": round(seconds, 1), "single": singles, "strings": strings}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"model: {report['model']}, seed {args.seed}, min confidence {args.min_confidence}, {seconds:.0f}s")
    _print_set("single digits read exactly", singles)
    _print_set("3-8 digit strings read exactly", strings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
