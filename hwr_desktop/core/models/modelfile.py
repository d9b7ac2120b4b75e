"""Self-describing model files: a Keras `.keras` archive with our metadata stored inside it.

Keras writes the archive (config.json, model.weights.h5, metadata.json); we add
`hwr_desktop.json` (preset, training config, metrics, history, date, versions: a `ModelInfo`,
core/models/info.py) to the same zip, so the file carries everything needed to use and describe it
and can be moved around alone.
Saving is atomic (temporary file, fsync, rename: core/files.py); loading uses Keras safe mode and refuses models
that do not take 28x28x1 images or do not output 10 classes.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

from hwr_desktop.core.errors import ModelFileError
from hwr_desktop.core.files import replacing
from hwr_desktop.core.models.info import LOGITS, PROBABILITIES, ModelInfo, new_info

METADATA_NAME = "hwr_desktop.json"
MAX_MODEL_BYTES = 512 * 1024 * 1024

# The name scripts and tests have used since format 1: a ModelInfo made now.
make_metadata = new_info


def save_model(model, path: str | Path, info: ModelInfo | dict) -> Path:
    """Write model + info to `path` atomically; on any failure the old file is left untouched."""
    if not isinstance(info, ModelInfo):
        info = ModelInfo.from_dict(info)
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelFileError(f"{path.name}: model files must end in .keras")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ModelFileError(f"cannot save {path}: folder {directory} does not exist")
    document = info.replace(parameters=int(model.count_params())).to_dict()
    del document["outputs"]   # measured from the network at every load, never stored
    try:
        with replacing(path) as tmp:   # Keras checks the temporary name's .keras suffix
            model.save(tmp)
            with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(METADATA_NAME, json.dumps(document, indent=2, default=str))
    except OSError as exc:  # read-only folder, disk full, no permission
        raise ModelFileError(f"cannot save {path}: {exc.strerror or exc}") from None
    return path


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ModelFileError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file")
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(f"{path.name}: the file is empty")
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(f"{path.name}: too large for a digit model ({size // 2**20} MiB)")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path.name}: not a Keras .keras model file (not a zip archive; corrupt or truncated?)")


def read_metadata(path: str | Path) -> dict:
    """The JSON document stored in a model file, as it is ({} for a foreign .keras without it)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if METADATA_NAME not in archive.namelist():
                return {}
            data = json.loads(archive.read(METADATA_NAME))
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{Path(path).name}: unreadable metadata ({exc})") from None
    return data if isinstance(data, dict) else {}


DIGIT_SHAPES = ((28, 28, 1), (10,))     # a digit classifier: 28x28x1 image -> 10 classes


def _check_shapes(model, name: str, shapes=DIGIT_SHAPES) -> None:
    try:
        inputs = [tuple(t.shape) for t in model.inputs]
        outputs = [tuple(t.shape) for t in model.outputs]
    except (AttributeError, ValueError, TypeError):
        raise ModelFileError(f"{name}: the model has no defined input and output shapes") from None
    if len(inputs) != 1 or tuple(inputs[0][1:]) != shapes[0]:
        raise ModelFileError(f"{name}: the model takes input {inputs}, not {'x'.join(map(str, shapes[0]))} images")
    if len(outputs) != 1 or tuple(outputs[0][1:]) != shapes[1]:
        wanted = "10 classes" if shapes[1] == (10,) else str(shapes[1])
        raise ModelFileError(f"{name}: the model outputs {outputs}, not {wanted}")


def outputs_probabilities(model) -> bool:
    """True if the last layer already applies a softmax (models from elsewhere); ours emit logits."""
    activation = getattr(model.layers[-1], "activation", None) if getattr(model, "layers", None) else None
    return getattr(activation, "__name__", "") == "softmax"


def read_info(path: str | Path) -> ModelInfo:
    """The model file's description, without loading the network (fast: no TensorFlow)."""
    return ModelInfo.from_dict(read_metadata(path))


def load_model(path: str | Path, shapes=DIGIT_SHAPES) -> tuple[object, ModelInfo]:
    """(model, info). Any problem becomes a ModelFileError with a clear message. `shapes`: the
    (input, output) shapes without the batch axis the file must have (a sequence reader's differ)."""
    path = Path(path)
    _check_file(path)
    info = read_info(path)
    import keras

    import hwr_desktop.core.network.deskew  # noqa: F401  (registers the Deskew layer, so safe mode can load it)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for bad archives; all mean "cannot use this file"
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "safe_mode" in text or "Lambda" in text or "unsafe" in text.lower():
            raise ModelFileError(f"{path.name}: refused: the model contains Python code (e.g. a Lambda layer), "
                                 "which is never loaded from files") from None
        raise ModelFileError(f"{path.name}: cannot load the model: {text[:300]}") from None
    _check_shapes(model, path.name, shapes)
    return model, described(model, info)


def described(model, info: ModelInfo | dict | None) -> ModelInfo:
    """`info` (or a format-1 metadata dict) with what the network itself says about its outputs
    (a file's word is not trusted)."""
    info = info if isinstance(info, ModelInfo) else ModelInfo.from_dict(info)
    return info.replace(outputs=PROBABILITIES if outputs_probabilities(model) else LOGITS)
