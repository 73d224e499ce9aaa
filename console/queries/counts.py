"""Row totals that can be trusted: exact where that is cheap, estimates that say their age.

``count(*)`` over 10M log lines takes about a second; ``pg_class.reltuples``
answers in a few milliseconds, and ``EXPLAIN`` gives the planner's estimate for
a filtered query at the same cost.  But an estimate far from the truth is worse
than none: ``reltuples`` is as old as the table's last ANALYZE (a fresh demo
showed "≈ 200 executions" for 406).  So:

* a table the statistics say is small (under :data:`SMALL_ROWS`) is counted
  exactly, under a short statement timeout (an estimate again if that runs out);
* a table never analysed, or changed a lot since (:func:`is_stale`), is estimated
  from the live-row counter the server keeps current (``n_live_tup``), and the
  total says how old the statistics are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, text

from console.queries.keyset import WindowQuery

SMALL_ROWS = 200_000  # count(*) over this many rows takes well under a second
EXACT_TIMEOUT_MS = 500  # ...and is given up after this long, keeping the estimate
STALE_SHARE = 0.2  # rows changed since the last ANALYZE, as a share of the estimate


@dataclass(frozen=True)
class RowTotal:
    rows: int
    exact: bool
    note: str | None = None  # how old or how rough an estimate is ("statistics 3 h old")


@dataclass(frozen=True)
class TableFacts:
    """What the server knows of a table's size (partitions summed)."""

    reltuples: int | None  # None: never analysed
    live: int  # n_live_tup: kept current by every commit
    changed: int  # n_mod_since_analyze
    analysed_age_s: float | None  # since the last (auto)analyze; None: never

    @property
    def size(self) -> int:
        return max(self.reltuples or 0, self.live)


# pg_stat counters of the table itself or, partitioned, of its leaves.
FACTS = """
WITH leaves AS (
    SELECT t.relid FROM pg_partition_tree(to_regclass(:t)) t WHERE t.isleaf
    UNION
    SELECT c.oid FROM pg_class c WHERE c.oid = to_regclass(:t) AND c.relkind <> 'p'
)
SELECT sum(greatest(c.reltuples, 0))::bigint, bool_or(c.reltuples >= 0),
       coalesce(sum(s.n_live_tup), 0)::bigint, coalesce(sum(s.n_mod_since_analyze), 0)::bigint,
       extract(epoch FROM now() - min(greatest(s.last_analyze, s.last_autoanalyze)))
FROM leaves l JOIN pg_class c ON c.oid = l.relid
LEFT JOIN pg_stat_all_tables s ON s.relid = l.relid
"""


def table_facts(conn: Connection, table: str) -> TableFacts | None:
    row = conn.execute(text(FACTS), {"t": table}).one_or_none()
    if row is None or row[0] is None:
        return None
    tuples, analysed, live, changed, age = row
    return TableFacts(
        reltuples=int(tuples) if analysed else None,
        live=int(live),
        changed=int(changed),
        analysed_age_s=float(age) if age is not None else None,
    )


def is_stale(facts: TableFacts) -> bool:
    """Never analysed, or many rows changed since the statistics were taken."""
    if facts.reltuples is None or facts.analysed_age_s is None:
        return True
    return facts.changed > STALE_SHARE * max(facts.reltuples, 1) + 1000


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "never analysed"
    if seconds < 120:
        return f"statistics {int(seconds)} s old"
    if seconds < 7200:
        return f"statistics {int(seconds // 60)} min old"
    if seconds < 172800:
        return f"statistics {int(seconds // 3600)} h old"
    return f"statistics {int(seconds // 86400)} days old"


# A partitioned parent has no reltuples of its own (-1): its leaves are summed instead,
# those never analysed (-1) counting as empty unless none was analysed at all.
ESTIMATE = """
SELECT CASE WHEN c.relkind <> 'p' THEN c.reltuples::bigint
            ELSE (SELECT CASE WHEN bool_or(p.reltuples >= 0)
                              THEN sum(greatest(p.reltuples, 0))::bigint ELSE -1 END
                  FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid
                  WHERE t.isleaf) END
FROM pg_class c WHERE c.oid = to_regclass(:t)
"""


def table_estimate(conn: Connection, table: str) -> int | None:
    """``reltuples`` of a table (summed over partitions); None when never analysed (-1)."""
    value = conn.execute(text(ESTIMATE), {"t": table}).scalar()
    if value is None or value < 0:
        return None
    return int(value)


def explain_estimate(conn: Connection, q: WindowQuery) -> int:
    """The planner's row estimate for the filtered table."""
    where = q.where()
    sql = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {q.spec.base_from()} WHERE {where.sql()}"
    plan = conn.execute(text(sql), where.params).scalar()
    doc = plan if isinstance(plan, list) else json.loads(str(plan))
    return int(doc[0]["Plan"]["Plan Rows"])


def estimate_rows(conn: Connection, q: WindowQuery) -> RowTotal:
    """How many rows the window query matches: exact when cheap, else an estimate that
    says how old its statistics are when they are stale."""
    facts = table_facts(conn, q.spec.table)
    if facts is not None and facts.size < SMALL_ROWS:
        exact = _bounded_exact_count(conn, q)
        if exact is not None:
            return exact
    stale = facts is None or is_stale(facts)
    note = None
    if facts is not None and stale:
        note = (
            "statistics of unknown age"
            if facts.reltuples is not None and facts.analysed_age_s is None
            else age_text(facts.analysed_age_s)
        )
    if not q.filters:
        if facts is not None and stale and facts.live and facts.analysed_age_s is not None:
            return RowTotal(facts.live, False, note)  # the live counter, not old reltuples
        if facts is not None and facts.reltuples is None and facts.live:
            return RowTotal(facts.live, False, note)
        est = table_estimate(conn, q.spec.table)
        if est is not None:
            return RowTotal(est, False, note)
    return RowTotal(explain_estimate(conn, q), False, note)


def _bounded_exact_count(conn: Connection, q: WindowQuery) -> RowTotal | None:
    """``count(*)`` under a short statement timeout; None when it ran out."""
    from sqlalchemy.exc import DBAPIError

    savepoint = conn.begin_nested()
    try:
        # Local to the savepoint's transaction; rolled back with it on a timeout.
        conn.execute(
            text("SELECT set_config('statement_timeout', :ms, true)"),
            {"ms": f"{EXACT_TIMEOUT_MS}ms"},
        )
        total = exact_count(conn, q)
    except DBAPIError as exc:
        savepoint.rollback()
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "57014":  # query_canceled
            return None
        raise
    savepoint.rollback()  # nothing was written; this also restores the statement timeout
    return total


def exact_count(conn: Connection, q: WindowQuery) -> RowTotal:
    where = q.where()
    sql = f"SELECT count(*) FROM {q.spec.base_from()} WHERE {where.sql()}"
    return RowTotal(int(conn.execute(text(sql), where.params).scalar() or 0), True)
