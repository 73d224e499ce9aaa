"""The one write guard: every path that writes asks it first.

prod connects read-only (enforced by the server through
``default_transaction_read_only``); a write needs an unlock in which the
operator types the profile's name, and the unlock lapses after a few minutes or
when the profile is switched (a new guard is made per connection).  staging and
prod also ask for a confirmation before destructive and bulk actions.  The demo
data and its simulator are refused on staging and prod outright.

Callers: the action layer (:func:`console.actions.tx.perform` and
:func:`~console.actions.tx.run_bulk`, before every batch), the window's action
controller, the CLI action commands, ``demo`` and the demo simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.actions.errors import CONFIRM, LOCKED, ActionError

if TYPE_CHECKING:
    from console.profiles import Profile

DEFAULT_UNLOCK_S = 300.0
DEMO_ENVIRONMENTS = ("local", "dev")


class WriteGuard:
    def __init__(
        self,
        profile_name: str,
        environment: str,
        *,
        environment_assumed: bool = False,
        unlock_seconds: float = DEFAULT_UNLOCK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile_name = profile_name
        self.environment = environment
        self.environment_assumed = environment_assumed
        self.unlock_seconds = unlock_seconds
        self._clock = clock
        self._unlocked_until = 0.0

    @classmethod
    def for_profile(cls, profile: Profile, **kwargs: Any) -> WriteGuard:
        return cls(
            profile.name,
            profile.environment,
            environment_assumed=profile.environment_assumed,
            **kwargs,
        )

    @property
    def environment_label(self) -> str:
        from console.environments import label

        return label(self.environment, self.environment_assumed)

    @property
    def needs_unlock(self) -> bool:
        """True for prod: writes are refused until :meth:`unlock` succeeds."""
        return self.environment == "prod"

    @property
    def confirms_destructive(self) -> bool:
        """True where destructive and bulk actions ask for confirmation (staging and prod)."""
        return self.environment in ("staging", "prod")

    @property
    def allows_demo(self) -> bool:
        """Demo rows and the simulator only ever go to local and dev databases."""
        return self.environment in DEMO_ENVIRONMENTS

    def unlock(self, typed_name: str) -> bool:
        """Unlock writes when ``typed_name`` is exactly the profile name."""
        if typed_name.strip() != self.profile_name:
            return False
        self._unlocked_until = self._clock() + self.unlock_seconds
        return True

    def lock(self) -> None:
        self._unlocked_until = 0.0

    def seconds_left(self) -> float:
        return max(0.0, self._unlocked_until - self._clock())

    def may_write(self) -> bool:
        return not self.needs_unlock or self.seconds_left() > 0

    def check(
        self,
        *,
        needs_confirmation: bool = False,
        confirmed: bool = False,
        read_only_reason: str | None = None,
    ) -> None:
        """Raise :class:`ActionError` unless a write may go ahead now."""
        if read_only_reason:
            raise ActionError(LOCKED, f"this database is open read-only: {read_only_reason}")
        if not self.may_write():
            raise ActionError(
                LOCKED,
                f"profile {self.profile_name!r} is {self.environment_label} and locked "
                "(read-only); unlock it by typing its name first",
            )
        if needs_confirmation and self.confirms_destructive and not confirmed:
            raise ActionError(
                CONFIRM,
                f"on {self.environment} this action needs an explicit confirmation",
            )

    def check_demo(self) -> None:
        """Refuse demo data and the simulator anywhere but local and dev (unlocked or not)."""
        if not self.allows_demo:
            raise ActionError(
                LOCKED,
                f"demo data and the simulator never write to {self.environment_label} "
                f"(profile {self.profile_name!r}); use a local or dev database",
            )
        self.check()

    def state_text(self) -> str:
        if not self.needs_unlock:
            return "writable"
        left = self.seconds_left()
        if left <= 0:
            return "locked (read-only)"
        return f"unlocked for {int(left // 60)}:{int(left % 60):02d}"
