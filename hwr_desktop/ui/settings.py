"""Persistent preferences in an INI file (QSettings), with a corrupt file backed up, not fatal.

`HWR_DESKTOP_CONFIG_DIR` overrides the folder (tests use it to stay away from the real one).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8


def settings_path() -> Path:
    override = os.environ.get("HWR_DESKTOP_CONFIG_DIR")
    if override:
        return Path(override) / "settings.ini"
    import platformdirs
    return Path(platformdirs.user_config_dir("hwr-desktop", appauthor=False)) / "settings.ini"


def open_settings() -> tuple[QSettings, str | None]:
    """(settings, warning). A file Qt cannot parse is moved aside and fresh defaults are used."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    if settings.status() == QSettings.Status.NoError and _looks_like_text(path):
        return settings, None
    del settings  # let go of the file before moving it
    backup = path.with_name(f"settings.corrupt-{time.strftime('%Y%m%d-%H%M%S')}.ini")
    try:
        os.replace(path, backup)
        note = f"The settings file was unreadable; it was saved as {backup.name} and defaults are used."
    except OSError:
        note = "The settings file was unreadable; defaults are used."
    return QSettings(str(path), QSettings.Format.IniFormat), note


def _looks_like_text(path: Path) -> bool:
    """Qt reads binary junk as 'no error' with garbage keys; an INI file we wrote is UTF-8 text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def recent_models(settings: QSettings) -> list[str]:
    value = settings.value("recentModels", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent_model(settings: QSettings, path: str) -> list[str]:
    items = [path] + [p for p in recent_models(settings) if p != path]
    settings.setValue("recentModels", items[:MAX_RECENT])
    return items[:MAX_RECENT]


def remove_recent_model(settings: QSettings, path: str) -> list[str]:
    items = [p for p in recent_models(settings) if p != path]
    settings.setValue("recentModels", items)
    return items
