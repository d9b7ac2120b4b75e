"""`hwr-desktop samples add|list|remove|relabel|export|import` and `hwr-desktop finetune`.

The personal sample store lives in the user data folder (HWR_DESKTOP_DATA_DIR overrides it).
`finetune` writes its model only when it keeps MNIST test accuracy at the minimum (99.5 %);
otherwise it says why, writes nothing and exits with status 2.
"""
from __future__ import annotations

from pathlib import Path

from hwr_desktop.cli.common import (
    EXIT_OK,
    EXIT_USER_ERROR,
    Progress,
    checked_out_path,
    emit_json,
    format_seconds,
    process_files,
    require_positive,
    say_error,
)
from hwr_desktop.core.errors import HwrError


def _digit(text: str) -> int:
    if len(text) != 1 or text not in "0123456789":
        raise HwrError(f"--label must be a digit from 0 to 9, not {text!r}")
    return int(text)


def _sample_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise HwrError(f"sample ids are whole numbers, not {text!r}") from None


def _store():
    from hwr_desktop.core.store.samples import SampleStore
    return SampleStore()


def register(sub) -> None:
    samples = sub.add_parser("samples", help="your own handwriting samples, for fine-tuning")
    # sub._parser_class is cli.py's one-line-error parser; the actions get it too.
    ssub = samples.add_subparsers(dest="samples_command", metavar="ACTION", required=True,
                                  parser_class=sub._parser_class)

    add = ssub.add_parser("add", help="add images of one digit (each image holds a single digit)")
    add.add_argument("--label", required=True, help="the digit the images show (0-9)")
    add.add_argument("images", nargs="+", metavar="IMAGE")
    add.add_argument("--json", action="store_true")
    add.add_argument("--force", action="store_true",
                     help="add an image even when the not-a-digit check says it is not one digit")
    add.set_defaults(func=cmd_add)

    lst = ssub.add_parser("list", help="list the stored samples")
    lst.add_argument("--label", help="only this digit")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)

    remove = ssub.add_parser("remove", help="delete samples by id (all or, if any id is unknown, none)")
    remove.add_argument("ids", nargs="+", metavar="ID")
    remove.set_defaults(func=cmd_remove)

    relabel = ssub.add_parser("relabel", help="change the label of a sample: relabel ID D (or ID --label D)")
    relabel.add_argument("id", metavar="ID")
    relabel.add_argument("digit", nargs="?", metavar="D", help="the new digit (0-9)")
    relabel.add_argument("--label", help="the new digit, as an option (as in samples add)")
    relabel.set_defaults(func=cmd_relabel)

    export = ssub.add_parser("export", help="write all samples to a zip (PNGs + labels.csv)")
    export.add_argument("zip", metavar="ZIP")
    export.set_defaults(func=cmd_export)

    import_ = ssub.add_parser("import", help="add the samples of an exported zip")
    import_.add_argument("zip", metavar="ZIP")
    import_.set_defaults(func=cmd_import)

    finetune = sub.add_parser("finetune", help="fine-tune a model on your samples (mixed with MNIST)")
    finetune.add_argument("--model", help="model to start from (default: the bundled model)")
    finetune.add_argument("--epochs", type=int)
    finetune.add_argument("--replay", type=int, help="MNIST images replayed per epoch")
    finetune.add_argument("--seed", type=int, default=0)
    finetune.add_argument("--out", required=True, help="model file to write (.keras)")
    finetune.add_argument("--json", action="store_true")
    finetune.set_defaults(func=cmd_finetune)


def cmd_add(args) -> int:
    from hwr_desktop.core.data.images import load_image
    from hwr_desktop.core.data.preprocess import preprocess
    from hwr_desktop.core.models.not_digit import bundled_gate
    label = _digit(args.label)

    def prepare(name: str) -> dict:
        prepared = preprocess(load_image(name))
        if prepared is None:
            raise HwrError(f"{name}: no digit found in the image")
        gate = None if args.force else bundled_gate()
        if gate is not None:
            p = float(gate.probability(prepared.image)[0])
            if gate.refuses(p):   # a whole number or a letter would teach fine-tuning a wrong digit
                raise HwrError(f"{name}: not one digit ({p:.0%} sure); a number? add each digit as its own "
                               "image (or --force)")
        return {"item": (prepared.image, label, Path(name).read_bytes())}

    # Per file, as predict and read: a file that cannot be read or holds no digit is refused in one
    # line and the others are still added (in one transaction, after all were checked); exit 2 if any failed.
    results, failed = process_files(args.images, prepare, quiet=args.json)
    good = [r for r in results if "item" in r]
    if good:
        with _store() as store:
            ids = store.add_many([r.pop("item") for r in good])
        for r, sample_id in zip(good, ids):
            r.update({"id": sample_id, "label": label})
    if args.json:
        emit_json([{"id": r["id"], "label": label, "file": r["file"]} if "id" in r else r for r in results])
    else:
        for r in good:
            print(f"added sample {r['id']} (digit {label}) from {r['file']}")
    return EXIT_USER_ERROR if failed else EXIT_OK


