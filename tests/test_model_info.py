"""The typed model description: old files read unchanged, and nothing is lost on a round trip."""
import json
import zipfile
from pathlib import Path

import pytest

from hwr_desktop.core.models.info import Calibration, MemberInfo, Metrics, ModelInfo
from hwr_desktop.core.models.modelfile import load_model, read_info, read_metadata, save_model
from hwr_desktop.resources import ensemble_model_path

FORMAT1 = Path(__file__).parent / "data" / "format1_finetuned.keras"   # written by the format-1 code


def test_a_format1_file_loads_into_fields():
    model, info = load_model(FORMAT1)
    assert info.preset == "quick" and info.format_version == 1 and info.outputs == "logits"
    assert info.config["batch_size"] == 192 and info.seed == 0
    assert info.metrics == Metrics(val_accuracy=0.91, test_accuracy=0.905, test_loss=0.33, best_epoch=2,
                                   train_seconds=4.2, stopped_early=False)
    assert [row["val_accuracy"] for row in info.history] == [0.85, 0.91]
    assert info.personal_samples == 12 and info.finetune["config"]["replay_size"] == 500
    assert info.parameters == model.count_params() and info.versions["keras"] == "3.15.1"
    assert info.calibration is None and info.temperature == 1.0 and not info.is_ensemble


def test_the_bundled_ensemble_lists_typed_members():
    info = read_info(ensemble_model_path())
    assert info.is_ensemble and len(info.members) == 6 and info.test_time_augmentation is True
    assert all(isinstance(m, MemberInfo) and m.metrics.test_accuracy > 0.99 for m in info.members)
    assert {m.preset for m in info.members} == {"default", "deskew"}


def test_resaving_keeps_every_key_even_unknown_ones(tmp_path):
    model, info = load_model(FORMAT1)
    info.extra["from_a_newer_version"] = {"x": 1}
    info.metrics.extra["some_new_figure"] = 0.5
    info.calibration = Calibration(temperature=1.7, fitted_on="validation")
    path = save_model(model, tmp_path / "again.keras", info)
    before, after = info.to_dict(), read_metadata(path)
    assert "outputs" not in after          # measured at load time, never stored
    before.pop("outputs")
    assert after == before
    again = read_info(path)
    assert again.extra == {"from_a_newer_version": {"x": 1}} and again.metrics.extra == {"some_new_figure": 0.5}
    assert again.temperature == pytest.approx(1.7)


def test_the_dict_view_reads_like_the_old_metadata():
    info = read_info(FORMAT1)
    with zipfile.ZipFile(FORMAT1) as archive:
        stored = json.loads(archive.read("hwr_desktop.json"))
    assert info["preset"] == stored["preset"] and info["metrics"] == stored["metrics"]
    assert info["finetune"] == stored["finetune"] and info.get("members") is None


def test_foreign_or_damaged_metadata_gives_defaults():
    info = ModelInfo.from_dict({"preset": None, "metrics": "nonsense", "history": [1, {"epoch": 1}],
                                "members": ["x"], "calibration": {"no": "temperature"}})
    assert info.preset == "unknown" and info.metrics == Metrics() and info.history == [{"epoch": 1}]
    assert info.members == [] and info.calibration is None
