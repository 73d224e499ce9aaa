"""Edited JSON documents get their masked secrets back, by key path, inside the write.

The editors (window and CLI) show documents through :func:`console.secret_policy.mask`;
a save hands back what the operator edited, and the action puts the stored
secrets back against the row it has just locked (so a concurrent change of the
secrets is never overwritten with an older value).
"""

from __future__ import annotations

from typing import Any

from console.actions.errors import INVALID, ActionError
from console.secret_policy import SecretRestoreError, restore


def with_stored_secrets(edited: Any, stored: Any, what: str) -> Any:
    """``edited`` with its placeholders replaced by the ``stored`` secrets, or a refusal."""
    try:
        return restore(edited, stored if stored is not None else {})
    except SecretRestoreError as exc:
        raise ActionError(INVALID, f"{what}: {exc}") from None
