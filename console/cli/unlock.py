"""The write guard on the command line: ``--unlock NAME`` and ``--yes`` for every writing command.

Every command that writes (the action commands, ``demo``) builds its guard here,
before connecting, so a refusal costs no connection and reads the same everywhere.
"""

from __future__ import annotations

import argparse

from console.actions.errors import ActionError
from console.actions.guard import WriteGuard
from console.cli import CommandError
from console.profiles import Profile

SAFETY_EXIT = 3  # refused by the safety rules before anything was tried


def unlocked_guard(args: argparse.Namespace, profile: Profile) -> WriteGuard:
    """The guard of ``profile``, unlocked by ``--unlock``; refuse (exit 3) when locked."""
    guard = WriteGuard.for_profile(profile)
    typed = getattr(args, "unlock", None)
    if typed is not None and guard.needs_unlock and not guard.unlock(typed):
        raise CommandError(
            f"--unlock {typed!r} does not match the profile name {profile.name!r}", SAFETY_EXIT
        )
    if not guard.may_write():
        hint = ""
        if profile.environment_assumed:
            hint = " (or declare its environment with --environment / AUTOPR_ENVIRONMENT)"
        raise CommandError(
            f"profile {profile.name!r} is {guard.environment_label} and read-only; repeat "
            f"with --unlock {profile.name} to write{hint}",
            SAFETY_EXIT,
        )
    return guard


def demo_guard(profile: Profile) -> WriteGuard:
    """The guard of a demo run: refused outright anywhere but local and dev (exit 3)."""
    guard = WriteGuard.for_profile(profile)
    try:
        guard.check_demo()
    except ActionError as exc:
        hint = ""
        if profile.environment_assumed:
            hint = "; if this server really is a dev one, say so with --environment dev"
        raise CommandError(f"{exc}{hint}", SAFETY_EXIT) from None
    return guard
