"""`hwr-desktop`: thin subcommands over hwr_desktop.core; with no subcommand it launches the GUI.

Errors the user can fix print one line on stderr and exit with status 2; unexpected internal
errors exit with 1 (set HWR_DEBUG=1 for the traceback). `--json` prints exactly one JSON document.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from hwr_desktop import __version__
from hwr_desktop.core.errors import HwrError

PROG = "hwr-desktop"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + message
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _emit_json(document) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def _load_predictor(model_path: str | None):
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.inference import Predictor
    from hwr_desktop.resources import default_model_path
    return Predictor.from_file(model_path or default_model_path())


def cmd_evaluate(args) -> int:
    from hwr_desktop.core.evaluation import evaluate
    from hwr_desktop.core.mnist import load_mnist
    predictor = _load_predictor(args.model)
    data = load_mnist()
    report = evaluate(predictor.model, data.x_test, data.y_test,
                      outputs_are_probabilities=predictor.metadata.get("outputs") == "probabilities")
    if args.json:
        _emit_json({"model": str(args.model or "bundled default"), **report.to_dict()})
        return 0
    print(f"model: {args.model or 'bundled default'} (preset {predictor.metadata.get('preset')})")
    print(f"MNIST test: accuracy {report.accuracy:.4%}, loss {report.loss:.4f}, "
          f"{int((report.predictions != report.labels).sum())} errors of {report.n}")
    print("digit  precision  recall     f1")
    for d in range(10):
        print(f"  {d}     {report.precision[d]:.4f}    {report.recall[d]:.4f}  {report.f1[d]:.4f}")
    print("confusion matrix (rows: true digit, columns: predicted):")
    for d, row in enumerate(report.confusion):
        print(f"  {d}: " + " ".join(f"{v:5d}" for v in row))
    return 0


def process_files(names: list[str], process, quiet: bool) -> tuple[list[dict], bool]:
    """process(name) -> dict, for every file in order. A file that cannot be read gets
    {"file", "error"} (and one stderr line unless quiet); the others are still processed."""
    results, failed = [], False
    for name in names:
        try:
            results.append({"file": name, **process(name)})
        except HwrError as exc:
            failed = True
            results.append({"file": name, "error": str(exc)})
            if not quiet:
                print(f"{PROG}: error: {exc}", file=sys.stderr)
    return results, failed


def cmd_predict(args) -> int:
    from hwr_desktop.core.images import load_image
    predictor = _load_predictor(args.model)
    results, failed = process_files(args.images, lambda name: predictor.predict_image(load_image(name)).to_dict(),
                                    quiet=args.json)
    if args.json:
        _emit_json(results)
    else:
        for r in results:
            if "error" in r:
                continue
            shown = "no digit" if r["digit"] is None else f"{r['digit']} ({r['confidence']:.1%})"
            print(f"{r['file']}: {shown}")
    return 2 if failed else 0


def _command_modules():
    """Command groups that live in their own modules; each has register(subparsers)."""
    from hwr_desktop import cli_bench, cli_read, cli_samples, cli_train
    return (cli_train, cli_read, cli_samples, cli_bench)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Handwritten digit recognition. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="check the installation (model, data, recognition, training, GUI) and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for module in _command_modules():
        module.register(sub)

    evaluate = sub.add_parser("evaluate", help="evaluate a model on the MNIST test set")
    evaluate.add_argument("--model", help="model file (default: the bundled model)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=cmd_evaluate)

    predict = sub.add_parser("predict", help="recognize the single digit in each image")
    predict.add_argument("--model", help="model file (default: the bundled model)")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--json", action="store_true")
    predict.set_defaults(func=cmd_predict)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from hwr_desktop.selftest import run_self_test
        return run_self_test()
    if args.command is None:
        from hwr_desktop.app import main as gui_main
        return gui_main()
    try:
        return args.func(args)
    except HwrError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line, keep the traceback for HWR_DEBUG
        if os.environ.get("HWR_DEBUG"):
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
