"""Secret values in integration configs: shown as a placeholder, kept unless replaced."""

from __future__ import annotations

import re
from typing import Any

from console.actions.errors import INVALID, ActionError

MASK = "••••"
SECRET_KEY = re.compile(
    r"(secret|token|password|passwd|api[_-]?key|private[_-]?key|credential|auth|webhook[_-]?url"
    r"|signing|dsn)",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def mask(config: Any) -> Any:
    """A copy of ``config`` with secret values replaced by :data:`MASK` (recursively)."""
    if isinstance(config, dict):
        return {
            k: MASK if is_secret_key(str(k)) and _has_value(v) else mask(v)
            for k, v in config.items()
        }
    if isinstance(config, list):
        return [mask(v) for v in config]
    return config


def unmask(edited: Any, stored: Any, path: str = "") -> Any:
    """``edited`` with every :data:`MASK` put back to the stored value at the same key."""
    if isinstance(edited, dict):
        old = stored if isinstance(stored, dict) else {}
        out = {}
        for key, value in edited.items():
            where = f"{path}.{key}" if path else str(key)
            if value == MASK:
                if key not in old:
                    raise ActionError(
                        INVALID, f"{where} holds the placeholder {MASK} but has no stored value"
                    )
                out[key] = old[key]
            else:
                out[key] = unmask(value, old.get(key), where)
        return out
    if isinstance(edited, list):
        old_list = stored if isinstance(stored, list) else []
        return [
            unmask(v, old_list[i] if i < len(old_list) else None, f"{path}[{i}]")
            for i, v in enumerate(edited)
        ]
    return edited


def _has_value(value: Any) -> bool:
    return value not in (None, "") and not isinstance(value, dict | list)
