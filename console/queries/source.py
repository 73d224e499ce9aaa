"""What the UI holds to run queries: anything that opens a SQLAlchemy Connection.

Every query function takes a ``Connection``; pages keep a :class:`Connectable`
(``Database.reader``: the engine, or the replica router) and open one per task.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Connection


class Connectable(Protocol):
    def connect(self) -> Connection: ...
