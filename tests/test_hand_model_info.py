"""core/models/info.py: the model file's JSON document field by field (issue 33; no TensorFlow, no model file).

tests/test_model_info.py reads and re-saves real model files (Keras); these check the same
from_dict / to_dict rules on hand-written documents, fast enough for `make mutation`.
"""
from __future__ import annotations

from hwr_desktop.core.models.info import FORMAT_VERSION, Calibration, MemberInfo, Metrics, ModelInfo

DOCUMENT = {
    "format_version": 1, "preset": "deskew", "config": {"seed": 7, "batch_size": 128},
    "metrics": {"test_accuracy": 0.99, "best_epoch": 3, "loss_curve_area": 1.5},
    "history": [{"epoch": 1}, "damaged row", {"epoch": 2}], "trained_at": "2026-12-05T08:00:00+00:00",
    "versions": {"keras": "3.15.1"},
    "members": [{"file": "a.keras", "preset": "default", "seed": 1, "metrics": {"test_accuracy": 0.98}}, "x", {}],
    "test_time_augmentation": True,
    "calibration": {"temperature": 1.5, "fitted_on": "validation (5,000 MNIST images)", "val_ece_after": 0.01},
    "finetune": {"samples": 12}, "personal_samples": 12, "parameters": 1234, "outputs": "probabilities",
    "from_a_newer_version": {"x": 1},
}


def test_every_field_is_read_and_unknown_keys_are_kept():
    info = ModelInfo.from_dict(dict(DOCUMENT))
    assert info.preset == "deskew" and info.config == {"seed": 7, "batch_size": 128} and info.seed == 7
    assert info.metrics == Metrics(test_accuracy=0.99, best_epoch=3, extra={"loss_curve_area": 1.5})
    assert info.history == [{"epoch": 1}, {"epoch": 2}]
    assert info.members == [MemberInfo("a.keras", "default", 1, Metrics(test_accuracy=0.98)), MemberInfo("?")]
    assert info.is_ensemble and info.test_time_augmentation is True
    assert info.calibration == Calibration(1.5, "validation (5,000 MNIST images)", {"val_ece_after": 0.01})
    assert info.temperature == 1.5 and info.finetune == {"samples": 12}
    assert info.personal_samples == 12 and info.parameters == 1234
    assert info.outputs == "probabilities" and info.outputs_probabilities
    assert info.format_version == 1 and info.extra == {"from_a_newer_version": {"x": 1}}


def test_writing_back_gives_the_same_document_less_the_damaged_rows():
    document = ModelInfo.from_dict(dict(DOCUMENT)).to_dict()
    expected = dict(DOCUMENT, history=[{"epoch": 1}, {"epoch": 2}], members=[
        {"file": "a.keras", "preset": "default", "seed": 1, "metrics": {"test_accuracy": 0.98}},
        {"file": "?", "preset": None, "seed": None, "metrics": {}}])
    assert document == expected
    assert list(document)[-1] == "outputs"                  # written last: measured, never trusted
    info = ModelInfo.from_dict(dict(DOCUMENT))
    assert info["preset"] == "deskew" and len(info) == len(expected) and set(info) == set(expected)


def test_a_plain_document_writes_only_what_is_known():
    info = ModelInfo(preset="quick", config={"epochs": 2})
    assert not info.is_ensemble and info.seed is None and info.temperature == 1.0 and not info.outputs_probabilities
    assert info.to_dict() == {"format_version": FORMAT_VERSION, "preset": "quick", "config": {"epochs": 2},
                              "metrics": {}, "history": [], "trained_at": None, "versions": {}, "outputs": "logits"}
    assert FORMAT_VERSION == 1
    assert Metrics(val_accuracy=0.5, stopped_early=False).to_dict() == {"val_accuracy": 0.5, "stopped_early": False}
    assert info.replace(preset="other").preset == "other" and info.preset == "quick"


def test_foreign_values_fall_back_to_defaults():
    info = ModelInfo.from_dict({"preset": "", "outputs": "softmax", "format_version": 0, "finetune": [1],
                                "calibration": {"fitted_on": "x"}, "members": "all", "config": [1]})
    assert info.preset == "unknown" and info.outputs == "logits" and info.format_version == FORMAT_VERSION
    assert info.finetune is None and info.calibration is None and info.members == [] and info.config == {}
    assert ModelInfo.from_dict(None) == ModelInfo() and ModelInfo.from_dict("x") == ModelInfo()
    assert Calibration.from_dict({"temperature": "2"}) == Calibration(2.0, "", {})
    assert Calibration.from_dict(["temperature"]) is None
    assert Metrics.from_dict(None) == Metrics() and Metrics.from_dict([1]) == Metrics()
    assert ModelInfo.from_dict({"format_version": "3"}).format_version == 3


def test_a_new_description_fills_in_what_is_not_given(monkeypatch):
    from hwr_desktop.core.models import info as info_module
    monkeypatch.setattr(info_module, "versions", lambda: {"keras": "x"})      # the real one imports TensorFlow
    made = info_module.new_info("quick", metrics={"val_accuracy": 0.5}, personal_samples=3)
    assert made.metrics == Metrics(val_accuracy=0.5) and made.config == {} and made.history == []
    assert made.versions == {"keras": "x"} and made.personal_samples == 3 and made.trained_at.endswith("+00:00")
    metrics = Metrics(test_accuracy=0.9)
    kept = info_module.new_info("quick", {"epochs": 1}, metrics, [{"epoch": 1}])
    assert kept.metrics is metrics and kept.config == {"epochs": 1} and kept.history == [{"epoch": 1}]
    assert Calibration().temperature == 1.0 and Calibration().fitted_on == ""
