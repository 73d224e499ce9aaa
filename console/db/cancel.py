"""Server-side cancel of the statements an engine is running right now.

Forgetting a slow answer leaves the server working (and a pool connection
taken) until the statement ends; a cancel request stops it on the server.
The engine's pool reports which connections are checked out; :meth:`cancel_all`
sends each one PostgreSQL's cancel request (a separate short connection, safe
to send from any thread while the statement runs on another).

A console with replicas reads through their engines too: :meth:`for_database`
tracks the primary's engine and every replica's, so a cancel reaches the
statements running on the replicas as well.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event

if TYPE_CHECKING:
    from console.db.connection import Database

log = logging.getLogger(__name__)


class QueryCanceller:
    """Tracks the checked-out connections of the engines and cancels their statements."""

    def __init__(self, engine: Engine, *more: Engine) -> None:
        self.engine = engine
        self.engines = [engine, *more]
        self._lock = threading.Lock()
        self._busy: set[Any] = set()  # DBAPI (psycopg) connections in use
        for each in self.engines:
            event.listen(each, "checkout", self._checkout)
            event.listen(each, "checkin", self._checkin)

    @classmethod
    def for_database(cls, db: Database) -> QueryCanceller:
        """The primary's engine and, with replicas, each replica's."""
        replicas = [engine for _url, engine in db.replica.replicas] if db.replica else []
        return cls(db.engine, *(e for e in replicas if e is not db.engine))

    def _checkout(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        with self._lock:
            self._busy.add(dbapi_conn)

    def _checkin(self, dbapi_conn: Any, _record: Any) -> None:
        with self._lock:
            self._busy.discard(dbapi_conn)

    def in_use(self) -> int:
        with self._lock:
            return len(self._busy)

    def cancel_all(self, timeout_s: float = 5.0) -> int:
        """Ask the server to cancel what each connection in use runs; returns how many.

        Blocks for the cancel requests' round trips: call it off the GUI thread.
        A connection between statements ignores the request.
        """
        with self._lock:
            busy = list(self._busy)
        sent = 0
        for conn in busy:
            try:
                conn.cancel_safe(timeout=timeout_s)
                sent += 1
            except Exception as exc:  # a connection that is gone needs no cancel
                log.info("cancel request not sent: %s", exc)
        return sent

    def close(self) -> None:
        for each in self.engines:
            event.remove(each, "checkout", self._checkout)
            event.remove(each, "checkin", self._checkin)
