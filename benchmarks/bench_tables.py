"""Our windowed keyset tables against Qt's QSqlQueryModel (QPSQL), side by side.

For the execution-log and execution tables, each contender runs in its own
subprocess (clean RSS) over the same query and is timed for:

* first rows   — from connecting the model to the first rows shown;
* last row     — from connecting the model until the last row of the table is
                 shown (ours: first rows, then a reversed keyset read;
                 QSqlQueryModel: ``setQuery``, then ``fetchMore`` until the end);
* filter       — from applying a filter until its first rows are shown;
* memory       — RSS growth of the process from before the model exists to the end.

QSqlQueryModel reads the whole result into client memory: on 10M log lines that
takes minutes and gigabytes, so it runs on the first ``--qsql-rows`` rows of the
query (LIMIT) and its figures for the whole table are extrapolated linearly and
marked "~".  A contender that exceeds ``--timeout`` seconds is reported as ">N s".

    python benchmarks/bench_tables.py [--url URL] [--qsql-rows 1000000]

URL defaults to $DATABASE_URL (a ``demo --scale`` database).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# table -> (the page's filters, the same as SQL for QSqlQueryModel)
FILTERS: dict[str, tuple[dict[str, Any], str]] = {
    "logs": ({"min_level": "ERROR"}, "l.level IN ('ERROR', 'CRITICAL')"),
    "executions": ({"status": ["failed"]}, "e.status = 'failed'"),
}


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def spin(app: QCoreApplication, done: Callable[[], object], timeout: float) -> float:
    """Process events until ``done()``; seconds taken (raises TimeoutError)."""
    t0 = time.perf_counter()
    while not done():
        app.processEvents()
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError
        time.sleep(0.0005)
    return time.perf_counter() - t0


# ------------------------------------------------------------------ contenders (child side)


def run_ours(url: str, table: str, timeout: float) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from console.db.connection import open_database
    from console.profiles import profile_from_url
    from console.ui.pages import PageContext
    from console.ui.tables.executions_page import ExecutionsPage
    from console.ui.tables.logs_page import LogsPage
    from console.ui.tasks import TaskRunner

    db = open_database(profile_from_url(url, name=f"bench-{os.getpid()}"))  # no remembered filters
    with db.engine.connect() as conn:  # warm the pool like a window that is already connected
        conn.exec_driver_sql("SELECT 1")
    runner = TaskRunner()
    page = (LogsPage if table == "logs" else ExecutionsPage)(PageContext(runner=runner))
    page.resize(1400, 900)
    page.show()
    app.processEvents()
    model, view = page.model, page.view
    base = rss_mb()

    t0 = time.perf_counter()
    page.set_database(db)
    spin(app, lambda: bool(model.rows), timeout)
    data = time.perf_counter() - t0
    app.processEvents()  # the paint of the first rows
    first = time.perf_counter() - t0
    spin(app, lambda: runner.in_flight() == 0, timeout)
    total = model.total

    t0 = time.perf_counter()
    view.scrollToBottom()
    spin(
        app,
        lambda: model.at_bottom and model.row_at(model.total - 1) is not None,
        timeout,
    )
    last_data = time.perf_counter() - t0
    app.processEvents()  # the paint of the last rows
    last = first + time.perf_counter() - t0  # from connecting the model, like QSqlQueryModel
    last_row = model.row_at(model.total - 1)
    assert last_row is not None  # spin() waited for it
    last_row_text = last_row.texts[0]

    filters, _ = FILTERS[table]
    t0 = time.perf_counter()
    page.apply_filters(filters)
    spin(app, lambda: not page.controller.loading, timeout)
    app.processEvents()
    filt = time.perf_counter() - t0
    spin(app, lambda: runner.in_flight() == 0, timeout)

    peak_rows = len(model.rows)
    # scroll to the middle and to the end of the filtered rows as well
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    try:
        spin(app, lambda: model.row_at(view.rowAt(0)) is not None, 30)
    except TimeoutError:
        raise SystemExit(
            f"stuck: row {view.rowAt(0)} window {model.start}+{len(model.rows)}"
            f" of {model.total} inflight {model.in_flight} want {model._want}"
        ) from None
    view.scrollToBottom()
    spin(app, lambda: model.at_bottom and model.row_at(model.total - 1) is not None, timeout)
    peak_rows = max(peak_rows, len(model.rows))
    mem = rss_mb() - base
    runner.wait_idle()
    db.close()
    return {
        "first_s": first,
        "last_s": last,
        "filter_s": filt,
        "mem_mb": mem,
        "data_s": data,
        "last_data_s": last_data,
        "rows": total,
        "rows_exact": False,
        "window_rows": peak_rows,
        "last_row": last_row_text,
    }


def qsql_query(table: str, where: str | None, limit: int | None) -> str:
    from console.queries import specs

    spec = specs.LOGS if table == "logs" else specs.EXECUTIONS
    key = spec.sort_keys[spec.default_sort].expr
    sql = f"SELECT {spec.select_list()} FROM {spec.from_sql}"
    if where:
        sql += f" WHERE {where}"
    sql += f" ORDER BY {key} DESC, {spec.id_expr} DESC"
    if limit:
        sql += f" LIMIT {limit}"
    return sql


def run_qsql(url: str, table: str, timeout: float, limit: int | None) -> dict[str, Any]:
    from PySide6.QtSql import QSqlDatabase, QSqlQuery, QSqlQueryModel
    from PySide6.QtWidgets import QApplication, QTableView
    from sqlalchemy.engine import make_url

    app = QApplication([])
    u = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    db = QSqlDatabase.addDatabase("QPSQL", "bench")
    db.setHostName(str(u.query.get("host") or u.host or ""))
    if u.port:
        db.setPort(u.port)
    db.setUserName(u.username or "")
    db.setPassword(u.password or "")
    db.setDatabaseName(u.database or "")
    if not db.open():
        raise SystemExit(f"QPSQL: {db.lastError().text()}")
    view = QTableView()
    view.resize(1400, 900)
    view.show()
    model = QSqlQueryModel()
    view.setModel(model)
    app.processEvents()
    base = rss_mb()

    t0 = time.perf_counter()
    model.setQuery(QSqlQuery(qsql_query(table, None, limit), db))
    app.processEvents()
    first = time.perf_counter() - t0
    if model.lastError().isValid():
        raise SystemExit(f"QPSQL: {model.lastError().text()}")

    t0 = time.perf_counter()
    while model.canFetchMore():
        model.fetchMore()
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError
    view.scrollToBottom()
    app.processEvents()
    last = first + time.perf_counter() - t0  # setQuery already read every row
    rows = model.rowCount()
    last_row_text = model.index(rows - 1, 1).data()
    mem = rss_mb() - base

    _, where = FILTERS[table]
    t0 = time.perf_counter()
    model.setQuery(QSqlQuery(qsql_query(table, where, limit), db))
    app.processEvents()
    filt = time.perf_counter() - t0
    filter_rows = model.query().size()
    return {
        "filter_rows": filter_rows,
        "first_s": first,
        "last_s": last,
        "filter_s": filt,
        "mem_mb": max(mem, rss_mb() - base),
        "rows": rows,
        "rows_exact": True,
        "window_rows": rows,
        "last_row": str(last_row_text),
    }


# ------------------------------------------------------------------ parent: run and print


def child(args: list[str], timeout: float) -> dict[str, Any] | str:
    cmd = [sys.executable, __file__, "--child", *args]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60, check=False)
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f} s"
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return (out.stderr.strip().splitlines() or ["failed"])[-1][:120]


def table_rows(url: str, table: str) -> int:
    import psycopg

    from console.db.urls import libpq_conninfo, normalize_url

    name = "execution_logs" if table == "logs" else "workflow_executions"
    with psycopg.connect(libpq_conninfo(normalize_url(url))) as conn:
        row = conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", (name,)
        ).fetchone()
        if row is None:
            raise SystemExit(f"no table {name}: is this a console database?")
        return int(row[0])


def median_run(runs: list[dict[str, Any] | str]) -> dict[str, Any] | str:
    good = [r for r in runs if isinstance(r, dict)]
    if not good:
        return runs[0]
    out = dict(good[0])
    for key in ("first_s", "last_s", "filter_s", "mem_mb", "data_s", "last_data_s"):
        values = sorted(r[key] for r in good)
        out[key] = values[len(values) // 2]
        out[f"best_{key}"] = values[0]
    out["window_rows"] = max(r["window_rows"] for r in good)
    return out


def fmt_s(v: float) -> str:
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=None)
    ap.add_argument("--qsql-rows", type=int, default=1_000_000)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--tables", default="logs,executions")
    ap.add_argument("--repeat", type=int, default=5, help="runs of our model (median is shown)")
    ap.add_argument("--only-ours", action="store_true", help="skip QSqlQueryModel")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, url, table, limit = a.child
        if kind == "ours":
            result = run_ours(url, table, a.timeout)
        else:
            result = run_qsql(url, table, a.timeout, int(limit) or None)
        print(json.dumps(result))
        return
    url = a.url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("no --url and no $DATABASE_URL")
    print(f"database: {url}")
    load = os.getloadavg()[0]
    tables = a.tables.split(",")
    totals = {t: table_rows(url, t) for t in tables}
    # All of ours first, then QSqlQueryModel: its full reads would evict our pages from the cache.
    ours_runs = {
        t: median_run([child(["ours", url, t, "0"], a.timeout) for _ in range(a.repeat)])
        for t in tables
    }
    qsql_runs = {}
    for t in tables:
        limit = a.qsql_rows if a.qsql_rows and a.qsql_rows < totals[t] else 0
        qsql_runs[t] = "skipped" if a.only_ours else child(["qsql", url, t, str(limit)], a.timeout)
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start,"
        f" {os.getloadavg()[0]:.1f} at end"
    )
    for table in tables:
        total, ours, qsql = totals[table], ours_runs[table], qsql_runs[table]
        limit = a.qsql_rows if a.qsql_rows and a.qsql_rows < total else 0
        print()
        print(f"== {table}: {total:,} rows (estimate); filter {FILTERS[table][0]}")
        print(
            f"   ours: median (and best) of {a.repeat} runs; ratio on the median;"
            " each run in its own process"
        )
        if isinstance(ours, str) or isinstance(qsql, str):
            print(f"  ours: {ours}\n  QSqlQueryModel: {qsql}")
            continue
        scale = total / qsql["rows"] if limit else 1.0
        note = f"  (QSqlQueryModel ran on the first {qsql['rows']:,} rows;" if limit else ""
        if note:
            note += f" '~' = extrapolated x{scale:.1f} to the whole table)"
        print(f"  {'':14}{'ours':>12}{'(best)':>10}{'QSqlQueryModel':>20}{'ratio':>10}")
        for label, key in (
            ("first rows", "first_s"),
            ("last row", "last_s"),
            ("filter", "filter_s"),
        ):
            theirs = qsql[key] * scale
            mark = "~" if limit else " "
            if key == "filter_s":  # the filtered result, not the table, decides its cost
                theirs = qsql[key]
                mark = "≥" if limit and qsql.get("filter_rows", 0) >= limit else " "
            ratio = theirs / max(ours[key], 1e-6)
            best = fmt_s(ours[f"best_{key}"])
            theirs_text = mark + fmt_s(theirs)
            print(f"  {label:14}{fmt_s(ours[key]):>12}{best:>10}{theirs_text:>20}{ratio:>9.0f}x")
        theirs_mem = qsql["mem_mb"] * scale
        mark = "~" if limit else " "
        theirs_text = mark + f"{theirs_mem:.0f} MB"
        print(
            f"  {'memory (RSS)':14}{ours['mem_mb']:>9.1f} MB{'':>10}{theirs_text:>20}"
            f"{theirs_mem / max(ours['mem_mb'], 0.1):>9.0f}x"
        )
        print(
            f"  ours, rows in the model before painting: first {fmt_s(ours['data_s'])},"
            f" last {fmt_s(ours['last_data_s'])} (median)"
        )
        print(
            f"  rows held by the model: ours {ours['window_rows']:,},"
            f" QSqlQueryModel {qsql['window_rows']:,}"
        )
        if note:
            print(note)


if __name__ == "__main__":
    main()
