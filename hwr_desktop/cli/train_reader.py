"""`hwr-desktop train-reader`: train the sequence reader (core/reading/sequence_training.py) that reads
whole numbers (touching digits, form boxes, ruled paper, photos), resumably, then fit its reading
settings on validation numbers (core/reading/number_reader_fit.py) and write its model file."""
from __future__ import annotations

import shutil
import sys
import time
from dataclasses import fields
from pathlib import Path

from hwr_desktop.cli.common import EXIT_OK, checked_out_path, emit_json, format_seconds


def register(sub) -> None:
    from hwr_desktop.core.reading.sequence_training import ReaderTrainingConfig
    defaults = ReaderTrainingConfig()
    train = sub.add_parser(
        "train-reader", help="train the number reader (numbers made from MNIST training digits)",
        description="Train the sequence reader on numbers made on the fly from MNIST training digits (spaced, "
                    "touching, printed-line remains, blur, noise, and numbers sent through the real reading "
                    "path), with CTC, AdamW, warm-up and cosine decay and a moving average of the weights; a "
                    "checkpoint is written to the run folder at least every --checkpoint-minutes, and --resume "
                    "continues exactly where it stopped. When all steps are done, the reading settings (the "
                    "digit model's weight, the number confidence's temperature, the '?' thresholds) are fitted "
                    "on validation numbers and the reader is written to --out. MNIST test digits are never used.")
    train.add_argument("--out", required=True,
                       help="model file to write (the bundled one: resources/models/number_reader.keras)")
    train.add_argument("--run-dir", metavar="DIR",
                       help="folder for the checkpoint and the made data, about 200 MB (default: reader-runs/OUT's "
                            "name in the user data folder, never beside a bundled model)")
    train.add_argument("--resume", metavar="CHECKPOINT",
                       help="go on from this checkpoint.npz with its settings, in its folder or in --run-dir "
                            "(the committed one: resources/checkpoints/number_reader.npz)")
    train.add_argument("--fit-only", action="store_true",
                       help="with --resume: no more training; fit the reading settings of the checkpoint's "
                            "network (its moving-average weights) and write --out")
    for f in fields(ReaderTrainingConfig):
        if f.name in ("workers",):
            continue
        kind = {"int": int, "float": float, "str": str, "bool": _yes}[f.type]
        train.add_argument("--" + f.name.replace("_", "-"), type=kind, default=getattr(defaults, f.name),
                           help=f"default {getattr(defaults, f.name)}")
    train.add_argument("--json", action="store_true")
    train.set_defaults(func=run_train_reader)


def _default_run_dir(out: Path) -> Path:
    from hwr_desktop.core.paths import data_dir
    return data_dir() / "reader-runs" / out.stem


def _yes(text: str) -> bool:
    return text.lower() in ("1", "true", "yes", "on")


def run_train_reader(args) -> int:
    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.reading.sequence_training import (
        VARIATIONS,
        ReaderTrainingConfig,
        model_from_checkpoint,
        read_checkpoint,
        train,
    )
    out = checked_out_path(args.out)
    config = ReaderTrainingConfig(**{f.name: getattr(args, f.name) for f in fields(ReaderTrainingConfig)
                                     if hasattr(args, f.name)})
    for name in ("steps", "batch_size", "validate_every"):
        if getattr(config, name) <= 0:
            raise HwrError(f"--{name.replace('_', '-')} must be above 0")
    if not config.peak_learning_rate > 0:
        raise HwrError("--peak-learning-rate must be above 0")
    if config.variation not in VARIATIONS:
        raise HwrError(f"--variation is standard or wide, not {config.variation!r}")
    if config.init_from and not args.fit_only:
        read_checkpoint(Path(config.init_from))   # a missing or damaged starting point fails here, in one line
    if args.fit_only and not args.resume:
        raise HwrError("--fit-only needs --resume CHECKPOINT (the network to fit the settings of)")
    if args.resume:
        checkpoint = Path(args.resume)
        read_checkpoint(checkpoint)       # a missing or damaged checkpoint fails here, in one line, before any work
        run_dir = Path(args.run_dir) if args.run_dir else checkpoint.parent
        if run_dir.resolve() != checkpoint.parent.resolve():   # e.g. the committed checkpoint: the run goes on elsewhere
            run_dir.mkdir(parents=True, exist_ok=True)
            if (run_dir / "checkpoint.npz").exists():
                raise HwrError(f"{run_dir} already holds a checkpoint: resume that one, or choose another --run-dir")
            shutil.copyfile(checkpoint, run_dir / "checkpoint.npz")
            checkpoint = run_dir / "checkpoint.npz"
    else:
        run_dir = Path(args.run_dir) if args.run_dir else _default_run_dir(out)
        if (run_dir / "checkpoint.npz").exists():
            raise HwrError(f"{run_dir} already holds a checkpoint: continue it with --resume {run_dir / 'checkpoint.npz'}"
                           " or choose another --run-dir")
    start = time.perf_counter()

    def progress(text: str) -> None:
        if not args.json:
            print(f"[{format_seconds(time.perf_counter() - start)}] {text}", file=sys.stderr, flush=True)
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    if args.fit_only:
        model, meta = model_from_checkpoint(checkpoint)
        training = {"config": meta["config"], "history": meta["history"], "seconds": meta["seconds"], "step": meta["step"]}
    else:
        figures = train(config, run_dir, progress)
        if figures["step"] < figures["steps"]:
            progress(f"stopped at step {figures['step']} of {figures['steps']}; continue with "
                     f"--resume {run_dir / 'checkpoint.npz'}")
            return EXIT_OK
        model, meta = model_from_checkpoint(run_dir / "checkpoint.npz")
        training = {"config": meta["config"], "history": meta["history"], "seconds": meta["seconds"], "step": meta["step"]}
    training.update(command=" ".join(["hwr-desktop", *sys.argv[1:]]), train_command=training_command(training["config"]),
                    cpu=_cpu())
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.reading.number_reader_fit import fit_and_save
    from hwr_desktop.resources import default_model_path
    progress("fitting the reading settings on validation numbers")
    figures = fit_and_save(model, out, Predictor.from_file(default_model_path()), training, progress=progress)
    if args.json:
        emit_json(figures)
    else:
        print(f"{out}: {figures['accuracy']:.1%} of {figures['validation_numbers']} validation numbers read exactly, "
              f"{figures['confidently_wrong']:.1%} confidently wrong, number confidence ECE {figures['number_ece']:.1%}; "
              f"trained {format_seconds(training['seconds'])}")
    return EXIT_OK


def training_command(config: dict) -> str:
    """The train-reader command that trains a network with `config` (the options that differ from the defaults)."""
    from hwr_desktop.core.reading.sequence_training import ReaderTrainingConfig
    defaults = ReaderTrainingConfig()
    options = [f"--{name.replace('_', '-')} {value}" for name, value in config.items()
               if name != "workers" and hasattr(defaults, name) and getattr(defaults, name) != value]
    return " ".join(["hwr-desktop train-reader --out number_reader.keras", *options])


def _cpu() -> str:
    from hwr_desktop.core.precision import cpu_name
    return cpu_name()
