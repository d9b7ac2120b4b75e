"""About how long one training epoch of a design takes on this machine, before it is trained.

A training step costs a fixed amount per image (reading and augmenting it, the step's overheads)
plus an amount per multiply-add of the network (forward and backward pass). The two constants
were measured on 2026-11-29 on an AMD EPYC with AVX-512 bfloat16 (2 cores), training 60 batches
of 128 images of five networks from 26 thousand to 44 million multiply-adds per image, in float32
(`tiny` 18,486 images/s, keras-example 4,394, quick 3,555, default 923, a 44 M one 709); the
straight line through them is off by up to ~40 % for single networks (batch norm and wide maps
cost more than their multiply-adds say).

Other machines differ (an AVX2-only CPU is ~4x slower), so once runs have been recorded on this
machine (core/store/runs.py), the estimate is scaled by how long those runs really took against what
this model predicted for them: the median ratio, so one odd run does not swing it.
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable

TRAINING_IMAGES = 55_000
SECONDS_PER_IMAGE = 60e-6              # the fixed part
SECONDS_PER_MAC = 35e-6 / 1e6          # per multiply-add per image, forward and backward


def predicted_seconds_per_image(macs: int) -> float:
    return SECONDS_PER_IMAGE + SECONDS_PER_MAC * macs


def machine_factor(observed: Iterable[tuple[int, float]]) -> float | None:
    """How much slower (>1) or faster this machine was than predicted, from (multiply-adds per image,
    images per second) of runs recorded here; None when there are none."""
    ratios = [1.0 / ips / predicted_seconds_per_image(macs) for macs, ips in observed if macs > 0 and ips > 0]
    return statistics.median(ratios) if ratios else None


def seconds_per_epoch(macs: int, images: int = TRAINING_IMAGES, factor: float | None = None) -> float:
    """Estimated seconds for one pass over `images` training images; `factor` from machine_factor."""
    return images * predicted_seconds_per_image(macs) * (factor or 1.0)


def observed_here(runs, cpu: str) -> list[tuple[int, float]]:
    """(multiply-adds per image, images per second) of the training runs recorded on this CPU."""
    return [(run.macs, run.metric("images_per_second")) for run in runs
            if run.kind == "train" and run.machine.get("cpu") == cpu and run.macs
            and run.metric("images_per_second")]


def machine_factor_here() -> float | None:
    """machine_factor from the run history (core/store/runs.py) on this CPU; None without any (or any store)."""
    from hwr_desktop.core.errors import HwrError
    from hwr_desktop.core.precision import cpu_name
    from hwr_desktop.core.store.runs import RunStore
    if not RunStore.default_path().exists():
        return None          # never create a store just to look at it
    try:
        store = RunStore()
        try:
            runs = store.list()
        finally:
            store.close()
    except HwrError:
        return None
    return machine_factor(observed_here(runs, cpu_name()))
