"""One place that knows where bundled resources live, in a checkout and in a PyInstaller bundle."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def resource_root() -> Path:
    """The `resources/` folder: `$HWR_DESKTOP_RESOURCES`, the PyInstaller bundle, or the checkout."""
    override = os.environ.get("HWR_DESKTOP_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # PyInstaller unpacks data files under sys._MEIPASS
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def default_model_path() -> Path:
    return resource_path("models", "default.keras")


def ensemble_model_path() -> Path:
    """Three default-recipe models averaged: more accurate, three times the work per prediction."""
    return resource_path("models", "ensemble.keras")


def number_reader_path() -> Path:
    """The sequence reader (core/reading/number_reader.py): reads whole numbers, touching digits,
    form boxes, ruled paper and photos."""
    return resource_path("models", "number_reader.keras")
