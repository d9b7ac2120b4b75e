"""Measure reading of real-looking images with the bundled (or any) model.

    python -m hwr_desktop.devtools.reading_bench [--n-single N] [--n-per-condition N] [--json]

Numbers of 3-8 digits in the five conditions of core/data/number_images.py (spaced, touching, form
boxes, ruled/squared paper, photos), made from MNIST *test* digits with fixed seeds: per condition
the exact-string accuracy, the confidently-wrong rate (a wrong number shown without a '?') and the
median time per image; then the median time to read 1-megapixel photos of 8-digit numbers.

Single digits and 3-8 digit numbers are rendered from MNIST *test* digits by devtools/synthetic.py
(random size 15-1000 px, position, polarity, ink colour, lighting, noise, JPEG quality,
transparent and grayscale PNGs), then read with core/reading/digit_reader.read_image exactly as
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

import numpy as np

from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE, read_image
from hwr_desktop.core.training.precision import cpu_name

SINGLE_GROUPS = ("polarity", "size", "format", "noise")
STRING_GROUPS = ("length", "touching", "size", "format", "polarity")
TARGETS = {"spaced": 0.995, "touching": 0.93, "boxes": 0.98, "ruled": 0.98, "photo": 0.97, "all": 0.97}
MAX_CONFIDENTLY_WRONG = 0.01
MAX_PHOTO_MS = 300


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


def run_conditions(read, n: int, seed: int) -> dict:
    """Accuracy, confidently-wrong rate and median time per condition, and over all five."""
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.number_images import CONDITIONS, make_numbers
    data = load_mnist()
    report, right, confident_wrong, total = {}, 0, 0, 0
    for condition in CONDITIONS:
        ok = wrong_unflagged = 0
        times, examples = [], []
        for i, sample in enumerate(make_numbers(data.x_test, data.y_test, condition, n, seed=seed)):
            image = sample.array()
            start = time.perf_counter()
            text = read(image)
            times.append(time.perf_counter() - start)
            ok += text == sample.text
            wrong_unflagged += text != sample.text and "?" not in text
            if text != sample.text and len(examples) < 6:
                examples.append({"index": i, "truth": sample.text, "read": text, **sample.conditions})
        report[condition] = {"n": n, "accuracy": ok / n, "confidently_wrong": wrong_unflagged / n,
                             "median_ms": 1000 * float(np.median(times)), "examples": examples}
        right, confident_wrong, total = right + ok, confident_wrong + wrong_unflagged, total + n
    report["all"] = {"n": total, "accuracy": right / total, "confidently_wrong": confident_wrong / total}
    return report


def time_photos(read, n: int, seed: int) -> dict:
    """Median time to read a ~1-megapixel photo of an 8-digit number (decoding not counted)."""
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.number_images import make_numbers
    data = load_mnist()
    photos = [s.array() for s in make_numbers(data.x_test, data.y_test, "photo", n, seed=seed + 99, lengths=(8, 8))]
    read(photos[0])   # warm-up: the first model call builds the graph
    times = []
    for image in photos:
        start = time.perf_counter()
        read(image)
        times.append(time.perf_counter() - start)
    return {"n": n, "megapixels": round(float(np.mean([p.shape[0] * p.shape[1] for p in photos])) / 1e6, 2),
            "median_ms": 1000 * float(np.median(times))}


def _print_conditions(report: dict, photos: dict) -> None:
    print(f"{'condition':<10} {'accuracy':>9} {'target':>7} {'conf.wrong':>10} {'ms/image':>9}")
    for name, row in report.items():
        target = TARGETS[name]
        met = row["accuracy"] >= target and (name != "all" or row["confidently_wrong"] <= MAX_CONFIDENTLY_WRONG)
        ms = f"{row['median_ms']:9.0f}" if "median_ms" in row else " " * 9
        print(f"{name:<10} {row['accuracy']:9.1%} {target:7.1%} {row['confidently_wrong']:10.1%} {ms}"
              f"  {'met' if met else 'NOT met'}")
    for name, row in report.items():
        for e in row.get("examples", [])[:3]:
            print(f"    {name} miss #{e['index']}: {e['truth']!r} read as {e['read']!r} (height {e.get('height')})")
    print(f"1-MP photo, 8 digits: median {photos['median_ms']:.0f} ms over {photos['n']} "
          f"({photos['megapixels']} MP average; target <= {MAX_PHOTO_MS} ms): "
          f"{'met' if photos['median_ms'] <= MAX_PHOTO_MS else 'NOT met'}")


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
    parser.add_argument("--n-per-condition", type=int, default=200,
                        help="3-8 digit numbers per reading condition (default 200)")
    parser.add_argument("--line-reader", help="line reader model file (default: the bundled one)")
    parser.add_argument("--digits-only", action="store_true", help="without the line reader")
    parser.add_argument("--n-photos", type=int, default=20, help="1-MP photos timed (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-confidence", type=float, default=DEFAULT_MIN_CONFIDENCE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.tfload import import_tensorflow
    from hwr_desktop.devtools.synthetic import make_singles
    from hwr_desktop.resources import default_model_path
    import_tensorflow()
    try:
        predictor = Predictor.from_file(args.model or default_model_path())
    except HwrError as exc:
        print(f"reading_bench: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    singles = run_set(predictor, make_singles(args.n_single, seed=args.seed), SINGLE_GROUPS, args.min_confidence)
    from hwr_desktop.core.reading.line_reader import LineReader, bundled_line_reader
    from hwr_desktop.core.reading.number_reading import read_number
    line_reader = None if args.digits_only else (
        LineReader.from_file(args.line_reader) if args.line_reader else bundled_line_reader())

    def read(image):
        return read_number(predictor, image, line_reader, args.min_confidence).text
    conditions = run_conditions(read, args.n_per_condition, args.seed)
    photos = time_photos(read, args.n_photos, args.seed)
    seconds = time.perf_counter() - start
    report = {"model": args.model or "bundled default", "line_reader": None if line_reader is None else
              (args.line_reader or "bundled"), "seed": args.seed, "min_confidence": args.min_confidence,
              "cpu": cpu_name(), "single_digit_accuracy": singles["accuracy"], "seconds": round(seconds, 1),
              "single": singles, "conditions": conditions, "photo_1mp": photos}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"model: {report['model']}, line reader: {report['line_reader']}, seed {args.seed}, "
          f"min confidence {args.min_confidence}, {seconds:.0f}s, "
          f"{report['cpu']}, {time.strftime('%Y-%m-%d %H:%M')}")
    if singles["n"]:
        _print_set("single digits read exactly", singles)
    _print_conditions(conditions, photos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
