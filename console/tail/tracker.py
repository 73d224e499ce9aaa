"""Exactly-once bookkeeping of the live tail: which committed log lines are new.

The problem
-----------
A writer's transaction stamps ``created_at = now()`` when it *starts* and may
commit seconds after a transaction that started later; some roll back.  So
"rows with ``created_at`` after the last one shown" loses lines, and a look-back
window with no other information shows some twice or loses the ones older than
the window.

The argument
------------
Every fetch ``k`` reads in one MVCC snapshot ``S_k`` (a REPEATABLE READ
transaction) and records it with ``pg_current_snapshot()``.  Snapshots taken
one after another by one session only grow: a row visible in ``S_{k-1}`` is
visible in ``S_k``.  So the rows to show at fetch ``k`` are exactly those
visible in ``S_k`` but not in ``S_{k-1}``; by induction, every committed row is
shown at the first fetch after its commit, and never again.  A rolled-back row
is visible in no snapshot, so it is never shown.

Deciding "not visible in ``S_{k-1}``" on the server, for a row whose inserting
transaction id is ``x`` (the 32-bit ``xmin``, widened to ``xid8`` against the
current snapshot's ``xmax``, exact for any row younger than 2^31 transactions):

1. ``x < xmin(S_{k-1})`` (the *horizon*): the transaction had finished before
   ``S_{k-1}`` was taken (a subtransaction id is always greater than its
   parent's id, so this holds for subtransactions too).  Such a row was
   visible then, or never will be.  Not new.
2. ``NOT pg_visible_in_snapshot(x, S_{k-1})``: ``x`` was running or not yet
   assigned when ``S_{k-1}`` was taken.  New, for certain.
3. Otherwise the function says "visible", which is right for a top-level
   transaction but wrong for a *subtransaction* (a savepoint) whose parent was
   still running: snapshots list only top-level ids.  Such a row's parent ``P``
   was in ``S_{k-1}``'s in-progress list and has finished since, and ``x > P``.
   So the server also returns rows with ``x > F``, where ``F`` is the smallest
   in-progress id of ``S_{k-1}`` that has finished by ``S_k``; these
   *ambiguous* rows are checked against the set of ids already shown.

The set of ids already shown only needs the rows with ``x >= horizon`` (older
ones are excluded by rule 1), so it is pruned each time the horizon advances:
its size is the number of lines committed since the oldest transaction still
running began writing.  It is also a belt and braces: an id already shown is
never shown again, whatever the server says.

Finding the rows fast needs an index, so every fetch also has a lower bound on
``created_at`` (the *floor*).  A row that becomes visible at fetch ``k`` was
written by a transaction that was open, or not yet started, when the floor was
read (the floor is read *before* the snapshot is taken): its ``created_at``,
``now()`` of that transaction, is at least the oldest ``xact_start`` of the
transactions open in the database at that moment (``pg_stat_activity``), or
the moment itself.  A margin covers writers that stamp a client clock.  Where
``pg_stat_activity`` hides other roles' sessions, or on a read replica (whose
activity view does not show the primary's writers), the floor is a fixed
look-back instead; the tail reports that it is exact only for transactions
shorter than that look-back.

``max_lookback`` caps the floor so that a session left idle in a transaction
for hours does not make every fetch scan hours of lines.  The transactions the
cap cuts off are remembered by (pid, ``xact_start``).  A row of such a
transaction ``T`` can only become visible in a snapshot taken after ``T`` ends;
so each fetch, right after taking its snapshot, reads the activity view again
(first use in the transaction, hence after the snapshot): if ``T`` is still
there, none of its rows is visible yet; if it is gone, that one fetch uses
``T``'s own start as its floor.  By induction (a ``T`` still open after the
snapshot of fetch ``k`` was open at the floor read of fetch ``k + 1``), no line
is lost to the cap; a long transaction costs one longer fetch when it ends.  At
start the seed reads ids down to the uncapped floor, so that such a fetch does
not take history for new lines.

On a hot standby ``pg_current_snapshot()`` lists no in-progress ids (the
standby tracks them differently), so there every row with ``x >= horizon`` is
treated as ambiguous and checked against the id set.

On a read replica
-----------------
The tail follows a streaming standby by polling (a standby cannot ``LISTEN``).
The argument above carries over, with these differences:

* Snapshots still only grow.  A standby's snapshot is the state of replay at
  the moment it is taken: a transaction is visible once its commit record has
  been replayed, and replay applies commit records in the primary's commit
  order, so a row visible in ``S_{k-1}`` is visible in ``S_k`` and "visible in
  ``S_k``, not in ``S_{k-1}``" still names each committed row exactly once; an
  aborted transaction has no commit record and is never visible.
* The ids are the primary's.  ``xmin`` and the snapshots' ``xmin``/``xmax`` on
  a standby come from the replayed WAL, so the horizon and the xid widening
  work as on the primary.  What is missing is the in-progress list (above):
  every row at or over the horizon is checked against the id set, which is
  exact, only larger.
* The floor cannot be exact: the standby's activity view shows its own
  readers, not the primary's writers.  It is a fixed look-back
  (``fallback_lookback_s``, 300 s) from the standby's clock.  A row becomes
  visible when its commit is replayed, ``lag`` after the commit; its
  ``created_at`` is its transaction's start.  So a line is shown exactly once
  if its transaction's duration plus the replay lag stays under the
  look-back; a longer one is missed (never duplicated: the id set still
  guards).  The tail page says "late commits bounded by a look-back" for this
  mode, and the reader router sends pages back to the primary long before the
  lag nears the bound (10 s by default).
* A tail started on the primary and a tail on the standby never share state;
  a tail that reconnects keeps reading where it started.

Reconnects and server restarts keep this state: transaction ids never go
backwards across a restart, transactions in progress at a crash are aborted
(and so "finished"), and a fetch that failed half-way is simply repeated (the
rows it already delivered are in the id set).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEFAULT_SEEN_CAP = 1_000_000


@dataclass(frozen=True)
class Snapshot:
    """A ``pg_snapshot``: ``xmin:xmax:xip,...`` with 64-bit transaction ids."""

    xmin: int
    xmax: int
    xip: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        xmin, xmax, xip = text.split(":")
        ids = tuple(int(x) for x in xip.split(",") if x)
        return cls(int(xmin), int(xmax), ids)

    def text(self) -> str:
        return f"{self.xmin}:{self.xmax}:{','.join(str(x) for x in self.xip)}"

    def sees(self, xid: int) -> bool:
        """True when top-level transaction ``xid`` had finished when this snapshot was taken."""
        if xid < self.xmin:
            return True
        if xid >= self.xmax:
            return False
        return xid not in self.xip


@dataclass(frozen=True)
class Floor:
    """The lower bound on ``created_at`` for the next fetch, and how it was found."""

    at: datetime
    exact: bool  # True: from pg_stat_activity; False: a fixed look-back
    # Transactions the look-back cap cut off, as (pid, xact_start), and the floor
    # without the cap: a fetch that finds one of them ended looks back that far once.
    capped: tuple[tuple[int, datetime], ...] = ()
    uncapped: datetime | None = None

    @property
    def lowest(self) -> datetime:
        return self.uncapped if self.uncapped is not None else self.at


class SnapshotTracker:
    """The tail's position: previous snapshot, created_at floor and ids shown since the horizon."""

    def __init__(self, seen_cap: int = DEFAULT_SEEN_CAP) -> None:
        self.prev: Snapshot | None = None
        self.floor: Floor | None = None
        self.blind = False  # hot standby: no in-progress list in snapshots
        self._seen: dict[Any, int] = {}
        self._heap: list[tuple[int, Any]] = []
        self._cap = seen_cap
        self._evicted_upto = -1  # largest transaction id whose ids were evicted (cap reached)

    # ----------------------------------------------------------- query inputs
    @property
    def started(self) -> bool:
        return self.prev is not None

    @property
    def horizon(self) -> int:
        return self.prev.xmin if self.prev else 0

    def params(self) -> dict[str, Any]:
        """Parameters of the incremental fetch (see ``console.tail.sql.FETCH_NEW``)."""
        if self.prev is None or self.floor is None:
            raise RuntimeError("the tail has no starting snapshot yet")
        return {
            "prev": self.prev.text(),
            "horizon": self.prev.xmin,
            "floor": self.floor.at,
            "blind": self.blind,
        }

    # ------------------------------------------------------------- decisions
    def admit(self, row_id: Any, xid: int, fresh: bool) -> bool:
        """Decide whether a row returned by the fetch is shown; remembers it if so.

        ``fresh`` is the server's ``NOT pg_visible_in_snapshot(xid, prev)``.
        """
        if row_id in self._seen:
            return False
        if not fresh and xid <= self._evicted_upto:
            # Ambiguous and older than what the capped id set still remembers.
            return False
        self.remember(row_id, xid)
        return True

    def remember(self, row_id: Any, xid: int) -> None:
        if xid < self.horizon or row_id in self._seen:
            return
        self._seen[row_id] = xid
        heapq.heappush(self._heap, (xid, row_id))
        while len(self._seen) > self._cap:
            old_xid, old_id = heapq.heappop(self._heap)
            if self._seen.pop(old_id, None) is not None:
                self._evicted_upto = max(self._evicted_upto, old_xid)

    def advance(self, snapshot: Snapshot, floor: Floor) -> None:
        """The fetch read everything visible in ``snapshot``; the next one starts there."""
        self.prev = snapshot
        self.floor = floor
        heap = self._heap
        while heap and heap[0][0] < snapshot.xmin:
            _xid, row_id = heapq.heappop(heap)
            self._seen.pop(row_id, None)

    # ------------------------------------------------------------ reporting
    def seen_count(self) -> int:
        return len(self._seen)
