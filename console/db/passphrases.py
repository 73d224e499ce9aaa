"""Key passphrases (SSH key, TLS client key) held in memory for this session only.

Asked once, kept in this dict, never written anywhere: closing the console forgets them.
"""

from __future__ import annotations

import threading
from typing import Final, Literal

KeyKind = Literal["ssh", "tls"]
SSH: Final = "ssh"  # the passphrase of the profile's SSH key
TLS: Final = "tls"  # libpq's sslpassword for the profile's client key

_lock = threading.Lock()
_passphrases: dict[tuple[KeyKind, str], str] = {}


def get(kind: KeyKind, profile: str) -> str | None:
    with _lock:
        return _passphrases.get((kind, profile))


def remember(kind: KeyKind, profile: str, passphrase: str) -> None:
    with _lock:
        _passphrases[(kind, profile)] = passphrase


def forget(kind: KeyKind, profile: str) -> None:
    with _lock:
        _passphrases.pop((kind, profile), None)
