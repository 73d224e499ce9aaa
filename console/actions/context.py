"""Who acts, where, and whether writing is allowed right now."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from console.actions.guard import WriteGuard

if TYPE_CHECKING:
    from console.db.connection import Database


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER variable and no passwd entry (containers)
        return "unknown"


def host_name() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return "unknown"


@dataclass
class ActionContext:
    """The engine to write through and the facts every audit row records."""

    engine: Engine
    profile: str
    environment: str
    guard: WriteGuard
    read_only_reason: str | None = None  # schema ahead of us / unmanaged: never write
    actor: str = field(default_factory=os_user)
    actor_host: str = field(default_factory=host_name)

    @classmethod
    def for_database(cls, db: Database, guard: WriteGuard | None = None) -> ActionContext:
        guard = guard or WriteGuard.for_profile(db.profile)
        return cls(
            engine=db.engine,
            profile=db.profile.name,
            environment=db.profile.environment,
            guard=guard,
            read_only_reason=db.read_only_reason,
        )

    def check_may_write(self, *, needs_confirmation: bool, confirmed: bool) -> None:
        """Refuse before touching the database when writing is not allowed (see the guard)."""
        self.guard.check(
            needs_confirmation=needs_confirmation,
            confirmed=confirmed,
            read_only_reason=self.read_only_reason,
        )
