"""Generated execution ids are distinct by construction (revision 0005, models.execution_ids).

The old generator put six random hex digits after the second: 24 bits a second, so
50,000 ids in one statement shared a suffix about 74 times.  Now the digits are a
bijective scramble of a sequence, and the console's retries draw from the same one.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url

from console.actions.errors import BulkItem
from console.actions.executions import bulk_retry, new_execution_id
from console.db.engine import make_engine
from console.db.urls import libpq_conninfo
from models.execution_ids import (
    MULTIPLIER_1,
    MULTIPLIER_2,
    SHIFT_1,
    SHIFT_2,
    SUFFIX_BITS,
    SUFFIX_MASK,
    scramble,
)
from tests.helpers.actions import AUDIT, EX, make_ctx, workflow
from tests.helpers.catalog import catalog_dump
from tests.helpers.migrate import migrate

ID_FORMAT = re.compile(r"exec-(\d{8}-\d{6})-[0-9a-f]{6}")
DRAWN = 50_000


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(libpq_conninfo(make_url(url)), autocommit=True)


def _draw(conn: psycopg.Connection, n: int) -> tuple[list[str], float]:
    """``n`` ids from one statement, and the ids per second it managed."""
    started = time.perf_counter()
    rows = conn.execute(
        "SELECT autopr_new_execution_id() FROM generate_series(1, %s)", (n,)
    ).fetchall()
    return [r[0] for r in rows], n / (time.perf_counter() - started)


def _shared_suffixes(ids: list[str]) -> int:
    return len(ids) - len({i[-6:] for i in ids})


def _generator_objects(url: str) -> list[tuple]:
    with _connect(url) as conn:
        return conn.execute(
            "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
            "WHERE proname LIKE 'autopr%execution_id%' "
            "UNION ALL SELECT relname, relacl::text FROM pg_class "
            "WHERE relname = 'autopr_execution_id_seq' ORDER BY 1"
        ).fetchall()


def test_fifty_thousand_ids_in_one_statement_are_distinct(db_url: str) -> None:
    with _connect(db_url) as conn:
        before = conn.execute("SELECT date_trunc('second', clock_timestamp())").fetchone()[0]
        ids, rate = _draw(conn, DRAWN)
        after = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    seconds = Counter(ID_FORMAT.fullmatch(i).group(1) for i in ids if ID_FORMAT.fullmatch(i))
    print(f"{DRAWN:,} ids in {len(seconds)} second(s), {rate:,.0f} ids/s; first {ids[:3]}")
    assert sum(seconds.values()) == DRAWN  # every one has the documented format
    assert len(set(ids)) == DRAWN
    assert _shared_suffixes(ids) == 0  # not even across seconds
    for stamp in seconds:  # stamped in UTC, by the server's clock
        when = datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        assert before <= when <= after


def test_the_suffix_is_the_python_scramble_of_the_sequence(db_url: str) -> None:
    counters = [*range(70_000), SUFFIX_MASK, 1 << SUFFIX_BITS, (1 << 40) + 5, 2**63 - 1]
    with _connect(db_url) as conn:
        got = conn.execute(
            "SELECT n, autopr_execution_id_suffix(n) FROM unnest(%s::bigint[]) n", (counters,)
        ).fetchall()
        ids, _rate = _draw(conn, 1000)
        last = conn.execute("SELECT currval('autopr_execution_id_seq')").fetchone()[0]
    assert got == [(n, f"{scramble(n):06x}") for n in counters]
    assert scramble(1 << SUFFIX_BITS) == scramble(0)  # the counter modulo 2**24
    # One nextval per id, in order: the suffixes are the scrambles of the last 1,000 values.
    assert [i[-6:] for i in ids] == [f"{scramble(n):06x}" for n in range(last - 999, last + 1)]


def _unscramble(y: int) -> int:
    """The inverse of :func:`scramble` (exists because each step is invertible)."""

    def undo_xorshift(v: int, shift: int) -> int:
        x = v
        for _ in range(SUFFIX_BITS // shift + 1):
            x = v ^ (x >> shift)
        return x

    x = undo_xorshift(y, SHIFT_2)
    x = x * pow(MULTIPLIER_2, -1, 1 << SUFFIX_BITS) & SUFFIX_MASK
    x = undo_xorshift(x, SHIFT_1)
    return x * pow(MULTIPLIER_1, -1, 1 << SUFFIX_BITS) & SUFFIX_MASK


def test_the_scramble_is_a_bijection_of_24_bits() -> None:
    rng = random.Random(5)
    sample = [*range(100_000), *(rng.randrange(1 << SUFFIX_BITS) for _ in range(100_000))]
    assert all(_unscramble(scramble(x)) == x for x in sample)
    assert len({scramble(x) for x in range(100_000)}) == 100_000


def test_python_ids_are_distinct_within_the_process() -> None:
    """The retry's own ids (databases without the function): no repeat in 100,000, where
    six random digits repeat about 300 times."""
    ids = [new_execution_id() for _ in range(100_000)]
    assert all(ID_FORMAT.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids) and _shared_suffixes(ids) == 0


def test_the_old_generator_repeats_and_the_downgrade_restores_it(
    db_url: str, empty_db_url: str
) -> None:
    """0005 -> 0004 -> 0005 on a console-made database: the catalog of 0004 exactly, and
    the distinctness check above catches the old function."""
    head = catalog_dump(db_url, storage=False)
    migrate(empty_db_url, "upgrade", "0004")
    migrate(db_url, "downgrade", "0004")
    try:
        assert catalog_dump(db_url, storage=False) == catalog_dump(empty_db_url, storage=False)
        with _connect(db_url) as conn:
            ids, old_rate = _draw(conn, DRAWN)
            inserted = conn.execute(
                "INSERT INTO workflows (name) VALUES ('w') RETURNING id"
            ).fetchone()
            conn.execute(  # the column default works with the old function again
                "INSERT INTO workflow_executions (workflow_id) VALUES (%s)", (inserted[0],)
            )
        objects = _generator_objects(db_url)
        print(f"old function: {_shared_suffixes(ids)} shared suffixes in {DRAWN:,} ids, "
              f"{old_rate:,.0f} ids/s")  # fmt: skip
        assert _shared_suffixes(ids) > 0  # ~74 expected: the check above would fail
        assert [name for name, _ in objects] == ["autopr_new_execution_id"]
        assert "md5(random()" in objects[0][1]
        with _connect(db_url) as conn:
            assert conn.execute("SELECT * FROM autopr_console_version").fetchall() == [("0004",)]
    finally:
        migrate(db_url, "upgrade", "head")
    assert catalog_dump(db_url, storage=False) == head
    with _connect(db_url) as conn:
        ids, rate = _draw(conn, DRAWN)
    print(f"new function: {_shared_suffixes(ids)} shared suffixes, {rate:,.0f} ids/s")
    assert _shared_suffixes(ids) == 0


def test_the_models_make_the_generator_the_migrations_make(db_url: str, empty_db_url: str) -> None:
    """models/execution_ids.py (create_all) and the newest revision agree."""
    from models import metadata

    engine = make_engine(empty_db_url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    assert _generator_objects(empty_db_url) == _generator_objects(db_url)
    assert len(_generator_objects(db_url)) == 3


@pytest.fixture
def plain_role(db_url: str) -> Iterator[str]:
    """A login-less role allowed to insert executions and nothing else of ours."""
    role = f"t_writer_{uuid.uuid4().hex[:8]}"
    with _connect(db_url) as conn:
        conn.execute(f"CREATE ROLE {role}")
        conn.execute(f"GRANT INSERT, SELECT ON workflow_executions TO {role}")
    yield role
    with _connect(db_url) as conn:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


def test_a_role_that_may_insert_takes_the_default(db_url: str, plain_role: str) -> None:
    """The sequence is usable by PUBLIC, as the function is: no new grant for writers."""
    with _connect(db_url) as conn:
        wf = conn.execute("INSERT INTO workflows (name) VALUES ('w') RETURNING id").fetchone()
        conn.execute(f"SET ROLE {plain_role}")
        got = conn.execute(
            "INSERT INTO workflow_executions (workflow_id) SELECT %s FROM generate_series(1, 3) "
            "RETURNING execution_id",
            (wf[0],),
        ).fetchall()
    assert len({r[0] for r in got}) == 3 and all(ID_FORMAT.fullmatch(r[0]) for r in got)


def _failed_executions(engine: Engine, count: int) -> list[BulkItem]:
    wf = workflow(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = (
            conn.execute(
                insert(EX).returning(EX.c.id),
                [
                    {
                        "workflow_id": wf["id"],
                        "execution_id": f"seed-{n:05d}",
                        "status": "failed",
                        "started_at": now - timedelta(hours=1),
                        "completed_at": now,
                    }
                    for n in range(count)
                ],
            )
            .scalars()
            .all()
        )
    return [BulkItem(str(i)) for i in ids]


def _children(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(EX.c.execution_id).where(EX.c.parent_execution_id.is_not(None))
            ).scalars()
        )


def test_a_bulk_retry_draws_its_ids_from_the_servers_sequence(engine: Engine) -> None:
    """1,000 retries in one action: every new id is the scramble of its own nextval, so
    they are distinct by construction (and from every default of the database)."""
    items = _failed_executions(engine, 1000)
    started = time.perf_counter()
    summary = bulk_retry(make_ctx(engine), items)
    took = time.perf_counter() - started
    children = _children(engine)
    with engine.connect() as conn:
        last = conn.execute(text("SELECT last_value FROM autopr_execution_id_seq")).scalar()
        audited = conn.execute(select(AUDIT.c.after["execution_id"].astext)).scalars().all()
    print(f"{summary.headline()} in {took:.1f} s, ids up to sequence value {last}")
    assert len(summary.done) == 1000 and not summary.refused
    assert all(ID_FORMAT.fullmatch(c) for c in children)
    assert len(set(children)) == 1000 and _shared_suffixes(children) == 0
    drawn = {f"{scramble(n):06x}" for n in range(last - 999, last + 1)}
    assert {c[-6:] for c in children} == drawn
    assert sorted(audited) == sorted(children)


def test_without_the_function_a_bulk_retry_makes_distinct_ids_itself(engine: Engine) -> None:
    """A database without autopr_new_execution_id() (and so without a default): the
    retry's own ids, still distinct within the action."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE workflow_executions ALTER execution_id DROP DEFAULT")
        conn.exec_driver_sql("DROP FUNCTION autopr_new_execution_id()")
    items = _failed_executions(engine, 500)
    summary = bulk_retry(make_ctx(engine), items)
    children = _children(engine)
    assert len(summary.done) == 500 and not summary.refused
    assert all(ID_FORMAT.fullmatch(c) for c in children)
    assert len(set(children)) == 500 and _shared_suffixes(children) == 0
