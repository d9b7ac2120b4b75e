"""Stroke to every layer's activations: what the Inside tab pays after each stroke (target p95 <= 50 ms).

Digits are drawn as the canvas draws them (black ink on white, round pen 7 % of the side) from the
strokes of devtools/strokes.py, partly and wholly (as they look while being drawn); each repetition
times core.data.preprocess (the canvas image -> 28x28) plus LayerProbe.probe on the bundled model.

    python -m hwr_desktop.devtools.inside_bench [--repetitions 200] [--json]
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date

import numpy as np
from PIL import Image, ImageDraw

SIDE = 420
PEN = 0.07            # the canvas' default pen width, as a share of its side (ui/widgets/canvas.py)
STAGES = (0.4, 0.7, 1.0)


def draw_strokes(strokes, side: int = SIDE) -> np.ndarray:
    """Strokes in canvas-relative coordinates -> a uint8 canvas image, black ink on white."""
    image = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(image)
    width = max(1, round(PEN * side))
    for stroke in strokes:
        points = [(x * side, y * side) for x, y in stroke]
        draw.line(points, fill=0, width=width, joint="curve")
        for x, y in (points[0], points[-1]):   # round caps
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return np.asarray(image)


def drawings() -> list[np.ndarray]:
    """Each digit of devtools/strokes.py at a few stages of being drawn."""
    from hwr_desktop.devtools.strokes import SHAPES
    found = []
    for strokes in SHAPES.values():
        points = [p for stroke in strokes for p in stroke]
        for stage in STAGES:
            left, partial = max(2, int(len(points) * stage)), []
            for stroke in strokes:
                if left >= 2:
                    partial.append(stroke[:left])
                left -= len(stroke)
            found.append(draw_strokes(partial))
    return found


def stroke_to_activations(model_path=None, repetitions: int = 200) -> dict:
    """Median and p95 milliseconds of preprocess + LayerProbe.probe for drawn digits."""
    from hwr_desktop.core.data.preprocess import preprocess
    from hwr_desktop.core.inside.layer_activations import LayerProbe, member_networks
    from hwr_desktop.core.models.modelfile import load_model
    from hwr_desktop.core.precision import cpu_name
    from hwr_desktop.resources import default_model_path

    model, info = load_model(model_path or default_model_path())
    probe = LayerProbe.for_network(member_networks(model, info)[0])
    images = drawings()
    for image in images:                     # warm-up: caches, the first calls of each op
        probe.probe(preprocess(image).image)
    times, layers = [], 0
    for i in range(repetitions):
        image = images[i % len(images)]
        start = time.perf_counter()
        activations = probe.probe(preprocess(image).image)
        times.append((time.perf_counter() - start) * 1000)
        layers = len(activations)
    return {"date": date.today().isoformat(), "cpu": cpu_name(), "machine": platform.machine(),
            "model": str(model_path or default_model_path().name), "layers": layers, "repetitions": repetitions,
            "median_ms": round(float(np.median(times)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2),
            "max_ms": round(float(np.max(times)), 2), "target_p95_ms": 50.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = stroke_to_activations(repetitions=args.repetitions)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"stroke -> activations of all {figures['layers']} layers ({figures['model']}), "
              f"{figures['repetitions']} repetitions: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms "
              f"(target <= 50), max {figures['max_ms']} ms; {figures['cpu']}, {figures['date']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
