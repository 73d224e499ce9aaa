"""Masking values that look like secrets before a configuration is shown.

A value is masked when its key names a secret (token, secret, password, key,
webhook, credential, …) or when it is a URL carrying credentials (``user:pw@``
or a token-like query parameter).  Masking keeps the shape: the operator still
sees which keys exist and, for URLs, the host.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

MASK = "••••••"

SECRET_KEY_RE = re.compile(
    r"(token|secret|passw|pwd|passphrase|credential|api[_-]?key|apikey|private[_-]?key|"
    r"access[_-]?key|signing|webhook|auth|cookie|session|dsn|(^|[_-])key$|^key)",
    re.IGNORECASE,
)
SECRET_QUERY_RE = re.compile(r"(token|secret|passw|pwd|key|sig|signature|auth|code)", re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY_RE.search(key))


def mask_url(value: str) -> str | None:
    """A masked form of a URL with credentials, or None when it has none."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    has_userinfo = "@" in parts.netloc
    secret_query = any(
        SECRET_QUERY_RE.search(item.split("=", 1)[0]) for item in parts.query.split("&") if item
    )
    if not has_userinfo and not secret_query:
        return None
    user = f"{parts.username}:{MASK}@" if has_userinfo and parts.username else ""
    query = f"?{MASK}" if secret_query else ""
    return f"{parts.scheme}://{user}{host}{parts.path}{query}"


def mask_value(value: Any) -> Any:
    """The masked stand-in of a secret value (URLs keep scheme and host)."""
    if isinstance(value, str) and "://" in value:
        try:
            parts = urlsplit(value)
            if parts.scheme and parts.hostname:
                return f"{parts.scheme}://{parts.hostname}/{MASK}"
        except ValueError:
            pass
    if isinstance(value, dict | list):
        return mask_secrets(value, force=True)
    if value is None or isinstance(value, bool):
        return value
    return MASK


def mask_secrets(doc: Any, force: bool = False) -> Any:
    """A copy of ``doc`` with secret-looking values masked (recursively)."""
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            if force or is_secret_key(str(k)):
                out[k] = mask_value(v)
            else:
                out[k] = mask_secrets(v)
        return out
    if isinstance(doc, list):
        return [mask_value(v) if force else mask_secrets(v) for v in doc]
    if force:
        return mask_value(doc)
    if isinstance(doc, str):
        masked = mask_url(doc)
        return masked if masked is not None else doc
    return doc
