"""`hwr-desktop train-reader`: train the line reader (core/line_reader*.py) that reads touching
digits, form boxes, ruled paper and photos, on numbers made from MNIST training digits."""
from __future__ import annotations

import sys
import time

from hwr_desktop.cli.common import EXIT_OK, checked_out_path, emit_json, format_seconds, require_positive


def register(sub) -> None:
    from hwr_desktop.core.line_reader_training import LineReaderConfig
    defaults = LineReaderConfig()
    train = sub.add_parser(
        "train-reader", help="train the line reader (numbers made from MNIST training digits)",
        description="Make numbers from MNIST training digits in five conditions (spaced, touching, form boxes, "
                    "ruled paper, photos), train the line reader on them with CTC, calibrate it and choose its "
                    "rejection threshold on validation digits, and save it. MNIST test digits are never used.")
    train.add_argument("--examples", type=int, default=defaults.examples, help=f"training numbers (default {defaults.examples})")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help=f"default {defaults.epochs}")
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--out", required=True, help="model file to write (the bundled one: resources/models/line_reader.keras)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(func=run_train_reader)


def run_train_reader(args) -> int:
    require_positive(args, "examples", "epochs")
    out = checked_out_path(args.out)
    from hwr_desktop.core.line_reader_training import LineReaderConfig, train_and_save
    config = LineReaderConfig(examples=args.examples, epochs=args.epochs, seed=args.seed)
    start = time.perf_counter()

    def progress(text: str) -> None:
        if not args.json:
            print(f"[{format_seconds(time.perf_counter() - start)}] {text}", file=sys.stderr, flush=True)
    figures = train_and_save(config, out, progress)
    if args.json:
        emit_json(figures)
    else:
        print(f"{out}: validation numbers read exactly {figures['val_exact']:.2%}, temperature "
              f"{figures['temperature']:.3f}, lone confidence {figures['lone_confidence']}, "
              f"{format_seconds(figures['total_seconds'])} in all")
    return EXIT_OK
