"""Measurements behind `hwr-desktop bench` (no Qt here; GUI figures come from gui_probe.py).

Time to 99 %: each preset trains with its own recipe and is evaluated on the MNIST test set
after every epoch; the clock counts training (including its validation pass) and excludes
that extra test evaluation. The run stops once the threshold is reached. Test accuracy is
used here only to *report* when a recipe gets there, never to choose anything.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def time_to_accuracy(preset: str, threshold: float = 0.99, max_epochs: int | None = None,
                     train_limit: int | None = None, seed: int = 0) -> dict:
    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.models.evaluation import evaluate
    from hwr_desktop.core.training.loop import TrainingCallbacks, TrainingConfig, train

    data = load_mnist()
    stop = threading.Event()

    class Clock(TrainingCallbacks):
        def __init__(self):
            self.excluded, self.curve, self.reached_at = 0.0, [], None

        def on_start(self, model, config):
            self.model, self.start = model, time.perf_counter()

        def on_epoch(self, info):
            seconds = time.perf_counter() - self.start - self.excluded   # training time so far
            t0 = time.perf_counter()
            accuracy = evaluate(self.model, data.x_test, data.y_test).accuracy
            self.excluded += time.perf_counter() - t0
            self.curve.append({"epoch": info.epoch, "test_accuracy": accuracy, "seconds": round(seconds, 2)})
            if accuracy >= threshold and self.reached_at is None:
                self.reached_at = seconds
                stop.set()

    clock = Clock()
    config = TrainingConfig(preset=preset, seed=seed, train_limit=train_limit,
                            epochs=max_epochs)
    train(config, clock, stop)
    return {"preset": preset, "threshold": threshold, "reached": clock.reached_at is not None,
            "seconds": None if clock.reached_at is None else round(clock.reached_at, 2),
            "epochs": len(clock.curve), "curve": clock.curve}


def canvas_like_images(n: int, side: int = 420, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """MNIST test digits drawn dark-on-light at canvas size, as the app's canvas hands them over."""
    from PIL import Image

    from hwr_desktop.core.data.mnist import load_mnist
    data = load_mnist()
    idx = np.random.default_rng(seed).choice(len(data.x_test), n, replace=False)
    images = []
    for i in idx:
        digit = Image.fromarray(data.x_test[i]).resize((side * 2 // 3, side * 2 // 3), Image.Resampling.BILINEAR)
        canvas = Image.new("L", (side, side), 0)
        canvas.paste(digit, (side // 6, side // 6))
        images.append(255 - np.asarray(canvas))
    return images, data.y_test[idx]


def prediction_latency(model_path, n: int = 300) -> dict:
    """Preprocessing + direct model call for one canvas image at a time (what each stroke costs)."""
    from hwr_desktop.core.models.inference import Predictor
    predictor = Predictor.from_file(model_path)
    images, labels = canvas_like_images(n)
    for image in images[:10]:
        predictor.predict_image(image)  # warm-up: tracing, caches
    times, correct = [], 0
    for image, label in zip(images, labels):
        t0 = time.perf_counter()
        prediction = predictor.predict_image(image)
        times.append((time.perf_counter() - t0) * 1000)
        correct += prediction.digit == label
    return {"n": n, "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
            "accuracy": correct / n}


def stroke_to_activations(model_path=None, repetitions: int = 200) -> dict:
    """A drawing through preprocessing and LayerProbe: what the Inside tab's Every layer pays per stroke
    (devtools/inside_bench.py; median_ms, p95_ms, ...)."""
    from hwr_desktop.devtools.inside_bench import stroke_to_activations as measure
    return measure(model_path, repetitions)


def _run_json(argv: list[str], env: dict | None = None, timeout: float = 1800) -> tuple[dict, float]:
    t0 = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    wall = time.perf_counter() - t0
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout), wall  # the commands print exactly one JSON document


# Runs `python -m hwr_desktop ARGS` and, at exit, writes its peak memory (VmHWM: this process's own
# peak; ru_maxrss would count the bench's memory at fork too, Linux carrying it over the exec).
_PEAK_WRAPPER = """import atexit, os, runpy, sys
def _peak():
    with open('/proc/self/status') as status, open(os.environ['HWR_BENCH_PEAK_FILE'], 'w') as out:
        out.write(next(line.split()[1] for line in status if line.startswith('VmHWM:')))
atexit.register(_peak)
sys.argv = ['hwr-desktop', *sys.argv[1:]]
runpy.run_module('hwr_desktop', run_name='__main__')
"""


def measured_child(args: list[str], env: dict, timeout: float = 300) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak resident memory in MB) of `python -m hwr_desktop ARGS` in a fresh
    process (the wall time includes the interpreter's start, as a user's command does). Linux."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, *args], capture_output=True, text=True,
                                timeout=timeout, env={**env, "HWR_BENCH_PEAK_FILE": str(peak_file)})
        wall = time.perf_counter() - t0
        if result.returncode != 0:
            raise RuntimeError(f"hwr-desktop {' '.join(args[:1])} failed ({result.returncode}): "
                               f"{(result.stdout + result.stderr).strip()[-500:]}")
        return result.stdout, wall, int(peak_file.read_text()) / 1024


def launch_times(env: dict) -> dict:
    """Launch the app; it reports launch -> window shown and -> model ready itself, then quits.
    `peak_rss_mb`: the whole start's peak memory (window idle, model ready, nothing trained)."""
    out, _, peak = measured_child([], {**env, "HWR_DESKTOP_EXIT_AFTER_SHOWN": "1"})
    found = dict(re.findall(r"^(window shown|model ready) ([0-9.]+) s after launch", out, re.MULTILINE))
    if len(found) != 2:
        raise RuntimeError(f"start-up measurement failed: {out.strip()[-500:]}")
    return {"shown": float(found["window shown"]), "ready": float(found["model ready"]), "peak_rss_mb": peak}


def number_photo(folder: Path) -> Path:
    """A photo of a 5-digit number (MNIST validation digits, core/data/number_images.py) as a JPEG."""
    from PIL import Image

    from hwr_desktop.core.data.mnist import load_mnist
    from hwr_desktop.core.data.number_images import number_image
    data = load_mnist()
    rng = np.random.default_rng(30)
    picks = rng.choice(len(data.x_val), 5, replace=False)
    path = folder / "number.jpg"
    Image.fromarray(number_image(data.x_val[picks], data.y_val[picks], "photo", rng).array()).convert("RGB").save(
        path, quality=90)
    return path


def start_figures(launches: int = 3, commands: int = 3) -> dict:
    """What "open in a blink" asks (issue 30), each the median of fresh processes: the app's start
    (window shown, model ready, the start's peak memory) and the wall time and peak memory of
    `hwr-desktop predict digit.png` and `hwr-desktop read number.jpg`, as a user runs them."""
    from hwr_desktop.resources import resource_path
    with tempfile.TemporaryDirectory() as scratch:
        # As a user's second start: Python's bytecode caches written (pip and PyInstaller ship them). With
        # PYTHONDONTWRITEBYTECODE set (some shells and sandboxes set it) every start would compile ~150
        # modules again, ~0.15 s that no user sees. One start and one of each command first, not counted.
        env = {k: v for k, v in probe_environment(Path(scratch)).items() if k != "PYTHONDONTWRITEBYTECODE"}
        launch_times(env)
        starts = [launch_times(env) for _ in range(launches)]
        runs = {}
        for name, argv in (("predict", ["predict", str(resource_path("samples", "7-test0075.png"))]),
                           ("read", ["read", str(number_photo(Path(scratch)))])):
            measured_child(argv, env)
            runs[name] = [measured_child(argv, env)[1:] for _ in range(commands)]
    return {"startup_shown_s": float(np.median([x["shown"] for x in starts])),
            "startup_ready_s": float(np.median([x["ready"] for x in starts])),
            "start_peak_rss_mb": float(np.median([x["peak_rss_mb"] for x in starts])),
            **{f"{name}_command_s": float(np.median([wall for wall, _ in r])) for name, r in runs.items()},
            **{f"{name}_command_rss_mb": float(np.median([peak for _, peak in r])) for name, r in runs.items()},
            "start_runs": {"launches": starts, "commands": {name: [{"seconds": round(w, 3), "peak_rss_mb": round(m, 1)}
                                                                   for w, m in r] for name, r in runs.items()}}}


TRAINING_FIGURES = ("training_gap_p50_ms", "training_gap_p99_ms", "training_gap_max_ms", "training_gaps_over_33ms",
                    "training_gap_samples", "panel_images_per_second", "stop_latency_s")


def probe_environment(scratch: Path) -> dict:
    """The GUI probes' environment: offscreen, with throw-away settings and user data, so the runs the
    Training panel makes while it is measured never enter the user's run history (nor their recent files)."""
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HWR_DESKTOP_CONFIG_DIR": str(scratch / "config"),
            "HWR_DESKTOP_DATA_DIR": str(scratch / "data")}


