"""Verified model export: ONNX, TFLite (LiteRT) or a TensorFlow SavedModel that eats MNIST-style images.

The exported model takes float32 (N, 28, 28, 1) in [0, 1] (white ink on black, prepared like
MNIST) and outputs 10 probabilities: the Keras model's logits, divided by the calibration
temperature when the model file has one, through a softmax (models that already output
probabilities are exported as they are). Every export is written to a temporary name in the
target folder, loaded back in its own runtime, run on the 10,000 MNIST test images and compared
with the Keras model (core/export/check.py); only then is it moved into place, with a README
(core/export/readme.py) and a .check.json of the figures beside it. A failed check, an error or
a stop leaves nothing behind. Ensembles and Deskew models export to every format: for ONNX and
TFLite the Deskew warp is traced as plain gathers (core/export/ops.py). No Qt here: progress goes
to `progress(stage, done, total)` (stages convert, reference, check, write) and a threading.Event
`stop` is checked between batches.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hwr_desktop.core import files
from hwr_desktop.core.export.check import (
    BATCH,
    ExportCheckError,
    ExportError,
    ExportStopped,
    Progress,
    batched,
    compare,
    judge,
    quiet,
    run_exported,
)
from hwr_desktop.core.export.ops import portable_deskew
from hwr_desktop.core.export.readme import readme_text

__all__ = ["FORMATS", "ExportReport", "ExportError", "ExportCheckError", "ExportStopped",
           "ExportToolsMissing", "export_model", "suffix_for"]

FORMATS = ("onnx", "tflite", "savedmodel")
SUFFIX = {"onnx": ".onnx", "tflite": ".tflite", "savedmodel": ""}
TOOLS = {"onnx": ("tf2onnx", "onnx", "onnxruntime"), "tflite": ("ai_edge_litert",), "savedmodel": ()}
CALIBRATION_IMAGES = 500      # representative training images for full-integer int8 quantization
INSTALL_HINT = "export needs the optional export tools: pip install -e '.[export]'"


class ExportToolsMissing(ExportError):
    """The optional export extra is not installed."""


@dataclass
class ExportReport:
    format: str                  # "onnx" | "tflite" | "savedmodel"
    path: Path                   # the exported file (a folder for savedmodel)
    readme_path: Path
    check_path: Path
    quantize: str | None
    dynamic_batch: bool          # False: the file takes one image at a time
    n: int                       # test images checked
    agreement: float             # share of test images where exported and Keras argmax agree
    max_prob_diff: float         # largest |p_export - p_keras| over all images and classes
    keras_accuracy: float
    export_accuracy: float
    size_bytes: int              # the file, or the SavedModel folder's files
    ms_per_image: float          # exported model, batches of 500, this machine
    keras_ms_per_image: float
    export_seconds: float        # conversion
    check_seconds: float         # reference run + runtime run + comparison
    temperature: float
    check_rule: str
    float_size_bytes: int | None = None    # int8: size of the float TFLite file of the same model
    size_ratio: float | None = None        # int8: size_bytes / float_size_bytes
    quantize_mode: str | None = None       # int8: "full-integer" or, for Deskew models, "dynamic-range"

    @property
    def accuracy_change(self) -> float:
        return self.export_accuracy - self.keras_accuracy

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        for key in ("path", "readme_path", "check_path"):
            data[key] = str(data[key])
        return data


def suffix_for(fmt: str) -> str:
    return SUFFIX[fmt]


def _require_tools(fmt: str) -> None:
    missing = []
    for name in TOOLS[fmt]:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ExportToolsMissing(f"{INSTALL_HINT} ({', '.join(missing)} missing for {fmt})")


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)


def _int8_mode(model) -> str:
    """Deskew computes image moments and sampling positions: in int8 they move pixels (the bundled
    ensemble lost 0.64 points), so Deskew models keep float activations and only the weights go int8."""
    from hwr_desktop.core.network.deskew import Deskew
    return "dynamic-range" if any(isinstance(layer, Deskew) for layer in _all_layers(model)) else "full-integer"


def _refuse_unsupported(model) -> None:
    if any(layer.dtype_policy.compute_dtype != "float32" for layer in _all_layers(model)
           if hasattr(layer, "dtype_policy")):
        raise ExportError("cannot export a model that computes in reduced precision; save a float32 copy first")


def _wrapper(model, info):
    """image -> probabilities (logits / temperature -> softmax), as one Keras model."""
    import keras
    temperature = info.temperature
    if not temperature > 0:
        raise ExportError(f"the model's calibration temperature {temperature} is not positive")
    image = keras.Input((28, 28, 1), name="image")
    out = model(image)
    if info.outputs_probabilities:
        wrapper, temperature = keras.Model(image, out, name="digits"), 1.0
    else:
        if temperature != 1.0:
            out = keras.layers.Rescaling(1.0 / temperature, name="temperature")(out)
        wrapper = keras.Model(image, keras.layers.Softmax(name="probabilities")(out), name="digits")
    wrapper(np.zeros((1, 28, 28, 1), np.float32), training=False)   # exporters want a model that has run
    return wrapper, temperature


def _convert(wrapper, fmt: str, target: Path, int8: str | None = None, representative: np.ndarray | None = None) -> None:
    # Deskew's ImageProjectiveTransformV3 has no ONNX or LiteRT built-in equivalent: trace it as
    # gathers instead (core/export/ops.py); the check below compares with the original op.
    portable = portable_deskew() if fmt != "savedmodel" else contextlib.nullcontext()
    with quiet(), portable:
        _convert_loudly(wrapper, fmt, target, int8, representative)


def _convert_loudly(wrapper, fmt: str, target: Path, int8: str | None, representative) -> None:
    if fmt == "savedmodel":
        wrapper.export(str(target), format="tf_saved_model", verbose=False)
    elif fmt == "onnx":
        wrapper.export(str(target), format="onnx", verbose=False)
    else:
        kwargs = {}
        if int8:   # weights int8; full-integer also runs the activations in int8, calibrated on `representative`
            import tensorflow as tf
            kwargs = {"optimizations": [tf.lite.Optimize.DEFAULT]}
            if int8 == "full-integer":
                kwargs["representative_dataset"] = lambda: ([representative[i:i + 1]] for i in range(len(representative)))
        wrapper.export(str(target), format="litert", verbose=False, **kwargs)


def prepare_out(out: Path, fmt: str) -> Path:
    out = Path(out).expanduser()
    if fmt != "savedmodel" and out.suffix.lower() != SUFFIX[fmt]:
        raise ExportError(f"{out.name}: a {fmt} file must end in {SUFFIX[fmt]}")
    if fmt != "savedmodel" and out.is_dir():
        raise ExportError(f"cannot write {out}: it is a folder")
    directory = out.parent if str(out.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"cannot export to {out}: folder {directory} does not exist")
    return out


def export_model(source, fmt: str, out: str | Path, quantize: str | None = None,
                 progress: Progress | None = None, stop: threading.Event | None = None,
                 data=None, source_name: str | None = None) -> ExportReport:
    """Export `source` (a .keras path, or a (model, ModelInfo or metadata dict) pair) as `fmt` to `out`,
    verified on the MNIST test set. `data` is an MnistSplits (default: the bundled MNIST); `source_name`
    is what the sidecar names as the source (default: the file's name, or the network's)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if quantize not in (None, "int8"):
        raise ExportError(f"unknown quantization {quantize!r}; the only one is int8")
    if quantize and fmt != "tflite":
        raise ExportError(f"int8 quantization is for tflite only, not {fmt}")
    out = prepare_out(out, fmt)
    _require_tools(fmt)
    from hwr_desktop.core.tfload import import_tensorflow
    import_tensorflow()
    from hwr_desktop.core.models.modelfile import described, load_model
    if isinstance(source, (str, Path)):
        model, info = load_model(source)
        source_name = source_name or Path(source).name
    else:
        model, info = source[0], described(source[0], source[1])   # the network says what it outputs
        source_name = source_name or getattr(model, "name", "model")
    _refuse_unsupported(model)
    if data is None:
        from hwr_desktop.core.data.mnist import load_mnist
        data = load_mnist()
    images = (np.asarray(data.x_test, np.float32) / 255.0)[..., None]
    wrapper, temperature = _wrapper(model, info)
    tell = lambda stage, done, total: progress(stage, done, total) if progress else None  # noqa: E731

    temps: list[Path] = []
    if stop is not None and stop.is_set():
        raise ExportStopped("export stopped; nothing was written")
    try:
        tmp = files.temporary_beside(out, folder=fmt == "savedmodel")
        temps.append(tmp)
        tell("convert", 0, 1)
        t0 = time.perf_counter()
        representative, float_size, int8 = None, None, _int8_mode(model) if quantize else None
        try:
            if quantize:
                order = np.random.default_rng(0).permutation(len(data.x_train))[:CALIBRATION_IMAGES]
                representative = (np.asarray(data.x_train[order], np.float32) / 255.0)[..., None]
                float_tmp = tmp.with_name(tmp.name + ".float.tflite")
                temps.append(float_tmp)
                _convert(wrapper, fmt, float_tmp)   # only to measure what int8 saves
                float_size = files.size(float_tmp)
                files.remove(float_tmp)
            _convert(wrapper, fmt, tmp, int8, representative)
        except OSError:
            raise
        except Exception as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportError(f"the {fmt} converter failed: {text[:300]}") from None
        export_seconds = time.perf_counter() - t0
        tell("convert", 1, 1)
        if stop is not None and stop.is_set():
            raise ExportStopped("export stopped; nothing was written")

        t0 = time.perf_counter()
        reference, keras_seconds = batched(images, lambda x: wrapper(x, training=False).numpy(),
                                           "reference", tell, stop)
        exported, seconds, dynamic = run_exported(fmt, tmp, images, tell, stop)
        figures = compare(reference, exported, np.asarray(data.y_test))
        rule, failure = judge(figures, quantize)
        if failure:
            raise ExportCheckError(f"export check failed, nothing written: {failure}")
        check_seconds = time.perf_counter() - t0
        if stop is not None and stop.is_set():
            raise ExportStopped("export stopped; nothing was written")

        size = files.size(tmp)
        readme_path = out.with_name(out.name + ".README.md")
        check_path = out.with_name(out.name + ".check.json")
        result = ExportReport(fmt, out, readme_path, check_path, quantize, dynamic, figures["n"],
                              figures["agreement"], figures["max_prob_diff"], figures["keras_accuracy"],
                              figures["export_accuracy"], size, 1000 * seconds / len(images),
                              1000 * keras_seconds / len(images), export_seconds, check_seconds,
                              temperature, rule, float_size, size / float_size if float_size else None, int8)
        sidecar = {**result.to_dict(), "file": out.name, "source": source_name,
                   "preset": info.preset, "source_outputs": info.outputs,
                   "calibration_images": CALIBRATION_IMAGES if int8 == "full-integer" else None,
                   "batch_size": BATCH, "check_file": check_path.name,
                   "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                   "versions": _versions()}
        for key in ("path", "readme_path", "check_path"):   # the sidecar names files, not this machine's paths
            del sidecar[key]
        tell("write", 0, 1)
        files.publish(tmp, out, {readme_path: readme_text(sidecar), check_path: json.dumps(sidecar, indent=2) + "\n"},
                 temps)
        tell("write", 1, 1)
        return result
    except OSError as exc:   # read-only folder, disk full, no permission
        raise ExportError(f"cannot export to {out}: {exc.strerror or exc}") from None
    finally:
        for path in temps:
            if path.exists():
                files.remove(path)


def _versions() -> dict:
    from hwr_desktop.core.models.info import versions
    found = versions()
    for name in ("tf2onnx", "onnx", "onnxruntime", "ai_edge_litert"):
        try:
            found[name] = importlib.import_module(name).__version__
        except (ImportError, AttributeError):
            pass
    return found
