"""Import TensorFlow without its C++ start-up banner.

TensorFlow 2.21 prints a few absl lines on the stderr file descriptor while it loads, whatever
TF_CPP_MIN_LOG_LEVEL says. The CLI promises one clear stderr line per error, so the import runs
with fd 2 pointed at /dev/null (Python-level exceptions still propagate normally).
"""
from __future__ import annotations

import os
import sys


def import_tensorflow():
    if "tensorflow" in sys.modules or os.environ.get("HWR_DESKTOP_TF_VERBOSE"):
        import tensorflow
        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow
