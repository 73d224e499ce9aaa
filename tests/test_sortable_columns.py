"""Every sortable column of every table page pages exactly like a plain ``ORDER BY`` in SQL.

Ties are the point: statuses, levels and event types repeat thousands of times and
trigger types and creators can be NULL, so a window is only right if it breaks ties by
id and puts NULLs where PostgreSQL does.  Each column is read forward (top, after),
backward (bottom, before), re-read from a row (from) and jumped into (seek), in both
directions, unfiltered and filtered, and compared with the plain statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from console.db.embedded import ServerAddress
from console.db.engine import make_engine
from console.queries import keyset, specs
from console.queries.keyset import Sort, WindowQuery, fetch_window
from console.ui.tables import columns
from tests.helpers.databases import create_database, drop_database
from tests.helpers.seeding import seed_engine

PAGE_COLUMNS = {
    "workflows": columns.WORKFLOWS,
    "executions": columns.EXECUTIONS,
    "logs": columns.LOGS,
    "integrations": columns.INTEGRATIONS,
    "events": columns.EVENTS,
}
# Indexed columns shown under another name (a uuid shown as the joined row's name or
# label: ordering by the uuid would not order what the operator reads) or not shown.
NOT_SHOWN_AS_INDEXED = {
    "workflows": {"config"},
    "workflow_executions": {"workflow_id"},
    "execution_logs": {"execution_id"},
    "integrations": set(),
    "integration_events": {"integration_id"},
}
PAGE = 60
FILTERED: dict[str, list[dict[str, Any]]] = {
    "executions": [{"status": ["failed", "running"]}],
    "logs": [{"min_level": "WARNING"}],
    "events": [{"status": ["failed", "pending"]}],
}
CASES = [
    (key, col.sort, desc, filters)
    for key, cols in PAGE_COLUMNS.items()
    for col in cols
    if col.sort
    for desc in (False, True)
    for filters in ({}, *FILTERED.get(key, []))
]


@pytest.fixture(scope="module")
def seeded(pg_address: ServerAddress, template_db: str) -> Iterator[Engine]:
    """One seeded database for the module (read only by its tests)."""
    name = f"t_sort_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name, template=template_db)
    engine = make_engine(pg_address.url(name))
    seed_engine(engine)
    with engine.begin() as conn:  # NULL groups, at both ends of the order
        conn.execute(
            text("UPDATE workflow_executions SET trigger_type = NULL WHERE random() < 0.2")
        )
        conn.execute(text("UPDATE workflows SET created_by = NULL WHERE random() < 0.3"))
        conn.execute(
            text(
                "UPDATE integrations SET last_health_check = NULL"
                " WHERE name IN ('int-jira', 'int-teams')"
            )
        )
        conn.execute(text("ANALYZE"))
    yield engine
    engine.dispose()
    drop_database(pg_address, name)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(r["id"]) for r in rows]


def plain_order(engine: Engine, q: WindowQuery) -> list[dict[str, Any]]:
    spec, where = q.spec, q.where()
    d = "DESC" if q.sort.descending else "ASC"
    sql = (
        f"SELECT {spec.select_list()} FROM {spec.from_sql} WHERE {where.sql()}"
        f" ORDER BY {q.key.order_expr} {d}, {spec.id_expr} {d}"
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), where.params).mappings()]


def test_every_sortable_column_has_a_sort_key_and_every_indexed_column_sorts(seeded) -> None:
    for key, cols in PAGE_COLUMNS.items():
        spec = specs.SPECS[key]
        sortable = {c.sort for c in cols if c.sort}
        assert sortable <= set(spec.sort_keys), key
        with seeded.connect() as conn:
            indexed = {
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT a.attname FROM pg_index i"
                        " JOIN pg_attribute a ON a.attrelid = i.indrelid"
                        "  AND a.attnum = i.indkey[0]"
                        " WHERE i.indrelid = to_regclass(:t) AND a.attname <> 'id'"
                    ),
                    {"t": spec.table},
                )
            }
        shown = {c.name for c in cols}
        missing = (indexed - NOT_SHOWN_AS_INDEXED[spec.table]) & shown - sortable
        assert not missing, f"{key}: indexed columns not sortable: {missing}"
        assert indexed - NOT_SHOWN_AS_INDEXED[spec.table] <= shown | {"name"}, key


@pytest.mark.parametrize(("key", "name", "desc", "filters"), CASES)
def test_windows_match_a_plain_order_by(seeded, key, name, desc, filters) -> None:
    q = WindowQuery.make(specs.SPECS[key], filters, Sort(name, desc))
    assert q.sort == Sort(name, desc)
    expected = plain_order(seeded, q)
    page = min(PAGE, max(2, len(expected) // 4))  # several pages on the small tables too
    assert len(expected) > 2 * page
    with seeded.connect() as conn:
        forward = fetch_window(conn, q, "top", page)
        while True:
            more = fetch_window(conn, q, "after", page, anchor=keyset.sort_value(forward[-1], q))
            forward += more
            if len(more) < page:
                break
        backward = fetch_window(conn, q, "bottom", page)
        while True:
            more = fetch_window(conn, q, "before", page, anchor=keyset.sort_value(backward[0], q))
            backward = more + backward
            if len(more) < page:
                break
        middle = len(expected) // 2
        again = fetch_window(conn, q, "from", page, anchor=keyset.sort_value(expected[middle], q))
        value = expected[middle][name]
        sought = fetch_window(conn, q, "seek", page, value=value)
    assert ids(forward) == ids(expected)
    assert ids(backward) == ids(expected)
    assert ids(again) == ids(expected[middle : middle + page])
    first = next(i for i, r in enumerate(expected) if r[name] == value)
    assert ids(sought) == ids(expected[first : first + page])


@pytest.mark.parametrize(
    ("key", "name", "filters", "outside", "after"),
    [
        ("executions", "status", {"status": ["failed", "running"]}, "pending", {"running"}),
        ("logs", "level", {"min_level": "WARNING"}, "INFO", {"WARNING", "ERROR", "CRITICAL"}),
    ],
)
def test_an_anchor_outside_the_filter_moves_on(seeded, key, name, filters, outside, after) -> None:
    """A row that no longer matches (its status changed) anchors a window: the window goes
    on with the next group the filter keeps, in order, without reading the excluded one."""
    q = WindowQuery.make(specs.SPECS[key], filters, Sort(name, False))
    expected = [r for r in plain_order(seeded, q) if r[name] in after]
    anchor = (outside, "00000000-0000-0000-0000-000000000000")
    with seeded.connect() as conn:
        rows = fetch_window(conn, q, "after", 40, anchor=anchor)
    assert rows and ids(rows) == ids(expected[:40])
