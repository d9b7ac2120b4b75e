"""Number formats for training: float32, or bfloat16 arithmetic where the CPU does it natively.

Keras' "mixed_bfloat16" policy keeps the weights in float32 but runs the layers' arithmetic in
bfloat16. On a CPU with AVX512-BF16 or AMX (oneDNN uses them) that makes a training step of the
default network ~20 % cheaper; on a CPU without them bfloat16 is emulated and slower, so a recipe
asks for "mixed_bfloat16" and gets it only where it pays. Trained models are always handed back
(and saved) as plain float32 models, so predicting never depends on the machine that trained.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

from hwr_desktop.core.errors import HwrError

PRECISIONS = ("float32", "mixed_bfloat16")
_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


@functools.cache
def cpu_has_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True if the CPU advertises native bfloat16 arithmetic (Linux; False where we cannot tell)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(_BF16_FLAGS & set(line.split(":", 1)[-1].split()))
    return False


def cpu_name() -> str:
    """The CPU model: figures from different machines (AVX-512 vs AVX2 only) must not be compared."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "unknown CPU"


def effective_precision(requested: str, has_bf16: bool | None = None) -> str:
    """The precision a run will use: bfloat16 falls back to float32 on CPUs without native support."""
    if requested not in PRECISIONS:
        raise HwrError(f"unknown precision {requested!r} (choose from {', '.join(PRECISIONS)})")
    if requested == "mixed_bfloat16" and not (cpu_has_bf16() if has_bf16 is None else has_bf16):
        return "float32"
    return requested


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build layers under `name` within the block. Keras keeps this setting per thread."""
    import keras

    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def as_float32(model, build):
    """A float32 copy of `model` (built by `build`, same architecture) with the same weights."""
    if all(layer.dtype_policy.compute_dtype == "float32" for layer in model.layers):
        return model
    with dtype_policy("float32"):
        copy = build()
    copy.set_weights(model.get_weights())
    return copy
