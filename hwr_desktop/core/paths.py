"""Per-user folders. `HWR_DESKTOP_DATA_DIR` overrides the platform's user data directory."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path


def data_dir() -> Path:
    override = os.environ.get("HWR_DESKTOP_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs
    return Path(platformdirs.user_data_dir("hwr-desktop", appauthor=False))


def models_dir() -> Path:
    return data_dir() / "models"


def cache_dir() -> Path:
    """What the app can always make again (LiteRT twins of the user's models); safe to delete."""
    override = os.environ.get("HWR_DESKTOP_DATA_DIR")
    if override:
        return Path(override) / "cache"
    import platformdirs
    return Path(platformdirs.user_cache_dir("hwr-desktop", appauthor=False))


def litert_cache_dir() -> Path:
    """The LiteRT twins the app made of models the user opened, named by the .keras file's SHA-256."""
    return cache_dir() / "litert"


def new_model_path(preset: str) -> Path:
    """Where a freshly trained model goes unless the user names a file."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return models_dir() / f"{preset}-{stamp}.keras"
