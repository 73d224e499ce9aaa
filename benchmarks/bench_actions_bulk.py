"""Bulk cancel: one transaction per item against batches with a savepoint per item.

    python benchmarks/bench_actions_bulk.py [--conninfo "host=localhost user=postgres"]
        [--rows 2000] [--batches 1,10,100,500]

Creates a scratch database (``actions_bench``), inserts ``--rows`` running
executions per batch size, cancels them all with ``bulk_cancel`` and prints
items/s and the time per item, side by side, with the ratio to batch size 1.
Every item is still locked, checked and audited on its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import sql
from sqlalchemy import func, insert, select, text

from console.actions.context import ActionContext
from console.actions.errors import BulkItem
from console.actions.executions import bulk_cancel
from console.actions.guard import WriteGuard
from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema
from models.audit import AuditLog
from models.base import table_of
from models.tables import Workflow, WorkflowExecution

DB = "actions_bench"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conninfo", default="host=localhost user=postgres")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--batches", default="1,10,100,500")
    args = parser.parse_args()

    with psycopg.connect(args.conninfo + " dbname=postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    params = dict(p.split("=", 1) for p in args.conninfo.split())
    url = f"postgresql+psycopg://{params.get('user', 'postgres')}@/{DB}?host={params['host']}"
    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    ensure_schema(engine, apply=True)
    ex, wf, audit = table_of(WorkflowExecution), table_of(Workflow), table_of(AuditLog)
    with engine.begin() as conn:
        wf_id = conn.execute(insert(wf).values(name="bench").returning(wf.c.id)).scalar()
    ctx = ActionContext(engine, "bench", "local", WriteGuard("bench", "local"))

    print(f"bulk cancel of {args.rows} running executions (each locked, checked, audited)")
    print(f"{'batch':>6} {'seconds':>8} {'items/s':>9} {'ms/item':>8} {'vs batch 1':>10}")
    base = None
    for size in [int(b) for b in args.batches.split(",")]:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
            conn.execute(text("DELETE FROM workflow_executions"))
            conn.execute(
                insert(ex),
                [{"workflow_id": wf_id, "status": "running"} for _ in range(args.rows)],
            )
            ids = [str(i) for i in conn.execute(select(ex.c.id)).scalars()]
        items = [BulkItem(i, {"status": "running"}) for i in ids]
        start = time.perf_counter()
        summary = bulk_cancel(ctx, items, batch_size=size)
        elapsed = time.perf_counter() - start
        with engine.connect() as conn:
            audited = conn.execute(select(func.count()).select_from(audit)).scalar()
        assert len(summary.done) == args.rows == audited, summary.headline()
        base = base or elapsed
        print(
            f"{size:>6} {elapsed:>8.2f} {args.rows / elapsed:>9.0f} "
            f"{1000 * elapsed / args.rows:>8.2f} {base / elapsed:>9.1f}x"
        )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
