"""`hwr-desktop train`: core training plus a stderr progress bar, test evaluation and saving.
`hwr-desktop ensemble`: several trained model files combined into one."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hwr_desktop.core.errors import HwrError


def register(sub) -> None:
    from hwr_desktop.core.precision import PRECISIONS
    from hwr_desktop.core.presets import PRESETS
    train = sub.add_parser("train", help="train a model on the bundled MNIST")
    train.add_argument("--preset", default="default", choices=list(PRESETS))
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


def checked_out_path(value: str) -> Path:
    """An --out model file: a .keras name in a folder that exists (one-line errors otherwise)."""
    out = Path(value)
    if out.suffix != ".keras":
        raise HwrError(f"--out must name a .keras file, not {out.name}")
    if not out.parent.is_dir():
        raise HwrError(f"--out: folder {out.parent} does not exist")
    return out


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux/macOS; 0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def run_train(args) -> int:
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.evaluation import evaluate
    from hwr_desktop.core.mnist import load_mnist
    from hwr_desktop.core.modelfile import make_metadata, save_model
    from hwr_desktop.core.paths import new_model_path
    from hwr_desktop.core.training import TrainingCallbacks, TrainingConfig, train

    for name in ("epochs", "batch_size", "train_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise HwrError(f"--{name.replace('_', '-')} must be at least 1")
    out = checked_out_path(args.out) if args.out else new_model_path(args.preset)
    out.parent.mkdir(parents=True, exist_ok=True)
    config = TrainingConfig(preset=args.preset, epochs=args.epochs, batch_size=args.batch_size,
                            learning_rate=args.learning_rate, augment=args.augment, seed=args.seed,
                            precision=args.precision, train_limit=args.train_limit).resolved()
    show_progress = not args.json

    class Progress(TrainingCallbacks):
        def on_batch(self, info):
            if not show_progress or (info.batch % 10 and info.batch != info.batches):
                return
            width = 30
            done = int(width * info.step / info.total_steps)
            sys.stderr.write(f"\repoch {info.epoch}/{info.epochs} [{'#' * done}{'.' * (width - done)}] "
                             f"{info.step / info.total_steps:4.0%} loss {info.loss:.3f} acc {info.accuracy:.3f} "
                             f"{info.images_per_second:5.0f} img/s, {_format_seconds(info.remaining)} left ")
            sys.stderr.flush()

        def on_epoch(self, info):
            if show_progress:
                sys.stderr.write(f"\repoch {info.epoch}/{info.epochs}: loss {info.loss:.4f} acc {info.accuracy:.4f} "
                                 f"val_acc {info.val_accuracy:.4f} ({info.seconds:.0f}s)" + " " * 30 + "\n")

    result = train(config, Progress())
    data = load_mnist()
    report = evaluate(result.model, data.x_test, data.y_test)
    metrics = {"val_accuracy": result.val_accuracy, "test_accuracy": report.accuracy, "test_loss": report.loss,
               "best_epoch": result.best_epoch, "train_seconds": round(result.seconds, 1)}
    history = [h.to_dict() for h in result.history]
    save_model(result.model, out, make_metadata(config.preset, config.to_dict(), metrics, history))
    summary = {"model": str(out), "preset": config.preset, "epochs": len(result.history),
               "best_epoch": result.best_epoch, "val_accuracy": result.val_accuracy,
               "test_accuracy": report.accuracy, "test_loss": report.loss,
               "train_seconds": round(result.seconds, 1), "peak_rss_mb": peak_rss_mb(), "history": history}
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        print(f"best epoch {result.best_epoch}: val_acc {result.val_accuracy:.4%}, test_acc {report.accuracy:.4%}, "
              f"{_format_seconds(result.seconds)} training")
        print(f"saved {out}")
    return 0


def run_ensemble(args) -> int:
    out = checked_out_path(args.out)
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.ensemble import make_ensemble

    metadata = make_ensemble(args.models, out, args.tta)
    metrics = metadata["metrics"]
    if args.json:
        sys.stdout.write(json.dumps({"model": str(out), "members": metadata["members"], **metrics}, indent=2) + "\n")
    else:
        for member in metadata["members"]:
            print(f"{member['file']}: test {member['metrics'].get('test_accuracy', float('nan')):.2%}")
        print(f"{metadata['preset']}: val_acc {metrics['val_accuracy']:.4%}, "
              f"test_acc {metrics['test_accuracy']:.4%}")
        print(f"saved {out}")
    return 0
