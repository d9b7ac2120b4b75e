"""What every command shares: the one-line-error parser, exit codes, JSON output, loading a model,
reading many files, checking --out, progress on stderr (Progress: the one way long work shows it),
and formatting times.

Errors the user can fix are raised as core.errors.HwrError; `hwr_desktop.cli.main` turns them into
one line on stderr and EXIT_USER_ERROR. Commands never print tracebacks.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hwr_desktop.core.errors import HwrError

PROG = "hwr-desktop"
EXIT_OK, EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (not usage + message) and exit status 2."""

    def error(self, message: str):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def emit_json(document) -> None:
    """`--json`: exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


class Progress:
    """Long work's progress on stderr, the one way every command shows it: on a terminal one line
    redrawn in place with a bar; otherwise (a log, a pipe) a plain line at each tenth of the work.
    `quiet` (--json) shows nothing: stdout stays one JSON document, stderr stays for errors.

        progress = Progress(quiet=args.json)
        progress.bar("evaluating", done, total, "1,000 images/s")   # as often as you like
        progress.line("epoch 1/3: loss 0.1")   # a line that stays (ends the bar)
        progress.done()                        # clears the bar before the results
    """

    WIDTH = 30

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet, self.stream = quiet, stream or sys.stderr
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn = 0           # characters of the bar now on a terminal line
        self._tenth: tuple | None = None

    def bar(self, label: str, done: int, total: int, detail: str = "") -> None:
        if self.quiet or total <= 0:
            return
        share = min(1.0, done / total)
        if self.terminal:
            filled = int(self.WIDTH * share)
            text = f"{label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {detail}".rstrip()
            self.stream.write("\r" + text.ljust(self._drawn))
            self._drawn = len(text)
        else:
            tenth = (label, int(share * 10))
            if tenth == self._tenth:
                return
            self._tenth = tenth
            self.stream.write(f"{label}: {share:.0%} {detail}".rstrip() + "\n")
        self.stream.flush()

    def line(self, text: str) -> None:
        if self.quiet:
            return
        self.done()
        self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        """End the bar: a terminal's line is cleared, so what follows starts on a clean line."""
        if self._drawn and not self.quiet:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
        self._drawn, self._tenth = 0, None


def image_progress(progress: Progress, label: str):
    """A (done, total) callback for core's predict_logits / evaluate: the bar with images done and time left."""
    import time
    start = time.perf_counter()

    def show(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        left = f", {format_seconds((total - done) * elapsed / done)} left" if done and done < total else ""
        progress.bar(label, done, total, f"{done:,}/{total:,} images{left}")
    return show


def say_error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def load_predictor(model_path: str | None, backend: str = "auto"):
    """A core.models.inference.Predictor for --model, or for the bundled model. `auto`: a bundled
    model through its LiteRT twin, without TensorFlow; anything else through Keras."""
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.resources import default_model_path
    path = model_path or default_model_path()
    if backend == "keras" or Predictor.litert_twin(path) is None:
        from hwr_desktop.core.tfload import import_tensorflow
        import_tensorflow()   # TensorFlow's banner silenced before Keras imports it
        backend = "keras"
    return Predictor.from_file(path, backend)


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
                say_error(str(exc))
    return results, failed


def require_positive(args, *names: str) -> None:
    """Options such as --epochs must be at least 1 when given."""
    for name in names:
        value = getattr(args, name)
        if value is not None and value < 1:
            raise HwrError(f"--{name.replace('_', '-')} must be at least 1")


def checked_out_path(value: str, suffix: str = ".keras") -> Path:
    """An --out model file: a .keras (or `suffix`) name in a folder that exists (one-line errors otherwise)."""
    out = Path(value)
    if out.suffix != suffix:
        raise HwrError(f"--out must name a {suffix} file, not {out.name}")
    if not out.parent.is_dir():
        raise HwrError(f"--out: folder {out.parent} does not exist")
    return out


def refuse_installed_resource(path: Path, option: str) -> None:
    """Installed resources (the bundled models) are read-only for the app: a command never writes one,
    even atomically, whatever the defaults would say. One line naming the option that would fix it."""
    from hwr_desktop.resources import resource_root
    try:
        Path(path).resolve().relative_to(resource_root().resolve())
    except ValueError:
        return
    raise HwrError(f"{path} is an installed resource and is never rewritten: give {option} FILE.keras "
                   "for the new file")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux/macOS; 0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
