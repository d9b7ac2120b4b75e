"""Training and validation strips for the line reader, from MNIST training / validation digits.

Each example is a number of 1-8 digits drawn in one of the five reading conditions
(core/data/number_images.py, at TRAINING_SIZES), encoded and decoded like a user's file, then sent
through exactly the reading path: find_marks (paper model, printed-line removal, marks) and
line_input (the strip). So the network learns from what reading will really give it,
including segmentation's mistakes. Examples are made in worker processes (spawned, so no
TensorFlow state is forked); example i depends only on (seed, i).
"""
from __future__ import annotations

import multiprocessing
from dataclasses import dataclass

import numpy as np

from hwr_desktop.core.data.number_images import CONDITIONS, TRAINING_SIZES, number_image
from hwr_desktop.core.reading.line_reader import LINE_HEIGHT, LINE_WIDTH, MAX_DIGITS

LENGTHS = (1, 8)


@dataclass
class Strips:
    x: np.ndarray        # (n, LINE_HEIGHT, LINE_WIDTH) uint8 ink
    y: np.ndarray        # (n, MAX_DIGITS) int32: digit + 1, then 0 (CTC blank) padding
    texts: list[str]
    conditions: list[str]


def _example(images, labels, seed: int, i: int):
    from hwr_desktop.core.reading.line_reader import line_input
    from hwr_desktop.core.segmentation.marks import find_marks
    rng = np.random.default_rng([seed, i])
    condition = CONDITIONS[i % len(CONDITIONS)]
    picks = rng.choice(len(images), size=int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)), replace=False)
    sample = number_image(images[picks], labels[picks], condition, rng, TRAINING_SIZES)
    line = line_input(find_marks(sample.array()))
    strip = np.zeros((LINE_HEIGHT, LINE_WIDTH), np.uint8) if line is None else np.round(line.strip * 255).astype(np.uint8)
    return strip, sample.text, condition


def _chunk(args):
    split, seed, start, stop = args
    from hwr_desktop.core.data.mnist import load_mnist
    data = load_mnist()
    images, labels = (data.x_train, data.y_train) if split == "train" else (data.x_val, data.y_val)
    return [_example(images, labels, seed, i) for i in range(start, stop)]


def make_strips(split: str, n: int, seed: int, workers: int = 2, progress=None) -> Strips:
    """`n` examples from MNIST `split` ("train" or "validation"; never the test set)."""
    if split not in ("train", "validation"):
        raise ValueError(f"line reader examples come from train or validation digits, not {split!r}")
    step = 500
    jobs = [(split, seed, start, min(n, start + step)) for start in range(0, n, step)]
    results = []
    if workers <= 1:
        for job in jobs:
            results.append(_chunk(job))
            if progress:
                progress(sum(map(len, results)), n)
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for chunk in pool.imap(_chunk, jobs):
                results.append(chunk)
                if progress:
                    progress(sum(map(len, results)), n)
    flat = [e for chunk in results for e in chunk]
    x = np.stack([e[0] for e in flat]) if flat else np.zeros((0, LINE_HEIGHT, LINE_WIDTH), np.uint8)
    y = np.zeros((len(flat), MAX_DIGITS), np.int32)
    for k, (_, text, _) in enumerate(flat):
        y[k, :len(text)] = [int(c) + 1 for c in text]
    return Strips(x, y, [e[1] for e in flat], [e[2] for e in flat])
