"""What a model file says about its model: the typed form of `hwr_desktop.json` (core/models/modelfile.py).

Every part of the app reads fields of `ModelInfo` instead of dict keys, so the file format is
spelled out once, here. `to_dict()` writes the JSON document and `from_dict()` reads it back,
tolerating what older or foreign files lack; keys this version does not know are kept in `extra`
and written back, so re-saving a file from a newer version loses nothing.

A ModelInfo also reads like that JSON document (`info["metrics"]["test_accuracy"]`): a read-only
view for scripts written against the dict of earlier versions. Code in this package uses fields.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

FORMAT_VERSION = 1
LOGITS, PROBABILITIES = "logits", "probabilities"


def _dict(value) -> dict:
    """A copy of value if it is a JSON object, else {} (foreign or damaged files)."""
    return dict(value) if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _clean(document: dict) -> dict:
    """Drop unset (None) values: files only say what is known."""
    return {k: v for k, v in document.items() if v is not None}


@dataclass
class Metrics:
    """How well the model did, and what its training cost. None: not measured."""
    val_accuracy: float | None = None
    val_loss: float | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    test_ece: float | None = None      # expected calibration error on MNIST test (15 bins), with the calibration
    best_epoch: int | None = None
    train_seconds: float | None = None
    stopped_early: bool | None = None
    extra: dict = field(default_factory=dict)   # other figures (fine-tuning's before/after, ...)

    @classmethod
    def from_dict(cls, document: dict | None) -> Metrics:
        document = _dict(document)
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        return cls(**{k: document.pop(k) for k in list(document) if k in known}, extra=document)

    def to_dict(self) -> dict:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {**_clean(fields), **self.extra}


@dataclass
class Calibration:
    """Logits are divided by `temperature` before the softmax (temperature scaling, fitted on validation)."""
    temperature: float = 1.0
    fitted_on: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, document: dict | None) -> Calibration | None:
        if not isinstance(document, dict) or "temperature" not in document:
            return None
        rest = {k: v for k, v in document.items() if k not in ("temperature", "fitted_on")}
        return cls(float(document["temperature"]), str(document.get("fitted_on", "")), rest)

    def to_dict(self) -> dict:
        return {"temperature": self.temperature, "fitted_on": self.fitted_on, **self.extra}


@dataclass
class MemberInfo:
    """One model of an ensemble, as it was when the ensemble was made."""
    file: str
    preset: str | None = None
    seed: int | None = None
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    def from_dict(cls, document: dict) -> MemberInfo:
        return cls(str(document.get("file", "?")), document.get("preset"), document.get("seed"),
                   Metrics.from_dict(document.get("metrics")))

    def to_dict(self) -> dict:
        return {"file": self.file, "preset": self.preset, "seed": self.seed, "metrics": self.metrics.to_dict()}


# JSON keys that ModelInfo has fields for; everything else goes to ModelInfo.extra.
_KNOWN = ("format_version", "preset", "config", "metrics", "history", "trained_at", "versions", "members",
          "test_time_augmentation", "calibration", "finetune", "personal_samples", "parameters", "outputs")


@dataclass
class ModelInfo(Mapping):
    preset: str = "unknown"            # the preset (or ensemble) name: which network this is
    config: dict = field(default_factory=dict)    # the training config it was made with (TrainingConfig.to_dict())
    metrics: Metrics = field(default_factory=Metrics)
    history: list[dict] = field(default_factory=list)   # one row per epoch (EpochInfo.to_dict())
    trained_at: str | None = None
    versions: dict = field(default_factory=dict)
    members: list[MemberInfo] = field(default_factory=list)   # ensembles only
    test_time_augmentation: bool | None = None                # ensembles only
    calibration: Calibration | None = None
    finetune: dict | None = None       # fine-tuned models: its config, base model and base metrics
    personal_samples: int | None = None
    parameters: int | None = None      # written by save_model
    outputs: str = LOGITS              # measured from the network when loaded, never trusted from the file
    format_version: int = FORMAT_VERSION
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, document: dict | None) -> ModelInfo:
        document = document if isinstance(document, dict) else {}
        members = _list(document.get("members"))
        return cls(
            preset=str(document.get("preset") or "unknown"),
            config=_dict(document.get("config")),
            metrics=Metrics.from_dict(document.get("metrics")),
            history=[dict(row) for row in _list(document.get("history")) if isinstance(row, dict)],
            trained_at=document.get("trained_at"),
            versions=_dict(document.get("versions")),
            members=[MemberInfo.from_dict(m) for m in members if isinstance(m, dict)],
            test_time_augmentation=document.get("test_time_augmentation"),
            calibration=Calibration.from_dict(document.get("calibration")),
            finetune=document.get("finetune") if isinstance(document.get("finetune"), dict) else None,
            personal_samples=document.get("personal_samples"),
            parameters=document.get("parameters"),
            outputs=PROBABILITIES if document.get("outputs") == PROBABILITIES else LOGITS,
            format_version=int(document.get("format_version") or FORMAT_VERSION),
            extra={k: v for k, v in document.items() if k not in _KNOWN},
        )

    def to_dict(self) -> dict:
        """The JSON document stored in the model file."""
        document = {"format_version": self.format_version, "preset": self.preset, "config": self.config,
                    "metrics": self.metrics.to_dict(), "history": self.history, "trained_at": self.trained_at,
                    "versions": self.versions}
        if self.members:
            document["members"] = [m.to_dict() for m in self.members]
        optional = {"test_time_augmentation": self.test_time_augmentation,
                    "calibration": self.calibration.to_dict() if self.calibration else None,
                    "finetune": self.finetune, "personal_samples": self.personal_samples,
                    "parameters": self.parameters}
        return {**document, **_clean(optional), **self.extra, "outputs": self.outputs}

    # --- derived facts, so callers need not know how they are stored ---
    @property
    def outputs_probabilities(self) -> bool:
        return self.outputs == PROBABILITIES

    @property
    def is_ensemble(self) -> bool:
        return bool(self.members)

    @property
    def seed(self) -> int | None:
        return self.config.get("seed")

    @property
    def temperature(self) -> float:
        return self.calibration.temperature if self.calibration else 1.0

    def replace(self, **changes) -> ModelInfo:
        return dataclasses.replace(self, **changes)

    # --- the read-only mapping view (see the module docstring) ---
    def __getitem__(self, key: str):
        return self.to_dict()[key]

    def __iter__(self):
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


def versions() -> dict:
    """The library versions a model was made with (shown in Model Info; a hint when a file will not load)."""
    import platform

    import keras
    import numpy
    import tensorflow

    from hwr_desktop import __version__
    return {"hwr_desktop": __version__, "tensorflow": tensorflow.__version__, "keras": keras.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def new_info(preset: str, config: dict | None = None, metrics: Metrics | dict | None = None,
             history: list | None = None, **fields) -> ModelInfo:
    """A description of a model made now, with this installation's versions."""
    if not isinstance(metrics, Metrics):
        metrics = Metrics.from_dict(metrics)
    return ModelInfo(preset=preset, config=config or {}, metrics=metrics, history=history or [],
                     trained_at=datetime.now(UTC).isoformat(timespec="seconds"), versions=versions(), **fields)
