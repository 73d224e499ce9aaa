"""The window's remembered state: the settings store plus what is Qt-shaped.

Every declaration and the storage itself are :mod:`console.settings_store` (shared
with the command line); this module re-exports them for the window and adds the
binary state of widgets (``saveGeometry()``, ``QHeaderView.saveState()``).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QHeaderView

from console.settings_store import (
    AUTO_REFRESH_S,
    DETAIL_WIDTH,
    LAST_PROFILE,
    OVERVIEW_RANGE,
    OVERVIEW_STUCK_MINUTES,
    PAGE_SORT,
    TAIL_CAPACITY,
    TAIL_POLL_MS,
    THEME,
    UTC,
    WATCH_KEEP_RUNNING,
    WINDOW_PAGE,
    SecretRefused,
    Setting,
    get,
    get_bool,
    get_int,
    load_filters,
    page_key,
    profile_key,
    put,
    remove,
    save_filters,
    settings_file,
    store,
)


def save_bytes(key: str, data: QByteArray | bytes) -> None:
    """Binary state (``saveGeometry()``, ``QHeaderView.saveState()``)."""
    put(key, QByteArray(data))


def load_bytes(key: str) -> QByteArray | None:
    value = get(key)
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    return None


@dataclass(frozen=True)
class WidgetState:
    """Binary state of a widget (``saveGeometry()``, ``saveState()``): its key, its meaning."""

    key: str
    meaning: str

    def save(self, data: QByteArray | bytes) -> None:
        save_bytes(self.key, data)

    def load(self) -> QByteArray | None:
        return load_bytes(self.key)


WINDOW_GEOMETRY = WidgetState("window/geometry", "the main window's size and position")
WINDOW_STATE = WidgetState("window/state", "the main window's toolbars and docks")
WINDOW_SPLITTER = WidgetState("window/splitter", "the split between page list and page")


def save_header(page: str, header: QHeaderView, profile: str | None = None) -> None:
    """Column widths, order and sort indicator of a ``QHeaderView``."""
    save_bytes(page_key(page, "header", profile), header.saveState())


def restore_header(page: str, header: QHeaderView, profile: str | None = None) -> bool:
    state = load_bytes(page_key(page, "header", profile))
    return bool(state is not None and header.restoreState(state))


__all__ = [
    "AUTO_REFRESH_S",
    "DETAIL_WIDTH",
    "LAST_PROFILE",
    "OVERVIEW_RANGE",
    "OVERVIEW_STUCK_MINUTES",
    "PAGE_SORT",
    "TAIL_CAPACITY",
    "TAIL_POLL_MS",
    "THEME",
    "UTC",
    "WATCH_KEEP_RUNNING",
    "WINDOW_GEOMETRY",
    "WINDOW_PAGE",
    "WINDOW_SPLITTER",
    "WINDOW_STATE",
    "SecretRefused",
    "Setting",
    "WidgetState",
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