def gui_figures(strokes: int = 100, train_seconds: float = 12.0, rounds: int = 2) -> dict:
    """Interaction figures, each from a fresh process (start-up: `start_figures`).

    Training in the app is measured in `rounds` fresh apps (the first after the strokes), each
    between two runs of the same training in a plain process without Qt: on a shared machine
    whose load drifts, each round's throughput ratio is taken against the mean of its two
    neighbours. The headline figures are the worst round's (gaps, stop latency) and the mean
    ratio; every round is listed under "training_rounds".
    """
    probe = [sys.executable, "-m", "hwr_desktop.devtools.gui_probe"]
    with tempfile.TemporaryDirectory() as scratch:
        env = probe_environment(Path(scratch))

        def plain() -> dict:
            return _run_json([*probe, "train", str(train_seconds)], env=env, timeout=600)[0]
        plains = [plain()]
        interact, _ = _run_json([*probe, "interact", str(strokes), str(train_seconds)], env=env, timeout=600)
        rounds_ = [interact]
        plains.append(plain())
        for _ in range(rounds - 1):
            rounds_.append(_run_json([*probe, "training", str(train_seconds)], env=env, timeout=600)[0])
            plains.append(plain())
    if any(run["config"] != r["panel_config"] for run in plains for r in rounds_):
        raise RuntimeError("the panel and the plain reference did not train the same configuration")
    for i, r in enumerate(rounds_):
        r["plain_images_per_second"] = (plains[i]["images_per_second"] + plains[i + 1]["images_per_second"]) / 2
        r["training_throughput_ratio"] = r["panel_images_per_second"] / r["plain_images_per_second"]
    worst = {k: max(r[k] for r in rounds_) for k in TRAINING_FIGURES if k != "panel_images_per_second"}
    stops = [r["stop_latency_s"] for r in rounds_]
    return {**{k: v for k, v in interact.items() if k not in TRAINING_FIGURES and k != "panel_config"},
            **worst, "stop_latency_s": None if None in stops else max(stops),
            "training_throughput_ratio": float(np.mean([r["training_throughput_ratio"] for r in rounds_])),
            "training_rounds": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()
                                 if k != "panel_config"} for r in rounds_]}


