"""The write lock of a connected profile.

prod connects read-only (enforced by the server through
``default_transaction_read_only``); a write needs an unlock in which the
operator types the profile's name, and the unlock lapses after a few minutes or
when the profile is switched (a new guard is made per connection).
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_UNLOCK_S = 300.0


class WriteGuard:
    def __init__(
        self,
        profile_name: str,
        environment: str,
        *,
        unlock_seconds: float = DEFAULT_UNLOCK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile_name = profile_name
        self.environment = environment
        self.unlock_seconds = unlock_seconds
        self._clock = clock
        self._unlocked_until = 0.0

    @property
    def needs_unlock(self) -> bool:
        """True for prod: writes are refused until :meth:`unlock` succeeds."""
        return self.environment == "prod"

    @property
    def confirms_destructive(self) -> bool:
        """True where destructive and bulk actions ask for confirmation (staging and prod)."""
        return self.environment in ("staging", "prod")

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

    def state_text(self) -> str:
        if not self.needs_unlock:
            return "writable"
        left = self.seconds_left()
        if left <= 0:
            return "locked (read-only)"
        return f"unlocked for {int(left // 60)}:{int(left % 60):02d}"
