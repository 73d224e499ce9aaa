"""Secret values in integration configs: shown as a placeholder, kept unless replaced.

Which keys are secret is decided by the query layer's rules (the same the
tables show masked); here every secret value becomes the one placeholder
:data:`MASK` so that an unchanged placeholder can be put back on save.
"""

from __future__ import annotations

from typing import Any

from console.actions.errors import INVALID, ActionError
from console.queries.masking import is_secret_key, mask_url

MASK = "••••"


def mask(config: Any) -> Any:
    """A copy of ``config`` with secret values replaced by :data:`MASK` (recursively)."""
    if isinstance(config, dict):
        return {
            k: MASK if is_secret_key(str(k)) and _has_value(v) else mask(v)
            for k, v in config.items()
        }
    if isinstance(config, list):
        return [mask(v) for v in config]
    if isinstance(config, str) and mask_url(config) is not None:
        return MASK  # a URL carrying credentials under an innocent key
    return config


def unmask(edited: Any, stored: Any, path: str = "") -> Any:
    """``edited`` with every :data:`MASK` put back to the stored value at the same place."""
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
        out_list = []
        for i, value in enumerate(edited):
            where = f"{path}[{i}]"
            if value == MASK:
                if i >= len(old_list):
                    raise ActionError(
                        INVALID, f"{where} holds the placeholder {MASK} but has no stored value"
                    )
                out_list.append(old_list[i])
            else:
                out_list.append(unmask(value, old_list[i] if i < len(old_list) else None, where))
        return out_list
    return edited


def _has_value(value: Any) -> bool:
    return value not in (None, "") and not isinstance(value, dict | list | bool)
