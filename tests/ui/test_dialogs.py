"""Model Info: what a file says about itself, for single models and ensembles."""
from types import SimpleNamespace

from hwr_desktop.core.models.info import ModelInfo
from hwr_desktop.ui.dialogs import model_info_html


def session(metadata: dict, path="m.keras"):
    return SimpleNamespace(ready=True, path=path, info=ModelInfo.from_dict(metadata),
                           model=SimpleNamespace(count_params=lambda: 151_000))


def test_model_info_of_a_trained_model_shows_epochs_and_no_members():
    text = model_info_html(session({"preset": "default", "metrics": {"test_accuracy": 0.9968, "best_epoch": 28,
                                                                     "train_seconds": 677.1},
                                    "history": [{}] * 28}))
    assert "99.68%" in text and "28 (best 28)" in text and "677 s<" in text and "Members" not in text
    assert "Recipe" in text


def test_model_info_of_an_ensemble_lists_its_members():
    members = [{"file": f"seed{i}.keras", "preset": "default" if i < 2 else "deskew", "seed": i,
                "metrics": {"test_accuracy": 0.9966 + i / 10000}} for i in range(3)]
    text = model_info_html(session({"preset": "ensemble of 3 <tta>", "metrics": {"test_accuracy": 0.9975,
                                                                                "train_seconds": 3000},
                                    "members": members, "history": []}, path="a&b.keras"))
    assert "default seed 0, test 99.66% (seed0.keras)<br>default seed 1" in text
    assert "deskew seed 2, test 99.68% (seed2.keras)" in text
    assert "3000 s (members together)" in text
    assert "Epochs" not in text and "Recipe" not in text     # an ensemble has no epochs or recipe of its own
    assert "ensemble of 3 &lt;tta&gt;" in text and "a&amp;b.keras" in text  # file text is not markup
