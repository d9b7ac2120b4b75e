"""Verification of an exported model: load it back in its own runtime and compare with Keras.

Each runner loads the exported file with the runtime a user of that format would use
(onnxruntime, the LiteRT interpreter, TensorFlow's SavedModel loader), feeds it the MNIST test
images in batches and returns its probabilities and how long the batches took. `compare` turns
the two sets of probabilities into the figures an export is judged by.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hwr_desktop.core.errors import HwrError

BATCH = 500
FLOAT_AGREEMENT = 0.9999     # float exports: argmax answers agree on at least 99.99 % of images
INT8_MAX_ACCURACY_DROP = 0.001   # int8: at most 0.1 percentage points below the float Keras model


class ExportError(HwrError):
    """An export cannot be made (unsupported model or format, bad path, converter failure)."""


class ExportCheckError(ExportError):
    """The exported file does not answer like the Keras model; it has been deleted."""


class ExportStopped(ExportError):
    """The export was stopped; nothing was written."""


Progress = Callable[[str, int, int], None]


@contextlib.contextmanager
def quiet():
    """Converters and runtimes print banners and notes on the stdout/stderr file descriptors (C++),
    and warnings: hidden while they work, so the CLI keeps its one clear line per error.
    HWR_DESKTOP_TF_VERBOSE=1 shows them. Python exceptions pass through as usual."""
    if os.environ.get("HWR_DESKTOP_TF_VERBOSE"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def batched(images: np.ndarray, run_batch, stage: str, progress: Progress | None,
            stop: threading.Event | None, batch: int = BATCH) -> tuple[np.ndarray, float]:
    """(probabilities (N, 10), seconds spent in run_batch) for float32 (N, 28, 28, 1) images."""
    outputs, seconds, n = [], 0.0, len(images)
    for start in range(0, n, batch):
        if stop is not None and stop.is_set():
            raise ExportStopped("export stopped; nothing was written")
        chunk = np.ascontiguousarray(images[start:start + batch], dtype=np.float32)
        t0 = time.perf_counter()
        outputs.append(np.asarray(run_batch(chunk), dtype=np.float32))
        seconds += time.perf_counter() - t0
        if progress:
            progress(stage, min(n, start + batch), n)
    return np.concatenate(outputs), seconds


def onnx_runner(path: Path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0], True


def tflite_runner(path: Path):
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_path=str(path), num_threads=2)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    dynamic = int(inp["shape_signature"][0]) == -1
    interpreter.allocate_tensors()   # here, inside quiet(): LiteRT announces its CPU delegate on stderr
    shape = [tuple(inp["shape"])]

    def run(x):
        if not dynamic:   # fixed batch 1: one image at a time
            return np.concatenate([run_one(x[i:i + 1]) for i in range(len(x))])
        return run_one(x)

    def run_one(x):
        if shape[0] != tuple(x.shape):
            interpreter.resize_tensor_input(inp["index"], x.shape)
            interpreter.allocate_tensors()
            shape[0] = tuple(x.shape)
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"]).copy()
    return run, dynamic


def savedmodel_runner(path: Path):
    from hwr_desktop.core.tfload import import_tensorflow
    tf = import_tensorflow()
    loaded = tf.saved_model.load(str(path))
    return lambda x: loaded.serve(tf.constant(x)).numpy(), True


RUNNERS = {"onnx": onnx_runner, "tflite": tflite_runner, "savedmodel": savedmodel_runner}


def run_exported(fmt: str, path: Path, images: np.ndarray, progress: Progress | None = None,
                 stop: threading.Event | None = None) -> tuple[np.ndarray, float, bool]:
    """(probabilities, seconds, dynamic batch) of the exported file on `images`, in its runtime."""
    try:
        with quiet():
            run, dynamic = RUNNERS[fmt](path)
    except ImportError:
        raise
    except Exception as exc:
        raise ExportCheckError(f"the exported {fmt} file does not load in its runtime: {_first_line(exc)}") from None
    try:
        probs, seconds = batched(images, run, "check", progress, stop)
    except ExportStopped:
        raise
    except Exception as exc:
        raise ExportCheckError(f"the exported {fmt} file fails to run: {_first_line(exc)}") from None
    return probs, seconds, dynamic


def compare(reference: np.ndarray, exported: np.ndarray, labels: np.ndarray) -> dict:
    """Agreement of the answers, largest probability difference and both accuracies."""
    if exported.shape != reference.shape:
        raise ExportCheckError(f"the exported model outputs shape {exported.shape[1:]}, not {reference.shape[1:]}")
    ref_answer, exp_answer = reference.argmax(axis=1), exported.argmax(axis=1)
    return {"n": int(len(labels)),
            "agreement": float(np.mean(ref_answer == exp_answer)),
            "max_prob_diff": float(np.nan_to_num(np.abs(reference - exported), nan=1.0).max()),
            "keras_accuracy": float(np.mean(ref_answer == labels)),
            "export_accuracy": float(np.mean(exp_answer == labels))}


def judge(figures: dict, quantize: str | None) -> tuple[str, str | None]:
    """(the rule applied, None if it passed or a one-line reason if not)."""
    if quantize:
        rule = f"int8: accuracy at most {INT8_MAX_ACCURACY_DROP * 100:.1f} points below the float Keras model"
        drop = figures["keras_accuracy"] - figures["export_accuracy"]
        if drop > INT8_MAX_ACCURACY_DROP + 1e-9:
            return rule, (f"int8 accuracy {figures['export_accuracy']:.2%} is {drop * 100:.2f} points below "
                          f"the Keras model's {figures['keras_accuracy']:.2%}")
        return rule, None
    rule = f"float: the same answer as the Keras model on at least {FLOAT_AGREEMENT:.2%} of the test images"
    if figures["agreement"] < FLOAT_AGREEMENT:
        return rule, (f"the exported model agrees with the Keras model on only {figures['agreement']:.2%} "
                      f"of {figures['n']} test images")
    return rule, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]
