"""`hwr-desktop --self-test`: prove that this installation works, from data files to the window.

Runs the same code paths as the app, on the bundled files, and prints one line per check:
PASS/FAIL, what was checked, and how long it took. Exit status 0 only if every check passed.
It must work from a checkout and from the PyInstaller build, from any working directory, with no
display (it falls back to Qt's offscreen platform) and without touching the user's settings.

HWR_DESKTOP_MODEL=path tests another model file instead of the bundled one (for development).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

import numpy as np

from hwr_desktop import __version__
from hwr_desktop.resources import default_model_path, resource_root

MANIFEST = "MANIFEST.sha256"     # written into the bundle's resources by build.spec
MIN_ACCURACY = 0.97              # on the first N MNIST test digits; the bundled model scores ~99.5 %
ACCURACY_DIGITS = 500
# 512 images in batches of 32, not the preset's 128: with only 4 batches the one-cycle warm-up
# (rising learning rate) makes the loss go up before it falls; 16 small batches fall reliably.
TRAIN_IMAGES, TRAIN_BATCH = 512, 32
EXPECTED_FOLDERS = ("datasets/mnist", "models", "icons", "samples")


class CheckFailed(Exception):
    """A check's verdict: the message is the FAIL line's explanation."""


class Context:
    """What earlier checks produced for later ones (the model, its predictor)."""

    def __init__(self):
        self.model_path = Path(os.environ.get("HWR_DESKTOP_MODEL") or default_model_path())
        self.predictor = None
        self.data = None


def _need(value, what: str):
    if value is None:
        raise CheckFailed(f"not run: {what} failed")
    return value


def check_resources(ctx: Context) -> str:
    root = resource_root()
    if not root.is_dir():
        raise CheckFailed(f"resources folder not found: {root}")
    missing = [name for name in EXPECTED_FOLDERS if not (root / name).is_dir()]
    if missing:
        raise CheckFailed(f"{root}: missing {', '.join(missing)}")
    manifest = root / MANIFEST
    if not manifest.is_file():
        return f"{root} (checkout: no build manifest to compare)"
    bad = []
    lines = [line.split("  ", 1) for line in manifest.read_text("utf-8").splitlines() if line.strip()]
    for digest, name in lines:
        path = root / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(name)
    if bad:
        raise CheckFailed(f"{len(bad)} of {len(lines)} files missing or changed since the build: {', '.join(bad[:5])}")
    return f"{root}: {len(lines)} files match the build's SHA-256 manifest"


def check_mnist(ctx: Context) -> str:
    from hwr_desktop.core.data.mnist import SHA256, load_mnist
    ctx.data = load_mnist()  # verifies the SHA-256 of each file; DataError says which one is wrong
    d = ctx.data
    return (f"{len(SHA256)} files, SHA-256 verified: {len(d.x_train)} train, {len(d.x_val)} validation, "
            f"{len(d.x_test)} test images")


def check_tensorflow(ctx: Context) -> str:
    from hwr_desktop.core.tfload import import_tensorflow
    tf = import_tensorflow()
    import keras
    return f"TensorFlow {tf.__version__}, Keras {keras.__version__}, backend {keras.backend.backend()}"


def check_model(ctx: Context) -> str:
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.core.models.modelfile import load_model
    path = ctx.model_path
    if not path.is_file():
        raise CheckFailed(f"model file not found: {path}")
    try:
        with zipfile.ZipFile(path) as archive:  # every member's CRC-32 before Keras parses anything
            broken = archive.testzip()
            members = len(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise CheckFailed(f"{path.name}: not a valid .keras archive ({exc})") from None
    if broken:
        raise CheckFailed(f"{path.name}: member {broken} fails its CRC check (corrupt file)")
    model, info = load_model(path)
    ctx.predictor = Predictor(model, info)
    ctx.predictor.warm_up()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return (f"{path.name} (sha256 {digest}…): {members} members CRC OK, preset {info.preset}, "
            f"{model.count_params():,} parameters")


def _first_digits_accuracy(predictor, data, what: str) -> str:
    """`predictor` on the first ACCURACY_DIGITS MNIST test digits: the PASS text, or CheckFailed."""
    from hwr_desktop.core.data.preprocess import normalize_mnist
    x, y = data.x_test[:ACCURACY_DIGITS], data.y_test[:ACCURACY_DIGITS]
    accuracy = float(np.mean(predictor.probabilities(normalize_mnist(x)).argmax(axis=1) == y))
    if accuracy < MIN_ACCURACY:
        raise CheckFailed(f"{what}accuracy {accuracy:.1%} on the first {len(y)} MNIST test digits, "
                          f"below {MIN_ACCURACY:.0%}")
    return f"{what}{accuracy:.1%} correct on the first {len(y)} MNIST test digits (need {MIN_ACCURACY:.0%})"


def check_accuracy(ctx: Context) -> str:
    return _first_digits_accuracy(_need(ctx.predictor, "loading the model"), _need(ctx.data, "loading MNIST"), "")


def check_ensemble(ctx: Context) -> str:
    # Its own check: it loads layers the single model does not use (Deskew, shifted views), which a
    # frozen build must have packed.
    from hwr_desktop.core.models.inference import Predictor
    from hwr_desktop.resources import ensemble_model_path
    data = _need(ctx.data, "loading MNIST")
    path = ensemble_model_path()
    if not path.is_file():
        raise CheckFailed(f"bundled ensemble not found: {path}")
    predictor = Predictor.from_file(path)
    return _first_digits_accuracy(predictor, data, f"{path.name} ({predictor.info.preset}): ")


def check_samples(ctx: Context) -> str:
    from hwr_desktop.core.data.images import load_image
    predictor = _need(ctx.predictor, "loading the model")
    files = sorted((resource_root() / "samples").glob("[0-9]-*.png"))
    if not files:
        raise CheckFailed("no sample images in resources/samples")
    wrong = []
    for path in files:  # the label is the file name's first character: 7-test0075.png is a 7
        prediction = predictor.predict_image(load_image(path))
        if prediction.digit != int(path.name[0]):
            wrong.append(f"{path.name} read as {prediction.digit}")
    if wrong:
        raise CheckFailed(f"{len(wrong)} of {len(files)} sample images misread: {', '.join(wrong)}")
    return f"{len(files)} of {len(files)} sample images read correctly"


def check_reading(ctx: Context) -> str:
    """The sequence reader (its own network, packed separately) reads touching numbers made from
    MNIST validation digits through the whole reading path, as `hwr-desktop read` does."""
    import numpy as np

    from hwr_desktop.core.data.number_images import number_image
    from hwr_desktop.core.reading.number_reader import SequenceReader, read_number
    from hwr_desktop.resources import number_reader_path
    data = _need(ctx.data, "loading MNIST")
    predictor = _need(ctx.predictor, "loading the model")
    path = number_reader_path()
    if not path.is_file():
        raise CheckFailed(f"bundled number reader not found: {path}")
    reader = SequenceReader.from_file(path)
    right = 0
    for i in range(READING_NUMBERS):
        rng = np.random.default_rng([20261129, i])
        picks = rng.choice(len(data.x_val), 5, replace=False)
        sample = number_image(data.x_val[picks], data.y_val[picks], "touching", rng)
        right += read_number(predictor, sample.array(), reader).text == sample.text
    if right < READING_NUMBERS - 2:
        raise CheckFailed(f"the number reader read only {right} of {READING_NUMBERS} touching numbers exactly")
    return f"number reader: {right} of {READING_NUMBERS} touching 5-digit numbers read exactly ({path.name})"


READING_NUMBERS = 10


def check_training(ctx: Context) -> str:
    from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, train
    data = _need(ctx.data, "loading MNIST")
    losses = []

    class Record(TrainingCallbacks):
        def on_batch(self, info):
            losses.append(info.loss)

    config = TrainingConfig(preset="quick", epochs=1, batch_size=TRAIN_BATCH, train_limit=TRAIN_IMAGES,
                            val_limit=500)
    train(config, Record(), data=data)
    shown = " ".join(f"{v:.2f}" for v in losses)
    if len(losses) != TRAIN_IMAGES // TRAIN_BATCH or not all(np.isfinite(losses)):
        raise CheckFailed(f"training produced the losses [{shown}]")
    first, last = float(np.mean(losses[:4])), float(np.mean(losses[-4:]))  # means: single batches are noisy
    if not last < first:
        raise CheckFailed(f"loss did not fall (first 4 batches {first:.2f}, last 4 {last:.2f}): {shown}")
    return (f"quick preset, {len(losses)} batches of {TRAIN_BATCH}: loss {first:.2f} -> {last:.2f} "
            f"(means of the first and last 4)")


def _child_answers(answers, value) -> None:
    answers.put((value, os.getpid()))


def check_child(ctx: Context) -> str:
    """The app exports in a spawned child process (core/export/in_subprocess.py): in a frozen build that
    only works if the program, started again as the child, runs the function it is sent."""
    import multiprocessing

    from hwr_desktop.core.export.in_subprocess import START_METHOD
    context = multiprocessing.get_context(START_METHOD)
    answers = context.Queue()
    child = context.Process(target=_child_answers, args=(answers, 42), daemon=True)
    child.start()
    try:
        value, pid = answers.get(timeout=60)
    except Exception:
        raise CheckFailed(f"a spawned child process did not answer (exit code {child.exitcode})") from None
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if value != 42 or pid == os.getpid():
        raise CheckFailed(f"the child process answered {value!r} from process {pid}")
    return f"a {START_METHOD}ed child process of this program ran a function and answered (how the app exports)"


def check_gui(ctx: Context) -> str:
    _need(ctx.predictor, "loading the model")
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM") \
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no screen: still test everything but the pixels
    from hwr_desktop.app import create_main_window, window_problem
    problem = window_problem()         # a FAIL line naming the missing libraries, not Qt's abort
    if problem:
        raise CheckFailed(" ".join(problem.split()))
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(["hwr-desktop"])
    window = create_main_window(ctx.model_path)  # loads synchronously: TensorFlow is already imported
    try:
        window.show()
        deadline = time.monotonic() + 10
        while not window.isVisible() and time.monotonic() < deadline:
            app.processEvents()
        app.processEvents()
        if not window.isVisible():
            raise CheckFailed("the main window did not appear")
        if not window.session.ready:
            raise CheckFailed("the main window opened without a model")
        size = f"{window.width()}x{window.height()}"
    finally:
        window.close()
        app.processEvents()
    return f"main window shown ({size}, Qt platform {app.platformName()}) with the model loaded, then closed"


CHECKS = [
    ("resources", check_resources),
    ("mnist", check_mnist),
    ("tensorflow", check_tensorflow),
    ("model", check_model),
    ("accuracy", check_accuracy),
    ("ensemble", check_ensemble),
    ("samples", check_samples),
    ("reading", check_reading),
    ("training", check_training),
    ("child", check_child),
    ("gui", check_gui),
]


@contextlib.contextmanager
def _scratch_user_folders():
    """Settings and user data in a temporary folder, so the check neither reads nor changes the user's."""
    saved = {k: os.environ.get(k) for k in ("HWR_DESKTOP_CONFIG_DIR", "HWR_DESKTOP_DATA_DIR")}
    with tempfile.TemporaryDirectory(prefix="hwr-selftest-") as tmp:
        os.environ["HWR_DESKTOP_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ["HWR_DESKTOP_DATA_DIR"] = str(Path(tmp) / "data")
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _say(line: str) -> None:
    print(line, flush=True)  # flushed: in CI logs each line should appear as its check finishes


def run_self_test() -> int:
    started = time.perf_counter()
    build = "frozen build" if getattr(sys, "frozen", False) else "checkout"
    _say(f"HWR Desktop {__version__} self-test ({build}; Python {platform.python_version()}, "
         f"{platform.system()} {platform.machine()})")
    ctx = Context()
    if os.environ.get("HWR_DESKTOP_MODEL"):
        _say(f"note: testing {ctx.model_path} (HWR_DESKTOP_MODEL), not the bundled model")
    failed = 0
    with _scratch_user_folders():
        for name, check in CHECKS:
            t0 = time.perf_counter()
            try:
                detail, ok = check(ctx), True
            except CheckFailed as exc:
                detail, ok = str(exc), False
            except Exception as exc:  # any error is this check's failure; keep going with the others
                if os.environ.get("HWR_DEBUG"):
                    traceback.print_exc()
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                detail, ok = f"{type(exc).__name__}: {first}"[:400], False
            failed += not ok
            _say(f"{'PASS' if ok else 'FAIL'}  {name:<10} {detail}  [{time.perf_counter() - t0:.2f} s]")
    total = time.perf_counter() - started
    if failed:
        _say(f"self-test FAILED: {failed} of {len(CHECKS)} checks failed ({total:.1f} s)")
        return 1
    _say(f"self-test passed: all {len(CHECKS)} checks in {total:.1f} s")
    return 0
