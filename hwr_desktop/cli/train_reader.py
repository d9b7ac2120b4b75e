"""`hwr-desktop train-reader`: train the line reader (core/reading/line_reader*.py) that reads touching
digits, form boxes, ruled paper and photos, on numbers made from MNIST training digits."""
from __future__ import annotations

import sys
import time

from hwr_desktop.cli.common import EXIT_OK, checked_out_path, emit_json, format_seconds, require_positive


def register(sub) -> None:
    from hwr_desktop.core.reading.line_reader_training import LineReaderConfig
    defaults = LineReaderConfig()
    train = sub.add_parser(
        "train-reader", help="train the line reader (numbers made from MNIST training digits)",
        description="Make numbers from MNIST training digits in five conditions (spaced, touching, form boxes, "
                    "ruled paper, photos), train the line reader on them with CTC, calibrate it and choose its "
                    "rejection threshold on validation digits, and save it. MNIST test digits are never used.")
    train.add_argument("--examples", type=int, default=defaults.examples, help=f"training numbers (default {defaults.examples})")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help=f"default {defaults.epochs}")
    train.add_argument("--seed", type=int, default=defaults.seed,
                       help="examples and initial weights (a different seed: different numbers)")
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                       help=f"peak learning rate, cosine decay (default {defaults.learning_rate})")
    train.add_argument("--resume", metavar="FILE",
                       help="go on training this line reader file on fresh examples instead of starting anew")
    train.add_argument("--thresholds-only", action="store_true",
                       help="with --resume: do not train; only choose the rejection thresholds again on "
                            "validation numbers and write the file to --out")
    train.add_argument("--out", required=True, help="model file to write (the bundled one: resources/models/line_reader.keras)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(func=run_train_reader)


def run_train_reader(args) -> int:
    require_positive(args, "examples", "epochs")
    if not args.learning_rate > 0:
        from hwr_desktop.core.errors import HwrError
        raise HwrError("--learning-rate must be above 0")
    out = checked_out_path(args.out)
    from hwr_desktop.core.reading.line_reader_training import LineReaderConfig, train_and_save
    if args.resume:
        from hwr_desktop.core.models.modelfile import read_info
        read_info(args.resume)   # a missing or corrupt file fails here, in one line, before any work
    if args.thresholds_only and not args.resume:
        from hwr_desktop.core.errors import HwrError
        raise HwrError("--thresholds-only needs --resume FILE (the line reader to choose thresholds for)")
    config = LineReaderConfig(examples=args.examples, epochs=args.epochs, seed=args.seed,
                              learning_rate=args.learning_rate, resume=args.resume)
    start = time.perf_counter()

    def progress(text: str) -> None:
        if not args.json:
            print(f"[{format_seconds(time.perf_counter() - start)}] {text}", file=sys.stderr, flush=True)
    if args.thresholds_only:
        from hwr_desktop.core.reading.line_reader_training import rethreshold
        figures = rethreshold(args.resume, out, progress)
    else:
        figures = train_and_save(config, out, progress)
    if args.json:
        emit_json(figures)
    else:
        print(f"{out}: line reader alone reads {figures['val_exact']:.2%} of validation strips exactly; "
              f"with the digit model, thresholds agree {figures['agree_confidence']} / lone "
              f"{figures['lone_confidence']}: {figures['threshold_choice']['accuracy']:.1%} of validation numbers "
              f"exactly, {figures['threshold_choice']['confidently_wrong']:.1%} confidently wrong; "
              f"{format_seconds(figures['total_seconds'])} in all")
    return EXIT_OK
