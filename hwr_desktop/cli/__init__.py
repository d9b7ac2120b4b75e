"""`hwr-desktop`: thin commands over hwr_desktop.core; with no command it opens the app.

One module per command group (train, design, train_reader for train-reader, train_gate, read, samples,
runs, bench, evaluate, export, calibrate), each with register(sub); what they share is in
common.py. Errors the user can fix print one line on stderr and exit with status 2; unexpected
internal errors exit with 1 (set HWR_DEBUG=1 for the traceback). `--json` prints exactly one
JSON document. TensorFlow's, absl's and the export runtimes' native log lines are silenced for every
command unless `--verbose`. Nothing outside this package imports it but the entry points.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback

from hwr_desktop import __version__
from hwr_desktop.cli import bench, calibrate, design, evaluate, export, read, runs, samples, train, train_gate, train_reader
from hwr_desktop.cli.common import EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USER_ERROR, PROG, Parser, say_error
from hwr_desktop.core.errors import HwrError

# In the order `--help` lists them.
COMMAND_GROUPS = (train, design, train_reader, train_gate, read, samples, runs, bench, evaluate, export, calibrate)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Handwritten digit recognition. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's and the export tools' own log lines (silenced otherwise)")
    parser.add_argument("--self-test", action="store_true",
                        help="check the installation (model, data, recognition, training, GUI) and exit")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


@contextlib.contextmanager
def native_logs_silenced(silence: bool):
    """Point file descriptor 2 at /dev/null while a command runs, so C++ and absl log lines (TensorFlow's
    oneDNN banner, tf2onnx's, onnxruntime's), written there by any library whenever it loads, never
    come before the one-line error. Python's own stderr (our errors, progress, warnings) keeps writing
    to the real stderr through a copy of the descriptor. Restored afterwards (tests call main() in-process)."""
    if not silence:
        yield
        return
    try:
        python_on_fd2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):   # already redirected in Python (e.g. captured): leave it
        python_on_fd2 = False
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    if python_on_fd2:
        sys.stderr = open(saved, "w", buffering=1, encoding=python_stderr.encoding,  # noqa: SIM115
                          errors=python_stderr.errors, closefd=False)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        if python_on_fd2:
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from hwr_desktop.selftest import run_self_test
        return run_self_test()
    if args.command is None:
        from hwr_desktop.app import main as gui_main
        return gui_main()
    verbose = args.verbose or bool(os.environ.get("HWR_DESKTOP_TF_VERBOSE"))
    if verbose:
        os.environ["HWR_DESKTOP_TF_VERBOSE"] = "1"   # core/tfload.py then leaves TensorFlow's banner alone
    with native_logs_silenced(not verbose):
        return _run_command(args)


def _run_command(args) -> int:
    try:
        return args.func(args)
    except HwrError as exc:
        say_error(str(exc))
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so in one line, keep the traceback for HWR_DEBUG
        if os.environ.get("HWR_DEBUG"):
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
