"""Measure the not-a-digit gate with the bundled digit model: the issue's targets, printed.

    python -m hwr_desktop.devtools.not_digit_bench [--n-non-digits N] [--json]

- MNIST test (10,000; reporting only, nothing is chosen on it): accuracy with a refused digit
  counted wrong, the share refused, and the expected calibration error over the eleven outcomes
  (ten digits with (1 - g) of their probability each, "not a digit" with g);
- the same test digits redrawn on a page and prepared again, as a drawing arrives (share refused);
- non-digits drawn in the "bench" style (fonts, pen widths and letters the gate's training never
  used; seeds of their own; pairs of MNIST test digits): the share still given a digit with at least
  50 % confidence, per kind.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hwr_desktop.core.data.mnist import load_mnist
from hwr_desktop.core.data.non_digits import KINDS, digits_on_page, make_non_digits
from hwr_desktop.core.models.evaluation import expected_calibration_error
from hwr_desktop.core.models.inference import Predictor
from hwr_desktop.core.models.not_digit import bundled_gate
from hwr_desktop.core.precision import cpu_name
from hwr_desktop.resources import default_model_path

BENCH_SEED = 2026
TARGETS = {"test_accuracy": (">=", 0.996), "test_refused": ("<=", 0.003), "non_digits_given_a_digit": ("<=", 0.03),
           "test_ece_11": ("<=", 0.01)}


def eleven(probs10: np.ndarray, gate_probs: np.ndarray) -> np.ndarray:
    """(N, 11): each digit's probability times (1 - g), then g for "not a digit"."""
    g = gate_probs[:, None]
    return np.concatenate([probs10 * (1.0 - g), g], axis=1)


def measure(n_non_digits: int = 4500) -> dict:
    gate = bundled_gate()
    if gate is None:
        raise SystemExit("no bundled gate (resources/models/not_digit.npz)")
    predictor = Predictor.from_file(default_model_path())
    data = load_mnist()
    x_test = data.x_test.astype(np.float32) / 255.0
    probs = predictor.probabilities(x_test)
    g = gate.probability(x_test)
    refused = g >= gate.threshold
    correct = (probs.argmax(axis=1) == data.y_test) & ~refused
    redrawn = digits_on_page(data.x_test, BENCH_SEED)
    others, kinds = make_non_digits(n_non_digits, seed=BENCH_SEED, style="bench", digits=data.x_test)
    others_g = gate.probability(others)
    others_probs = predictor.probabilities(others)
    best_digit = (others_probs * (1.0 - others_g)[:, None]).max(axis=1)
    given = (others_g < gate.threshold) & (best_digit >= 0.5)
    kinds = np.array(kinds)
    return {
        "test_accuracy": float(correct.mean()),
        "test_accuracy_without_gate": float((probs.argmax(axis=1) == data.y_test).mean()),
        "test_refused": float(refused.mean()),
        "test_ece_11": expected_calibration_error(eleven(probs, g), data.y_test),
        "test_ece_10_without_gate": expected_calibration_error(probs, data.y_test),
        "redrawn_test_refused": float((gate.probability(redrawn) >= gate.threshold).mean()),
        "non_digits_given_a_digit": float(given.mean()),
        "non_digits_refused": float((others_g >= gate.threshold).mean()),
        "given_by_kind": {k: round(float(given[kinds == k].mean()), 4) for k in KINDS},
        "n_non_digits": int(len(others)), "threshold": gate.threshold, "temperature": gate.temperature,
        "backend": predictor.backend,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-non-digits", type=int, default=4500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    started = time.time()
    figures = measure(args.n_non_digits)
    figures.update(cpu=cpu_name(), date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   seconds=round(time.time() - started, 1),
                   command="python -m hwr_desktop.devtools.not_digit_bench" +
                           (f" --n-non-digits {args.n_non_digits}" if args.n_non_digits != 4500 else ""))
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    print(f"{figures['command']}  ({figures['cpu']}, {figures['date']}, {figures['seconds']} s)")
    for name, (op, target) in TARGETS.items():
        value = figures[name]
        met = value >= target if op == ">=" else value <= target
        print(f"  {name:28s} {value:8.4%}   target {op} {target:.1%}   {'met' if met else 'NOT MET'}")
    print(f"  without the gate: test accuracy {figures['test_accuracy_without_gate']:.2%}, "
          f"ECE over ten {figures['test_ece_10_without_gate']:.2%}")
    print(f"  test digits redrawn on a page, refused: {figures['redrawn_test_refused']:.2%}")
    print(f"  non-digits refused: {figures['non_digits_refused']:.2%} of {figures['n_non_digits']}; "
          "given a digit >= 50 % by kind: " + ", ".join(f"{k} {v:.1%}" for k, v in figures["given_by_kind"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
