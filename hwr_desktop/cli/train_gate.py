"""`hwr-desktop train-gate`: train the not-a-digit gate (core/training/not_digit_training.py), the small
network beside every digit model that says when a drawing or a cut-out mark is not one digit."""
from __future__ import annotations

import sys
import time
from dataclasses import fields

from hwr_desktop.cli.common import EXIT_OK, checked_out_path, emit_json, format_seconds


def register(sub) -> None:
    from hwr_desktop.core.training.not_digit_training import GateConfig
    defaults = GateConfig()
    gate = sub.add_parser(
        "train-gate", help="train the not-a-digit gate (MNIST training digits vs made-up non-digits)",
        description="Train the not-a-digit gate on MNIST training digits and made-up non-digits (letters and "
                    "symbols from fonts and pen strokes, dots, dashes, shapes, grids, scribbles, two digits side "
                    "by side, smudges), keep the epoch with the lowest validation loss, fit its temperature and "
                    "choose its threshold on validation images, check the numpy copy against Keras and write it. "
                    "MNIST test digits are never used. About 20 minutes on 2 cores.")
    gate.add_argument("--out", required=True, help="gate file to write (the bundled one: resources/models/not_digit.npz)")
    for f in fields(GateConfig):
        kind = {"int": int, "float": float}[f.type]
        gate.add_argument("--" + f.name.replace("_", "-"), type=kind, default=getattr(defaults, f.name),
                          help=f"default {getattr(defaults, f.name)}")
    gate.add_argument("--json", action="store_true")
    gate.set_defaults(func=run_train_gate)


def run_train_gate(args) -> int:
    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.training.not_digit_training import GateConfig, train_gate
    out = checked_out_path(args.out, ".npz")
    config = GateConfig(**{f.name: getattr(args, f.name) for f in fields(GateConfig)})
    if min(config.non_digits, config.epochs, config.batch_size, *config.widths) <= 0 or min(config.redrawn, config.stroked) < 0:
        raise HwrError("--non-digits, --epochs, --batch-size and the widths must be above 0, --redrawn and --stroked at least 0")
    if not (0 < config.max_refused < 0.5 and config.non_digit_weight > 0 and config.learning_rate > 0):
        raise HwrError("--max-refused must be between 0 and 0.5; --non-digit-weight and --learning-rate above 0")
    start = time.perf_counter()

    def progress(text: str) -> None:
        if not args.json:
            print(f"[{format_seconds(time.perf_counter() - start)}] {text}", file=sys.stderr, flush=True)
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    meta = train_gate(out, config, progress, command=" ".join(["hwr-desktop", *sys.argv[1:]]))
    if args.json:
        emit_json(meta)
    else:
        v = meta["validation"]
        print(f"{out}: validation digits refused {v['digits_refused']:.2%}, non-digits caught "
              f"{v['non_digits_caught']:.2%} (threshold {meta['threshold']:.3f}, temperature {meta['temperature']:.3f}); "
              f"trained {format_seconds(meta['seconds'])}")
    return EXIT_OK
