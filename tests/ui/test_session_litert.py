"""The session starts making a LiteRT twin when a user's model was opened through Keras, and only then."""
from types import SimpleNamespace

from hwr_desktop.core.export import litert_cache
from hwr_desktop.ui.session import ModelSession


def test_opening_a_model_through_keras_starts_its_twin_in_the_background(qtbot, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(litert_cache, "convert_in_background", lambda path, on_done=None: started.append(path))
    session = ModelSession()
    session.set_predictor(SimpleNamespace(backend="litert"), tmp_path / "bundled.keras")
    session.set_predictor(SimpleNamespace(backend="keras"), None, unsaved=True)     # trained here, not saved
    assert started == []
    session.set_predictor(SimpleNamespace(backend="keras"), tmp_path / "mine.keras")
    assert started == [tmp_path / "mine.keras"]
