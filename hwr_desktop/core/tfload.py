"""Import TensorFlow without its C++ start-up banner, and with its native libraries loaded first.

TensorFlow 2.21 prints a few absl lines on the stderr file descriptor while it loads, whatever
TF_CPP_MIN_LOG_LEVEL says. The CLI promises one clear stderr line per error, so the import runs
with fd 2 pointed at /dev/null (Python-level exceptions still propagate normally).

The app imports TensorFlow on a worker thread, and an import holds the GIL: while Python's import
machinery dlopens an extension module, the GUI thread waits. The first extension that needs
libtensorflow_cc.so.2 (788 MB) waits for its relocation and static initializers, 0.4-0.8 s. So the
big shared libraries are dlopened first through libc's `dlopen` called as a ctypes foreign
function, which releases the GIL for the call (ctypes.CDLL itself does not: measured, a 416 ms
freeze); the import then finds them loaded. RTLD_LOCAL, as Python's own import would load them.
What still holds the GIL is Python-level (ml_dtypes' registration of its numpy types, about 1 s of
C code under the GIL): `python -m hwr_desktop.devtools.tf_import_gap` measures the GUI thread's gaps.
"""
from __future__ import annotations

import os
import sys

# TensorFlow's shared libraries, biggest first, relative to the tensorflow package (TF 2.21 on Linux).
NATIVE_LIBRARIES = ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2", "python/lib_pywrap_tensorflow_common.so")


def preload_native_libraries() -> list[str]:
    """dlopen TensorFlow's big shared libraries without holding the GIL; the names loaded. Anything
    that does not work here (another platform, another TensorFlow layout) is left to the import."""
    if "tensorflow" in sys.modules or not sys.platform.startswith("linux"):
        return []
    import ctypes
    import importlib.util
    try:
        spec = importlib.util.find_spec("tensorflow")   # finds the package without importing it
        root = list(spec.submodule_search_locations)[0] if spec and spec.submodule_search_locations else None
        dlopen = ctypes.CDLL(None).dlopen             # glibc's: a foreign call, so the GIL is released
    except (ImportError, OSError, AttributeError, ValueError):
        return []
    dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    loaded = []
    for name in NATIVE_LIBRARIES:
        path = os.path.join(root, name)
        if os.path.exists(path) and dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL):
            loaded.append(name)   # the handle stays open: the import's own dlopen finds it loaded
    return loaded


def import_tensorflow():
    if "tensorflow" in sys.modules or os.environ.get("HWR_DESKTOP_TF_VERBOSE"):
        preload_native_libraries()
        import tensorflow
        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        preload_native_libraries()
        import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow
