"""Log writers for exercising a tail against a scratch database (tests and benchmarks).

Writers behave like a busy engine at its worst for a tail: each transaction
stamps ``created_at = now()`` when it starts, may sleep before committing (so
it commits after transactions that started later), writes some lines inside
savepoints (subtransactions, some rolled back to the savepoint), and a share of
transactions roll back entirely.  Run them in separate processes.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from models.vocab import LOG_LEVELS


@dataclass(frozen=True)
class WriterPlan:
    conninfo: str
    executions: tuple[str, ...]  # execution UUIDs (text)
    transactions: int = 50
    lines_per_tx: tuple[int, int] = (1, 5)
    rollback_share: float = 0.2
    savepoint_share: float = 0.3
    sleep_before_s: tuple[float, float] = (0.0, 0.05)  # after BEGIN/now(), before the first line
    sleep_after_s: tuple[float, float] = (0.0, 0.05)  # after the lines, before COMMIT
    long_share: float = 0.1  # these hold their transaction open for long_s
    long_s: float = 1.0
    seed: int = 0


def insert_line(conn: psycopg.Connection[Any], execution: str, message: str, **extra: Any) -> None:
    conn.execute(
        "INSERT INTO execution_logs (execution_id, level, message, step_name, log_metadata)"
        " VALUES (%s, %s, %s, %s, %s)",
        (
            execution,
            extra.get("level", "INFO"),
            message,
            extra.get("step_name"),
            json.dumps(extra["metadata"]) if extra.get("metadata") is not None else None,
        ),
    )


def run_writer(plan: WriterPlan) -> int:
    """Write per ``plan``; returns the number of lines committed (the table is the truth)."""
    rng = random.Random(plan.seed)
    committed = 0
    with psycopg.connect(plan.conninfo, application_name="autopr-loadgen") as conn:
        for t in range(plan.transactions):
            n = rng.randint(*plan.lines_per_tx)
            rollback = rng.random() < plan.rollback_share
            long = rng.random() < plan.long_share
            kept = 0
            try:
                with conn.transaction(force_rollback=rollback):
                    conn.execute("SELECT now()")  # fix the transaction start (created_at)
                    time.sleep(rng.uniform(*plan.sleep_before_s))
                    for i in range(n):
                        execution = rng.choice(plan.executions)
                        level = rng.choice(LOG_LEVELS)
                        message = f"w{plan.seed} t{t} l{i} {uuid.uuid4().hex[:8]}"
                        if rng.random() < plan.savepoint_share:
                            undo = rng.random() < 0.3
                            with conn.transaction(force_rollback=undo):
                                insert_line(conn, execution, message, level=level, step_name="sp")
                            kept += 0 if undo else 1
                        else:
                            insert_line(conn, execution, message, level=level, step_name="main")
                            kept += 1
                    time.sleep(plan.long_s if long else rng.uniform(*plan.sleep_after_s))
            except psycopg.OperationalError:
                # The server went away mid-transaction (restart tests): it rolled back.
                conn = _reconnect(plan.conninfo)
                continue
            if not rollback:
                committed += kept
    return committed


def _reconnect(conninfo: str) -> psycopg.Connection:
    deadline = time.monotonic() + 60
    while True:
        try:
            return psycopg.connect(conninfo, application_name="autopr-loadgen")
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def insert_history(conninfo: str, execution: str, lines: int, prefix: str = "line") -> None:
    """``lines`` INFO lines ``"{prefix} 1"``.. for ``execution``, in one statement (step "step")."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO execution_logs (execution_id, level, message, step_name)"
            " SELECT %s, 'INFO', %s || ' ' || g, 'step' FROM generate_series(1, %s) g",
            (execution, prefix, lines),
        )


def make_execution(conninfo: str, status: str = "running") -> tuple[str, str]:
    """A workflow and one execution of it; returns (execution UUID, human execution_id)."""
    with psycopg.connect(conninfo) as conn:
        wf = conn.execute(
            "INSERT INTO workflows (name, status) VALUES (%s, 'active') RETURNING id",
            (f"tail-{uuid.uuid4().hex[:8]}",),
        ).fetchone()[0]  # type: ignore[index]
        row = conn.execute(
            "INSERT INTO workflow_executions (workflow_id, status) VALUES (%s, %s)"
            " RETURNING id, execution_id",
            (wf, status),
        ).fetchone()
        assert row is not None
        return str(row[0]), row[1]


def finish_execution(conninfo: str, execution: str, status: str = "completed") -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "UPDATE workflow_executions SET status = %s, completed_at = now() WHERE id = %s",
            (status, execution),
        )
