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


def launch_times(env: dict) -> dict:
    """Launch the app; it reports launch -> window shown and -> model ready itself, then quits."""
    result = subprocess.run([sys.executable, "-m", "hwr_desktop"], env={**env, "HWR_DESKTOP_EXIT_AFTER_SHOWN": "1"},
                            capture_output=True, text=True, timeout=120)
    found = dict(re.findall(r"^(window shown|model ready) ([0-9.]+) s after launch", result.stdout, re.MULTILINE))
    if result.returncode != 0 or len(found) != 2:
        raise RuntimeError(f"start-up measurement failed: {(result.stdout + result.stderr).strip()[-500:]}")
    return {"shown": float(found["window shown"]), "ready": float(found["model ready"])}


TRAINING_FIGURES = ("training_gap_p50_ms", "training_gap_p99_ms", "training_gap_max_ms", "training_gaps_over_33ms",
                    "training_gap_samples", "panel_images_per_second", "stop_latency_s")


def probe_environment(scratch: Path) -> dict:
    """The GUI probes' environment: offscreen, with throw-away settings and user data, so the runs the
    Training panel makes while it is measured never enter the user's run history (nor their recent files)."""
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HWR_DESKTOP_CONFIG_DIR": str(scratch / "config"),
            "HWR_DESKTOP_DATA_DIR": str(scratch / "data")}


def gui_figures(strokes: int = 100, train_seconds: float = 12.0, launches: int = 3, rounds: int = 2) -> dict:
    """Start-up (median of fresh launches) and interaction figures, each from a fresh process.

    Training in the app is measured in `rounds` fresh apps (the first after the strokes), each
    between two runs of the same training in a plain process without Qt: on a shared machine
    whose load drifts, each round's throughput ratio is taken against the mean of its two
    neighbours. The headline figures are the worst round's (gaps, stop latency) and the mean
    ratio; every round is listed under "training_rounds".
    """
    probe = [sys.executable, "-m", "hwr_desktop.devtools.gui_probe"]
    with tempfile.TemporaryDirectory() as scratch:
        env = probe_environment(Path(scratch))
        timings = [launch_times(env) for _ in range(launches)]

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
    return {"startup_shown_s": float(np.median([x["shown"] for x in timings])),
            "startup_ready_s": float(np.median([x["ready"] for x in timings])),
            **{k: v for k, v in interact.items() if k not in TRAINING_FIGURES and k != "panel_config"},
            **worst, "stop_latency_s": None if None in stops else max(stops),
            "training_throughput_ratio": float(np.mean([r["training_throughput_ratio"] for r in rounds_])),
            "training_rounds": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()
                                 if k != "panel_config"} for r in rounds_]}


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
