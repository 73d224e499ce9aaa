"""Saved views: named filter sets per page and profile ("failed deploys today").

Kept in the settings file as JSON, filters holding a secret left out (as for
the remembered filters); a view is checked again when applied, and what no
longer validates is dropped with a one-line reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from console import settings_store
from console.ui import settings

MAX_VIEWS = 50


def _key(page: str, profile: str) -> str:
    return settings.page_key(page, "views", profile)


def load(page: str, profile: str) -> dict[str, dict[str, Any]]:
    raw = settings.get(_key(page, profile))
    try:
        views = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    if not isinstance(views, dict):
        return {}
    return {str(k): v for k, v in views.items() if isinstance(v, dict)}


def save(page: str, profile: str, name: str, filters: Mapping[str, Any]) -> None:
    name = name.strip()
    if not name:
        raise ValueError("a view needs a name")
    views = load(page, profile)
    if name not in views and len(views) >= MAX_VIEWS:
        raise ValueError(f"at most {MAX_VIEWS} saved views per page; delete one first")
    views[name] = {k: v for k, v in filters.items() if not settings_store.filter_holds_secret(v)}
    settings.put(_key(page, profile), json.dumps(views, sort_keys=True, default=str))


def delete(page: str, profile: str, name: str) -> None:
    views = load(page, profile)
    if views.pop(name, None) is not None:
        settings.put(_key(page, profile), json.dumps(views, sort_keys=True, default=str))
