"""Log lines of known ages, for the retention tests (CLI and window)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from tests.helpers.loadgen import finish_execution, make_execution

AGES_DAYS = (195, 150, 120, 100, 60, 10, 1)


def fill_aged_lines(conninfo: str) -> tuple[str, str]:
    """Three lines per age for a finished execution, one 150-day-old line of a running one."""
    done, _ = make_execution(conninfo)
    running, _ = make_execution(conninfo)
    now = datetime.now(UTC)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for days in AGES_DAYS:
            for n in range(3):
                conn.execute(
                    "INSERT INTO execution_logs (execution_id, message, created_at)"
                    " VALUES (%s, %s, %s)",
                    (done, f"{days}d #{n}", now - timedelta(days=days, minutes=n)),
                )
        conn.execute(
            "INSERT INTO execution_logs (execution_id, message, created_at) VALUES (%s, %s, %s)",
            (running, "still running", now - timedelta(days=150)),
        )
    finish_execution(conninfo, done)
    return done, running


def messages(conninfo: str) -> set[str]:
    """Every log line's message."""
    with psycopg.connect(conninfo) as conn:
        return {r[0] for r in conn.execute("SELECT message FROM execution_logs")}


def expected_after(cut_days: int) -> set[str]:
    """The messages left once lines older than ``cut_days`` are gone."""
    kept = {f"{d}d #{n}" for d in AGES_DAYS if d < cut_days for n in range(3)}
    return kept | {"still running"}
