"""Passwords: the OS keyring, or this process's memory when no keyring backend exists.

Passwords are never written to the profiles file, to logs or to QSettings (what is
masked where is the secrets policy of :mod:`console.secret_policy`).  On a
headless Linux box keyring falls back to a failing backend; we detect that and
keep the password for this session only (never enabling ``keyrings.alt``, which
would write it to a plain file).
"""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger(__name__)

KEYRING_SERVICE = "autopr-console"
_session_passwords: dict[str, str] = {}


def keyring_available() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # broken keyring install: behave as if there were none
        return False
    if isinstance(backend, fail.Keyring):
        return False
    name = type(backend).__module__ + "." + type(backend).__name__
    # Backends that would store secrets in plain files are not a keyring for us.
    return "keyrings.alt" not in name and "null" not in name.lower()


def store_password(profile: str, password: str) -> bool:
    """Keep ``password`` for ``profile``; True when it went to the OS keyring."""
    _session_passwords[profile] = password
    if not keyring_available():
        return False
    import keyring

    try:
        keyring.set_password(KEYRING_SERVICE, profile, password)
        return True
    except Exception as exc:
        log.warning("could not store the password in the keyring: %s", type(exc).__name__)
        return False


def get_password(profile: str) -> str | None:
    if profile in _session_passwords:
        return _session_passwords[profile]
    if not keyring_available():
        return None
    import keyring

    try:
        return keyring.get_password(KEYRING_SERVICE, profile)
    except Exception:
        return None


def remember_for_session(profile: str, password: str) -> None:
    _session_passwords[profile] = password


def forget_session_passwords() -> None:
    """Forget every password held in this process's memory (the OS keyring keeps its own)."""
    _session_passwords.clear()


def forget_password(profile: str) -> None:
    _session_passwords.pop(profile, None)
    if keyring_available():
        import keyring

        with contextlib.suppress(Exception):
            keyring.delete_password(KEYRING_SERVICE, profile)
