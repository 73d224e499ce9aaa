"""Helpers shared by sub-commands: opening the database named on the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import replace

from console import secrets
from console.cli import CommandError
from console.db.connection import ConnectionFailed, Database, open_database
from console.db.migrator import MigrationRefused, MigrationReport
from console.db.urls import BadURLError
from console.profiles import Profile, ProfileError, resolve_profile, validate_profile


def profile_from_args(args: argparse.Namespace) -> Profile:
    try:
        profile = resolve_profile(
            getattr(args, "profile", None),
            getattr(args, "url", None),
            environment=getattr(args, "environment", None),
        )
        replica = getattr(args, "replica_url", None)
        if replica:
            profile = validate_profile(replace(profile, replica_url=" ".join(replica)))
        return profile
    except (ProfileError, BadURLError) as exc:
        raise CommandError(str(exc), 2) from exc


def open_from_args(
    args: argparse.Namespace,
    *,
    assume_yes: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> Database:
    """Open the profile of ``--profile``/``--url``; staging migrates only with ``--yes``,
    prod only with ``--yes`` and ``--unlock`` naming the profile.

    The password comes from the keyring, ``.pgpass`` or a service file; only when the
    server asks for one that none of them had does a terminal user get a prompt (the
    answer is kept in memory for this process only).
    """
    profile = profile_from_args(args)
    yes = bool(getattr(args, "yes", False)) if assume_yes is None else assume_yes

    def confirm(report: MigrationReport) -> bool:
        from console.actions.guard import WriteGuard

        guard = WriteGuard.for_profile(profile)  # the one guard: prod needs the unlock
        typed = getattr(args, "unlock", None)
        if typed is not None and guard.needs_unlock:
            guard.unlock(typed)
        return yes and guard.may_write()

    try:
        for _ in range(3):  # an SSH key passphrase, a TLS key passphrase, a password
            try:
                return open_database(profile, confirm_migrations=confirm, progress=progress)
            except ConnectionFailed as exc:
                if not _ask_key_passphrase(exc, profile):
                    password = (
                        _password_for_session(profile) if _needs_password(exc, profile) else None
                    )
                    if password is None:
                        raise
                    return open_database(
                        profile, password=password, confirm_migrations=confirm, progress=progress
                    )
        return open_database(profile, confirm_migrations=confirm, progress=progress)
    except MigrationRefused as exc:
        raise CommandError(
            f"profile {profile.name!r} ({profile.environment_label}) has pending migrations "
            f"{', '.join(exc.report.pending)}; review them with 'autopr-console migrate --sql "
            f"--profile {profile.name}' and apply with --yes"
        ) from exc
    except ConnectionFailed as exc:
        raise CommandError(str(exc)) from exc


def _ask_key_passphrase(exc: ConnectionFailed, profile: Profile) -> bool:
    """Ask a terminal user for the SSH or TLS key passphrase; memory only, never stored."""
    from console.db import passphrases

    kinds: dict[str, passphrases.KeyKind] = {
        "tunnel-passphrase": passphrases.SSH,
        "tls-passphrase": passphrases.TLS,
    }
    which = kinds.get(exc.kind)
    if which is None or not sys.stdin.isatty():
        return False
    print(str(exc), file=sys.stderr)
    label = "SSH key" if which == passphrases.SSH else "TLS client key"
    answer = getpass.getpass(f"Passphrase for the {label} of {profile.name} (not stored): ")
    if not answer:
        return False
    passphrases.remember(which, profile.name, answer)
    return True


def _needs_password(exc: ConnectionFailed, profile: Profile) -> bool:
    return exc.cause == "password" and not profile.embedded


def _password_for_session(profile: Profile) -> str | None:
    """Ask on the terminal (never when piped); keep the answer for this session only."""
    if not sys.stdin.isatty():
        return None
    pw = getpass.getpass(f"Password for profile {profile.name} (kept for this session only): ")
    if pw:
        secrets.remember_for_session(profile.name, pw)
    return pw or None
