"""Measure reading of real-looking images with the bundled (or any) model.

    python -m hwr_desktop.devtools.reading_bench [--n-single N] [--n-per-condition N] [--json]

Numbers of 3-8 digits in five conditions (spaced, touching, form boxes, ruled/squared paper,
photos), made from MNIST *test* digits with fixed seeds by devtools/number_writer.py: a renderer
written apart from core/number_images.py, which makes the reader's training and validation
numbers, so the reader is not graded on its own training distribution (`--renderer training`
measures on that one instead). Per condition: the exact-string accuracy with its 95 % (Wilson)
interval, the confidently-wrong rate (a wrong number shown without a '?') and the median time per
image; over all five, the expected calibration error of the number confidence (is the best
reading right as often as its probability says?) and the exact share of the 90 % surest numbers;
then the median time to read 1-megapixel photos of 8-digit numbers.

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

import numpy as np

from hwr_desktop.core.precision import cpu_name
from hwr_desktop.core.reading.digit_reader import DEFAULT_MIN_CONFIDENCE, read_image

SINGLE_GROUPS = ("polarity", "size", "format", "noise")
STRING_GROUPS = ("length", "touching", "size", "format", "polarity")
TARGETS = {"spaced": 0.98, "touching": 0.93, "boxes": 0.97, "ruled": 0.97, "photo": 0.95, "all": 0.96}
MAX_CONFIDENTLY_WRONG = 0.01
MAX_NUMBER_ECE = 0.02
MIN_EXACT_AT_90 = 0.99
MAX_PHOTO_MS = 300


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % confidence interval of a proportion (Wilson score interval)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def renderer(name: str):
    """make_numbers(images, labels, condition, n, seed, lengths) of the named renderer."""
    if name == "training":
        from hwr_desktop.core.data.number_images import make_numbers
    else:
        from hwr_desktop.devtools.number_writer import make_numbers
    return make_numbers


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


def run_conditions(read, n: int, seed: int, make_numbers=None) -> dict:
    """Per condition and over all five: accuracy (95 % interval), confidently-wrong rate, median
    time; over all five also the number confidence's calibration error and the exact share at 90 %
    coverage (both of the best reading, before any '?')."""
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.evaluation import confidence_calibration_error
    from hwr_desktop.devtools.number_writer import CONDITIONS
    make_numbers = make_numbers or renderer("writer")
    data = load_mnist()
    report, right, confident_wrong, total = {}, 0, 0, 0
    confidences, best_right = [], []
    for condition in CONDITIONS:
        ok = wrong_unflagged = 0
        times, examples = [], []
        for i, sample in enumerate(make_numbers(data.x_test, data.y_test, condition, n, seed=seed)):
            image = sample.array()
            start = time.perf_counter()
            result = read(image)
            times.append(time.perf_counter() - start)
            text = result.text
            ok += text == sample.text
            wrong_unflagged += text != sample.text and "?" not in text
            best = result.readings[0][0] if result.readings else text
            confidences.append(result.confidence)
            best_right.append(best == sample.text)
            if text != sample.text and len(examples) < 6:
                examples.append({"index": i, "truth": sample.text, "read": text, "best": best,
                                 "confidence": round(result.confidence, 3), **sample.conditions})
        low, high = wilson(ok, n)
        report[condition] = {"n": n, "accuracy": ok / n, "interval": [low, high], "confidently_wrong": wrong_unflagged / n,
                             "median_ms": 1000 * float(np.median(times)), "examples": examples}
        right, confident_wrong, total = right + ok, confident_wrong + wrong_unflagged, total + n
    low, high = wilson(right, total)
    order = np.argsort(-np.asarray(confidences), kind="stable")[:int(round(0.9 * total))]
    report["all"] = {"n": total, "accuracy": right / total, "interval": [low, high],
                     "confidently_wrong": confident_wrong / total,
                     "number_ece": confidence_calibration_error(confidences, best_right),
                     "exact_at_90_coverage": float(np.mean(np.asarray(best_right)[order])) if total else 0.0}
    return report


def time_photos(read, n: int, seed: int, make_numbers=None) -> dict:
    """Median time to read a ~1-megapixel photo of an 8-digit number (decoding not counted)."""
    from hwr_desktop.core.data.mnist import load_mnist
    make_numbers = make_numbers or renderer("writer")
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
    print(f"{'condition':<10} {'accuracy':>9} {'95 % interval':>16} {'target':>7} {'conf.wrong':>10} {'ms/image':>9}")
    for name, row in report.items():
        target = TARGETS[name]
        met = row["accuracy"] >= target and (name != "all" or row["confidently_wrong"] <= MAX_CONFIDENTLY_WRONG)
        ms = f"{row['median_ms']:9.0f}" if "median_ms" in row else " " * 9
        low, high = row["interval"]
        print(f"{name:<10} {row['accuracy']:9.1%} {low:7.1%}-{high:7.1%} {target:7.1%} {row['confidently_wrong']:10.1%} {ms}"
              f"  {'met' if met else 'NOT met'}")
    overall = report["all"]
    print(f"number confidence: ECE {overall['number_ece']:.2%} (target <= {MAX_NUMBER_ECE:.0%}): "
          f"{'met' if overall['number_ece'] <= MAX_NUMBER_ECE else 'NOT met'}; the 90 % surest numbers "
          f"{overall['exact_at_90_coverage']:.2%} exact (target >= {MIN_EXACT_AT_90:.0%}): "
          f"{'met' if overall['exact_at_90_coverage'] >= MIN_EXACT_AT_90 else 'NOT met'}")
    for name, row in report.items():
        for e in row.get("examples", [])[:3]:
            print(f"    {name} miss #{e['index']}: {e['truth']!r} read as {e['read']!r} "
                  f"(best {e.get('best')!r} {e.get('confidence')}, height {e.get('height')})")
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
                                     epilog="Defaults: 1000 single digits and 1000 numbers per condition, seed 0.")
    parser.add_argument("--model", help="model file (default: the bundled model)")
    parser.add_argument("--n-single", type=int, default=1000, help="single-digit images (default 1000)")
    parser.add_argument("--n-per-condition", type=int, default=1000,
                        help="3-8 digit numbers per reading condition (default 1000)")
    parser.add_argument("--reader", help="sequence reader model file (default: the bundled one)")
    parser.add_argument("--digits-only", action="store_true", help="the digit reader alone, without the sequence reader")
    parser.add_argument("--renderer", choices=("writer", "training"), default="writer",
                        help="numbers by devtools/number_writer.py (default) or by core/data/number_images.py, "
                             "the renderer the reader was trained on")
    parser.add_argument("--n-photos", type=int, default=20, help="1-MP photos timed (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-confidence", type=float, default=DEFAULT_MIN_CONFIDENCE)
    parser.add_argument("--backend", choices=("auto", "keras", "litert"), default="auto",
                        help="the digit model's and the sequence reader's back end (default auto: the bundled "
                             "models' LiteRT twins, as `hwr-desktop read`; keras: both through TensorFlow)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.tfload import import_tensorflow
    from hwr_desktop.devtools.synthetic import make_singles
    from hwr_desktop.resources import default_model_path, number_reader_path
    import_tensorflow()
    try:
        predictor = Predictor.from_file(args.model or default_model_path(), args.backend)
    except HwrError as exc:
        print(f"reading_bench: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    singles = run_set(predictor, make_singles(args.n_single, seed=args.seed), SINGLE_GROUPS, args.min_confidence)
    from hwr_desktop.core.reading.number_reader import SequenceReader, read_number
    reader = None if args.digits_only else SequenceReader.from_file(args.reader or number_reader_path(), args.backend)

    def read(image):
        return read_number(predictor, image, reader, args.min_confidence)
    make_numbers = renderer(args.renderer)
    conditions = run_conditions(read, args.n_per_condition, args.seed, make_numbers)
    photos = time_photos(read, args.n_photos, args.seed, make_numbers)
    seconds = time.perf_counter() - start
    report = {"model": args.model or "bundled default", "reader": None if reader is None else
              (args.reader or "bundled"),
              "backends": [predictor.backend, None if reader is None else reader.backend],
              "renderer": args.renderer, "seed": args.seed, "min_confidence": args.min_confidence,
              "cpu": cpu_name(), "single_digit_accuracy": singles["accuracy"], "seconds": round(seconds, 1),
              "single": singles, "conditions": conditions, "photo_1mp": photos}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"model: {report['model']}, reader: {report['reader']} ({'/'.join(map(str, report['backends']))}), "
          f"renderer: {args.renderer}, seed {args.seed}, "
          f"min confidence {args.min_confidence}, {seconds:.0f}s, "
          f"{report['cpu']}, {time.strftime('%Y-%m-%d %H:%M')}")
    if singles["n"]:
        _print_set("single digits read exactly", singles)
    _print_conditions(conditions, photos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
