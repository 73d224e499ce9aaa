"""The console's remembered state: ``console.ini`` in the user config dir.

The chosen profile, auto-refresh interval, UTC toggle, per page / per profile state
(sort order, last filters, watches), each key declared once (:class:`Setting`).
Passwords and secrets never go here: keys or values that look like one are refused
(the secrets policy of :mod:`console.secret_policy`), and a remembered filter that
holds a secret is left out.  The file is readable by its owner only (0600).

Shared by the window and the command line (``tail --watch`` stores a watch), so it
lives outside ``console.ui``.  The file is written through Qt's QSettings (QtCore
only, loaded on first use, never at import): its INI encoding and its lock file are
what a running window uses on the same file at the same time.  The Qt-facing part
(window geometry, header state as ``QByteArray``) is :mod:`console.ui.settings`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from console import paths
from console.secret_policy import holds_secret, is_secret_key, redact_text

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from console.watches import WatchList

FILE_MODE = 0o600
T = TypeVar("T", str, int, bool)


class SecretRefused(ValueError):
    """A caller tried to persist something that looks like a password."""


def settings_file() -> str:
    return str(paths.config_dir() / "console.ini")


def store() -> QSettings:
    """A QSettings on ``console.ini`` (re-created per call; QSettings is cheap and syncs)."""
    from PySide6.QtCore import QSettings

    _owner_only(settings_file())
    return QSettings(settings_file(), QSettings.Format.IniFormat)


def _owner_only(path: str) -> None:
    """Create ``path`` as 0600 (or narrow it): QSettings' atomic save keeps the mode it finds."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
        try:
            if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
        finally:
            os.close(fd)
    except OSError:
        pass  # a read-only config dir: QSettings reports its own status


def _check(key: str, value: Any) -> None:
    if is_secret_key(key.rsplit("/", 1)[-1]):
        raise SecretRefused(f"refusing to store {key!r} in the settings file")
    if isinstance(value, str) and redact_text(value) != value:
        raise SecretRefused(f"refusing to store something like a password under {key!r}")


def filter_holds_secret(value: Any) -> bool:
    """A filter value (text or JSON text) that carries a secret."""
    if not isinstance(value, str):
        return holds_secret(value)
    if redact_text(value) != value or holds_secret(value):
        return True
    try:
        return holds_secret(json.loads(value))
    except (ValueError, RecursionError):
        return False


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


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One preference: where it lives, its type, its default and what it means.

    Every key of the settings file is declared once below and read through its
    declaration, so a default or a type never differs between two call sites.
    ``{page}`` in a key is filled in by :meth:`key` (``pages/<page>/...``).
    """

    key_pattern: str
    kind: type[T]
    default: T
    meaning: str

    def key(self, page: str | None = None, profile: str | None = None) -> str:
        key = self.key_pattern
        if "{page}" in key:
            if page is None:
                raise ValueError(f"{key} needs a page")
            key = key.replace("{page}", _safe(page))
        return profile_key(profile, key) if profile else key

    def get(self, page: str | None = None, *, default: T | None = None) -> T:
        """The stored value, or the default when missing or not of the declared type."""
        fallback = self.default if default is None else default
        key = self.key(page)
        if self.kind is bool:
            return get_bool(key, bool(fallback))  # type: ignore[return-value]
        if self.kind is int:
            return get_int(key, int(fallback))  # type: ignore[arg-type, return-value]
        value = get(key, fallback)
        return value if isinstance(value, self.kind) else fallback

    def put(self, value: T, page: str | None = None) -> None:
        put(self.key(page), value)


THEME = Setting("theme", str, "system", "colour scheme: system, light or dark")
UTC = Setting("utc", bool, False, "show times in UTC instead of local time")
AUTO_REFRESH_S = Setting(
    "auto_refresh_s", int, 5, "seconds between automatic refreshes of the page (0: off)"
)
LAST_PROFILE = Setting("last_profile", str, "", "the profile connected last, opened at start")
WINDOW_PAGE = Setting("window/page", str, "", "the page shown last, shown again at start")
PAGE_SORT = Setting("pages/{page}/sort", str, "", "a table page's sort: <key>:asc|desc")
DETAIL_WIDTH = Setting(
    "pages/{page}/detail_width", int, 0, "width of a table page's detail pane (0: default)"
)
# The defaults below equal console.queries.overview.DEFAULT_RANGE / DEFAULT_STUCK_EVENT_AFTER
# and console.ui.tail.model.DEFAULT_CAPACITY (tests/test_settings_declared.py checks it);
# importing those here would load the data layer at start-up.
OVERVIEW_RANGE = Setting("pages/overview/range", str, "24h", "the Overview's time range")
OVERVIEW_STUCK_MINUTES = Setting(
    "pages/overview/stuck_event_minutes", int, 15, "minutes after which an event counts as stuck"
)
TAIL_CAPACITY = Setting("pages/tail/capacity", int, 100_000, "lines the live tail keeps")
TAIL_POLL_MS = Setting(
    "pages/tail/poll_ms", int, 1000, "the live tail's polling interval where LISTEN is not offered"
)
WATCH_KEEP_RUNNING = Setting(
    "watch/keep_running", bool, False, "watches keep checking while the window is closed"
)


# Per profile (profile_key): the watches of console.watches, as JSON.
WATCHES_KEY = "watches"


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", part or "_")


def profile_key(profile: str, key: str) -> str:
    """``profiles/<profile>/<key>``: state that differs per profile (filters, last page)."""
    return f"profiles/{_safe(profile)}/{key}"


def page_key(page: str, key: str, profile: str | None = None) -> str:
    """``pages/<page>/<key>`` or, per profile, ``profiles/<profile>/pages/<page>/<key>``."""
    base = f"pages/{_safe(page)}/{key}"
    return profile_key(profile, base) if profile else base


def load_watches(profile: str) -> WatchList:
    """A profile's watches (``profiles/<profile>/watches``, JSON of :class:`WatchList`)."""
    from console.watches import WatchList

    return WatchList.from_json(get(profile_key(profile, WATCHES_KEY)))


def save_watches(profile: str, watches: WatchList) -> None:
    put(profile_key(profile, WATCHES_KEY), watches.to_json())


def save_filters(profile: str, page: str, filters: Mapping[str, Any]) -> None:
    """Remember a page's filters for a profile (JSON text), leaving out any holding a secret."""
    kept = {k: v for k, v in filters.items() if not filter_holds_secret(v)}
    put(page_key(page, "filters", profile), json.dumps(kept, sort_keys=True, default=str))


def load_filters(profile: str, page: str) -> Any:
    """The saved filters: ``{}`` when none; whatever console.ini holds otherwise (a hand
    edit may leave any JSON, or text QSettings split at commas), for
    :func:`console.queries.filters.usable_filters` to keep what it can and say why."""
    raw = get(page_key(page, "filters", profile))
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (TypeError, ValueError):  # also a digit string over Python's int limit
        return raw


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
    "WINDOW_PAGE",
    "SecretRefused",
    "Setting",
    "filter_holds_secret",
    "get",
    "get_bool",
    "get_int",
    "load_filters",
    "load_watches",
    "page_key",
    "profile_key",
    "put",
    "remove",
    "save_filters",
    "save_watches",
    "settings_file",
    "store",
]