def tracer_fidelity_figures(digits: int = 1000, seed: int = 7) -> dict:
    """How faithfully the replay's digits are written (devtools/tracer_fidelity.py), in a fresh process:
    roughly, the replay can reach read_written to the power of the digits in a number (an estimate)."""
    with tempfile.TemporaryDirectory() as scratch:
        figures, _ = _run_json([sys.executable, "-m", "hwr_desktop.devtools.tracer_fidelity", str(digits), str(seed)],
                               env=probe_environment(Path(scratch)), timeout=1800)
    return figures


def number_replay_figures(numbers: int = 100, seed: int = 29) -> dict:
    """Number mode replayed (devtools/number_replay.py) in a fresh offscreen app with throw-away user data."""
    with tempfile.TemporaryDirectory() as scratch:
        figures, _ = _run_json([sys.executable, "-m", "hwr_desktop.devtools.number_replay", str(numbers), str(seed)],
                               env=probe_environment(Path(scratch)), timeout=3600)
    return figures


def training_peak_memory(preset: str = "default", epochs: int = 1) -> dict:
    """Peak RSS of a real `hwr-desktop train` process (a full epoch on all 55k images)."""
    with tempfile.TemporaryDirectory() as folder:
        doc, wall = _run_json([sys.executable, "-m", "hwr_desktop", "train", "--preset", preset, "--epochs",
                               str(epochs), "--out", os.path.join(folder, "m.keras"), "--json"], timeout=3600)
    return {"preset": preset, "epochs": epochs, "peak_rss_mb": doc["peak_rss_mb"], "seconds": round(wall, 1)}
