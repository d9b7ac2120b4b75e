"""`hwr-desktop train`: the core training pipeline (core/training/pipeline.py) with a progress bar on stderr.
`hwr-desktop ensemble`: several trained model files combined into one."""
from __future__ import annotations

import argparse

from hwr_desktop.cli.common import (
    EXIT_OK,
    Progress,
    checked_out_path,
    emit_json,
    format_seconds,
    peak_rss_mb,
    require_positive,
)


def register(sub) -> None:
    from hwr_desktop.core.network.presets import PRESETS
    from hwr_desktop.core.precision import PRECISIONS
    train = sub.add_parser("train", help="train a model on the bundled MNIST")
    train.add_argument("--preset", default="default", choices=list(PRESETS),
                       help="the network and training recipe (with --design: the recipe only)")
    train.add_argument("--design", "--architecture", dest="design", metavar="FILE.json",
                       help="train your own network design (see `hwr-desktop design show`)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                       help="handwriting augmentation (default: as the preset)")
    train.add_argument("--precision", choices=PRECISIONS,
                       help="arithmetic (default: as the preset; bfloat16 only where the CPU has it)")
    train.add_argument("--train-limit", type=int, help="train on only the first N training images")
    train.add_argument("--out", help="model file to write (default: a new file in the user data folder)")
    train.add_argument("--json", action="store_true")
    train.set_defaults(func=run_train)

    ensemble = sub.add_parser("ensemble", help="combine trained models into one (their logits averaged)")
    ensemble.add_argument("models", nargs="+", metavar="MODEL", help="two or more .keras files")
    ensemble.add_argument("--out", required=True, help="ensemble model file to write")
    ensemble.add_argument("--tta", action="store_true",
                          help="test-time augmentation: also average each member over the image shifted "
                               "1 px up, down, left and right (5x the work per prediction)")
    ensemble.add_argument("--json", action="store_true")
    ensemble.set_defaults(func=run_ensemble)


def run_train(args) -> int:
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.network.design import load_design
    from hwr_desktop.core.paths import new_model_path
    from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig
    from hwr_desktop.core.training.pipeline import train_model

    require_positive(args, "epochs", "batch_size", "train_limit")
    design = load_design(args.design) if args.design else None
    config = TrainingConfig(preset=args.preset, architecture=design, epochs=args.epochs, batch_size=args.batch_size,
                            learning_rate=args.learning_rate, augment=args.augment, seed=args.seed,
                            precision=args.precision, train_limit=args.train_limit).resolved()
    out = checked_out_path(args.out) if args.out else new_model_path(config.network_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(quiet=args.json)

    class Shown(TrainingCallbacks):
        def on_batch(self, info):
            if info.batch % 10 and info.batch != info.batches:
                return
            progress.bar(f"epoch {info.epoch}/{info.epochs}", info.step, info.total_steps,
                         f"loss {info.loss:.3f} acc {info.accuracy:.3f} {info.images_per_second:5.0f} img/s, "
                         f"{format_seconds(info.remaining)} left")

        def on_epoch(self, info):
            progress.line(f"epoch {info.epoch}/{info.epochs}: loss {info.loss:.4f} acc {info.accuracy:.4f} "
                          f"val_acc {info.val_accuracy:.4f} ({info.seconds:.0f}s)")

    trained = train_model(config, Shown(), out=out)
    progress.done()
    result, metrics = trained.result, trained.info.metrics
    summary = {"model": str(trained.path), "preset": config.preset, "network": config.network_name, "epochs": len(result.history),
               "best_epoch": result.best_epoch, "val_accuracy": result.val_accuracy,
               "test_accuracy": metrics.test_accuracy, "test_loss": metrics.test_loss,
               "train_seconds": metrics.train_seconds, "peak_rss_mb": peak_rss_mb(), "history": trained.info.history}
    if args.json:
        emit_json(summary)
    else:
        print(f"best epoch {result.best_epoch}: val_acc {result.val_accuracy:.4%}, "
              f"test_acc {metrics.test_accuracy:.4%}, {format_seconds(result.seconds)} training")
        print(f"saved {trained.path}")
    return EXIT_OK


def run_ensemble(args) -> int:
    out = checked_out_path(args.out)
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.training.ensemble import make_ensemble

    info = make_ensemble(args.models, out, args.tta)
    metrics = info.metrics
    if args.json:
        emit_json({"model": str(out), "members": [m.to_dict() for m in info.members], **metrics.to_dict()})
    else:
        for member in info.members:
            accuracy = member.metrics.test_accuracy
            print(f"{member.file}: test {float('nan') if accuracy is None else accuracy:.2%}")
        print(f"{info.preset}: val_acc {metrics.val_accuracy:.4%}, test_acc {metrics.test_accuracy:.4%}")
        print(f"saved {out}")
    return EXIT_OK
