"""Server-side cancel of the statements an engine is running right now.

Forgetting a slow answer leaves the server working (and a pool connection
taken) until the statement ends; a cancel request stops it on the server.
The engine's pool reports which connections are checked out; :meth:`cancel_all`
sends each one PostgreSQL's cancel request (a separate short connection, safe
to send from any thread while the statement runs on another).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)


class QueryCanceller:
    """Tracks the checked-out connections of ``engine`` and cancels their statements."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._busy: set[Any] = set()  # DBAPI (psycopg) connections in use
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

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
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)