def cmd_list(args) -> int:
    label = None if args.label is None else _digit(args.label)
    with _store() as store:
        samples = store.list(label)
        counts = store.count_by_label()
        path = store.path
    if args.json:
        emit_json([s.to_dict() for s in samples])
        return EXIT_OK
    print(f"{len(samples)} samples in {path}")
    if label is None:
        print("per digit: " + "  ".join(f"{d}:{n}" for d, n in counts.items()))
    for s in samples:
        print(f"{s.id:6d}  digit {s.label}  added {s.created}" + ("" if s.has_original else "  (no original)"))
    return EXIT_OK


def cmd_remove(args) -> int:
    ids = [_sample_id(text) for text in args.ids]
    with _store() as store:
        store.remove(ids)
    print(f"removed {len(ids)} sample{'s' if len(ids) != 1 else ''}")
    return EXIT_OK


def cmd_relabel(args) -> int:
    if (args.digit is None) == (args.label is None):
        raise HwrError("give the new digit once: samples relabel ID D (or ID --label D)")
    sample_id, label = _sample_id(args.id), _digit(args.digit if args.label is None else args.label)
    with _store() as store:
        store.relabel(sample_id, label)
    print(f"sample {sample_id} is now digit {label}")
    return EXIT_OK


def cmd_export(args) -> int:
    with _store() as store:
        count = store.export_zip(args.zip)
    print(f"exported {count} samples to {args.zip}")
    return EXIT_OK


def cmd_import(args) -> int:
    with _store() as store:
        count = store.import_zip(args.zip)
    print(f"imported {count} new samples from {args.zip}")
    return EXIT_OK


def cmd_finetune(args) -> int:
    from hwr_desktop.core.tfload import import_tensorflow

    require_positive(args, "epochs", "replay")
    out = checked_out_path(args.out)
    import_tensorflow()
    from hwr_desktop.core.training.finetune import FinetuneConfig
    from hwr_desktop.core.training.loop import TrainingCallbacks
    from hwr_desktop.core.training.pipeline import finetune_model
    from hwr_desktop.resources import default_model_path

    base = Path(args.model) if args.model else default_model_path()
    config = FinetuneConfig(seed=args.seed)
    if args.epochs:
        config.epochs = args.epochs
    if args.replay:
        config.replay_size = args.replay
    progress = Progress(quiet=args.json)

    class Shown(TrainingCallbacks):
        def on_batch(self, info):
            if info.batch % 5 == 0 or info.batch == info.batches:
                progress.bar(f"fine-tuning epoch {info.epoch}/{info.epochs}", info.step, info.total_steps,
                             f"loss {info.loss:.3f}, {format_seconds(info.remaining)} left")

    with _store() as store:
        x, y = store.arrays()
    tuned = finetune_model(base, (x, y), config, Shown(), base_name=str(base), out=out)
    result = tuned.result
    progress.done()
    summary = {"model": str(tuned.path) if tuned.path else None, "base_model": str(base), **result.metrics(),
               "min_test_accuracy": config.min_mnist_accuracy, "epochs": len(result.history)}
    if args.json:
        emit_json(summary)
    else:
        held = result.personal_held_out
        if result.personal_accuracy_after is not None:
            print(f"your held-out samples ({held}): {result.personal_accuracy_before:.1%} -> "
                  f"{result.personal_accuracy_after:.1%}")
        print(f"MNIST test: {result.mnist_accuracy_before:.2%} -> {result.mnist_accuracy_after:.2%}; "
              f"{result.personal_samples} personal samples, {format_seconds(result.train_seconds)} fine-tuning")
        if tuned.path:
            print(f"saved {tuned.path}")
    if not result.kept:
        say_error(f"not saved: {result.reason}")
        return EXIT_USER_ERROR
    return EXIT_OK
