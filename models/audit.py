"""The ORM class of the console's own ``audit_log`` table (defined in :mod:`models.schema`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped

from models import schema
from models.base import Base


class AuditLog(Base):
    __table__ = schema.AUDIT_LOG

    id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime]
    actor: Mapped[str]
    actor_host: Mapped[str | None]
    profile: Mapped[str | None]
    action: Mapped[str]
    target_table: Mapped[str]
    target_id: Mapped[str | None]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
