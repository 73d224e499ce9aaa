"""The window's remembered state (QSettings in an INI file in the user config dir).

Window layout, the chosen profile, auto-refresh interval, UTC toggle, and per
page / per profile state (column widths, sort order, last filters).  Passwords
and secrets never go here: keys or values that look like one are refused.
"""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from console import paths

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|credential", re.IGNORECASE)
_SECRET_URL = re.compile(r"://[^/@\s:]+:[^/@\s]+@")  # user:password@ in a URL


class SecretRefused(ValueError):
    """A caller tried to persist something that looks like a password."""


def settings_file() -> str:
    return str(paths.config_dir() / "console.ini")


def store() -> QSettings:
    """A QSettings on ``console.ini`` (re-created per call; QSettings is cheap and syncs)."""
    return QSettings(settings_file(), QSettings.Format.IniFormat)


def _check(key: str, value: Any) -> None:
    if _SECRET_KEY.search(key):
        raise SecretRefused(f"refusing to store {key!r} in the settings file")
    if isinstance(value, str) and _SECRET_URL.search(value):
        raise SecretRefused(f"refusing to store a URL with a password under {key!r}")


def get(key: str, default: Any = None) -> Any:
    value = store().value(key, default)
    return default if value is None else value


def get_bool(key: str, default: bool = False) -> bool:
    value = get(key, default)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    return bool(value)


def get_int(key: str, default: int = 0) -> int:
    try:
        return int(get(key, default))
    except (TypeError, ValueError):
        return default


def put(key: str, value: Any) -> None:
    _check(key, value)
    s = store()
    s.setValue(key, value)
    s.sync()


def remove(key: str) -> None:
    s = store()
    s.remove(key)
    s.sync()


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", part or "_")


def profile_key(profile: str, key: str) -> str:
    """``profiles/<profile>/<key>``: state that differs per profile (filters, last page)."""
    return f"profiles/{_safe(profile)}/{key}"


def page_key(page: str, key: str, profile: str | None = None) -> str:
    """``pages/<page>/<key>`` or, per profile, ``profiles/<profile>/pages/<page>/<key>``."""
    base = f"pages/{_safe(page)}/{key}"
    return profile_key(profile, base) if profile else base


def save_filters(profile: str, page: str, filters: dict[str, Any]) -> None:
    """Remember a page's filters for a profile (JSON text)."""
    put(page_key(page, "filters", profile), json.dumps(filters, sort_keys=True, default=str))


def load_filters(profile: str, page: str) -> dict[str, Any]:
    raw = get(page_key(page, "filters", profile))
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save_bytes(key: str, data: QByteArray | bytes) -> None:
    """Binary state (``saveGeometry()``, ``QHeaderView.saveState()``)."""
    put(key, QByteArray(data))


def load_bytes(key: str) -> QByteArray | None:
    value = get(key)
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    return None


def save_header(page: str, header, profile: str | None = None) -> None:
    """Column widths, order and sort indicator of a ``QHeaderView``."""
    save_bytes(page_key(page, "header", profile), header.saveState())


def restore_header(page: str, header, profile: str | None = None) -> bool:
    state = load_bytes(page_key(page, "header", profile))
    return bool(state is not None and header.restoreState(state))


__all__ = [
    "SecretRefused",
    "get",
    "get_bool",
    "get_int",
    "load_bytes",
    "load_filters",
    "page_key",
    "profile_key",
    "put",
    "remove",
    "restore_header",
    "save_bytes",
    "save_filters",
    "save_header",
    "settings_file",
    "store",
]
