"""Live tail: commit-to-visible latency, sustained rate, GUI stall and memory.

    python benchmarks/bench_tail.py [--seconds 8] [--gui-seconds 60] [--skip-gui | --gui-only]

Runs its own embedded server in a temporary directory.  A writer process
inserts lines at a fixed rate, stamping the client time just before each
INSERT (autocommit, so the commit follows at once) in ``log_metadata``; each
tail measures "now - stamp" when a line reaches it.  Side by side on the same
stream: the tail engine (LISTEN/NOTIFY + snapshot fetch) and a plain loop
polling every second on ``created_at > last seen`` (what ``psql`` with
``\\watch 1`` gives).  Then a ramp of rates for the largest sustained rate, a
drain of a 200,000-line commit, and the window (model + page) at 10,000
lines/s for ``--gui-seconds``: the longest event-loop stall (a 5 ms heartbeat
timer) and the process RSS over the run.

Writers use ``synchronous_commit = off`` so that the disk does not cap the
rate; visibility to other sessions still happens at commit.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized

    from console.tail.lines import TailLine
    from console.ui.tail.model import PackedRow

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

import psycopg

sys.setswitchinterval(float(os.environ.get("SWI", "0.005")))

INSERT = (
    "INSERT INTO execution_logs (execution_id, level, message, log_metadata)"
    " SELECT %s, 'INFO', 'bench line ' || g, jsonb_build_object('t', %s::float8)"
    " FROM generate_series(1, %s) AS g"
)


def writer(
    conninfo: str, execution: str, rate: float, seconds: float, sent: Synchronized[int]
) -> int:
    """Insert ``rate`` lines/s for ``seconds`` in small transactions; returns lines written."""
    per_tx = max(1, round(rate / 400))
    interval = per_tx / rate
    total = 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        start = time.perf_counter()
        due = start
        while due - start < seconds:
            conn.execute(INSERT, (execution, time.time(), per_tx))
            total += per_tx
            with sent.get_lock():
                sent.value += per_tx
            due += interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
    return total


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class EngineTail:
    """The tail engine on a thread, recording each line's latency."""

    def __init__(self, conninfo: str, execution: uuid.UUID | None) -> None:
        from console.tail.engine import TailEngine, TailOptions

        self.latencies: list[float] = []
        self.count = 0
        from datetime import UTC, datetime

        options = TailOptions(execution=execution, since=datetime.now(UTC))  # no history
        self.engine = TailEngine(conninfo, options, self._lines)
        self.thread = threading.Thread(target=self.engine.run, daemon=True)
        self.thread.start()
        while self.engine.fetches == 0:
            time.sleep(0.01)

    def _lines(self, lines: list[TailLine]) -> None:
        now = time.time()
        self.count += len(lines)
        self.latencies.extend(now - (line.log_metadata or {})["t"] for line in lines)

    def reset(self) -> None:
        self.latencies = []
        self.count = 0

    def stop(self) -> None:
        self.engine.stop()
        self.thread.join(10)


class PollingTail:
    """``SELECT ... WHERE created_at > last`` every second (psql's \\watch 1)."""

    def __init__(self, conninfo: str, execution: str) -> None:
        self.latencies: list[float] = []
        self.count = 0
        self._stop = threading.Event()
        self.conn = psycopg.connect(conninfo, autocommit=True)
        now = self.conn.execute("SELECT now()").fetchone()
        assert now is not None  # SELECT now() answers one row
        self.last = now[0]
        self.execution = execution
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            rows = self.conn.execute(
                "SELECT created_at, log_metadata FROM execution_logs"
                " WHERE execution_id = %s AND created_at > %s ORDER BY created_at",
                (self.execution, self.last),
            ).fetchall()
            now = time.time()
            if rows:
                self.last = rows[-1][0]
                self.count += len(rows)
                self.latencies.extend(now - r[1]["t"] for r in rows)

    def reset(self) -> None:
        self.latencies = []
        self.count = 0

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.conn.close()


def run_writer(conninfo: str, execution: str, rate: float, seconds: float) -> tuple[int, float]:
    ctx = multiprocessing.get_context("spawn")
    sent = ctx.Value("q", 0)
    proc = ctx.Process(target=writer, args=(conninfo, execution, rate, seconds, sent))
    t0 = time.perf_counter()
    proc.start()
    proc.join()
    return sent.value, time.perf_counter() - t0


def latency_table(conninfo: str, execution: str, seconds: float) -> None:
    print("\n== commit-to-visible latency, same stream, side by side ==")
    print(
        f"{'rate/s':>8} | {'engine p50':>10} {'p99':>8} {'lines':>7} |"
        f" {'1 s poll p50':>12} {'p99':>8} {'lines':>7} | ratio p50"
    )
    tail = EngineTail(conninfo, uuid.UUID(execution))
    poll = PollingTail(conninfo, execution)
    try:
        for rate in (100, 1_000, 10_000):
            tail.reset()
            poll.reset()
            written, _ = run_writer(conninfo, execution, rate, seconds)
            time.sleep(2.0)  # let both catch up
            e50, e99 = pct(tail.latencies, 0.5) * 1000, pct(tail.latencies, 0.99) * 1000
            p50, p99 = pct(poll.latencies, 0.5) * 1000, pct(poll.latencies, 0.99) * 1000
            print(
                f"{rate:>8,} | {e50:>8.1f}ms {e99:>6.1f}ms {tail.count:>7,} |"
                f" {p50:>10.1f}ms {p99:>6.1f}ms {poll.count:>7,} | x{p50 / e50:.0f}"
                f"   (written {written:,})"
            )
    finally:
        tail.stop()
        poll.stop()


def sustained(conninfo: str, execution: str, seconds: float) -> None:
    print("\n== sustained rate (engine): backlog at the end of each run ==")
    print(
        f"{'target/s':>9} {'written/s':>10} {'delivered/s':>12} {'p99 lat, 2nd half':>18}"
        f" {'in flight at writer end':>24}"
    )
    tail = EngineTail(conninfo, uuid.UUID(execution))
    best = 0.0
    try:
        for rate in (10_000, 20_000, 40_000, 60_000, 80_000, 120_000):
            tail.reset()
            written, _took = run_writer(conninfo, execution, rate, seconds)
            backlog = written - tail.count
            time.sleep(1.5)
            write_rate = written / seconds
            half = tail.latencies[len(tail.latencies) // 2 :]
            p99 = pct(half, 0.99)
            ok = p99 < 1.0 and tail.count >= written
            print(
                f"{rate:>9,} {write_rate:>10,.0f} {tail.count / seconds:>12,.0f}"
                f" {p99 * 1000:>16.0f}ms {backlog:>24,}{'' if ok else '  (falling behind)'}"
            )
            if ok:
                best = max(best, write_rate)
            else:
                break
    finally:
        tail.stop()
    print(f"largest sustained rate with no backlog growth: {best:,.0f} lines/s")


def drain(conninfo: str, execution: str) -> None:
    tail = EngineTail(conninfo, uuid.UUID(execution))
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            t0 = time.time()
            conn.execute(INSERT, (execution, t0, 200_000))
            committed = time.time()
        while tail.count < 200_000:
            time.sleep(0.01)
        took = time.time() - committed
        print(
            f"\n== drain: one 200,000-line commit delivered in {took:.2f} s"
            f" = {200_000 / took:,.0f} lines/s =="
        )
    finally:
        tail.stop()


def window_run(
    url: str, conninfo: str, execution: str, seconds: float, rate: float
) -> dict[str, Any]:
    """The tail page following ``execution`` while a writer adds ``rate`` lines/s (0: none)."""
    import psutil
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from console.db.connection import open_database
    from console.profiles import profile_from_url
    from console.ui import gui_gc
    from console.ui.pages import PageContext
    from console.ui.tail.page import TailPage
    from console.ui.tasks import TaskRunner

    app = QApplication.instance() or QApplication([])
    collector = gui_gc.install(app)  # as the application does: collect on the GUI thread only
    db = open_database(profile_from_url(url))
    runner = TaskRunner()
    page = TailPage(PageContext(runner=runner))
    page.resize(1400, 900)
    page.show()
    handler_ms = array("d")
    arrived = page._rows_arrived

    def timed_arrival(rows: list[PackedRow]) -> None:
        t = time.perf_counter()
        arrived(rows)
        handler_ms.append((time.perf_counter() - t) * 1000)

    page._rows_arrived = timed_arrival  # type: ignore[method-assign]
    page.set_database(db)
    page.follow_execution(execution)
    collector.settle()  # as the main window does once connected
    session = page.session
    assert session is not None  # following an execution on an open database
    proc = psutil.Process()
    gaps = array("d")  # 8 bytes a beat: the recording must not show up in the RSS figures
    worst: list[tuple[float, float]] = []  # (seconds into the run, stall ms) of stalls > 25 ms
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat() -> None:
        now = clock.nsecsElapsed()
        gap = (now - last[0]) / 1e6
        gaps.append(gap)
        if gap > 30:
            worst.append((time.monotonic() - t0, gap - 5))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    ctx = multiprocessing.get_context("spawn")
    sent = ctx.Value("q", 0)
    writer_proc = ctx.Process(target=writer, args=(conninfo, execution, rate, seconds, sent))
    rss: list[tuple[float, float]] = []
    t0 = time.monotonic()

    def sample() -> None:
        rss.append((time.monotonic() - t0, proc.memory_info().rss / 2**20))

    sampler = QTimer()
    sampler.setInterval(max(1000, int(seconds * 1000 / 12)))
    sampler.timeout.connect(sample)
    load = os.getloadavg()[0]
    cpu_before = {t.id: t.user_time + t.system_time for t in proc.threads()}
    wall = time.monotonic()
    sample()
    last[0] = clock.nsecsElapsed()
    heartbeat.start()
    sampler.start()
    if rate:
        writer_proc.start()
    QTimer.singleShot(int(seconds * 1000) + 3000, app.quit)
    app.exec()
    if rate:
        writer_proc.join()
    wall = time.monotonic() - wall
    cpu_after = {t.id: t.user_time + t.system_time for t in proc.threads()}
    gui_tid = threading.get_native_id()
    tail_tid = session._thread.native_id
    heartbeat.stop()
    sampler.stop()
    sample()
    result = {
        "rate": rate,
        "load": (load + os.getloadavg()[0]) / 2,
        "written": sent.value,
        "delivered": session.engine.lines_delivered,
        "held": page.model.total(),
        "capacity": page.model.capacity,
        "stalls": [max(0.0, g - 5) for g in gaps],
        "worst": worst,
        "handler_ms": handler_ms,
        "rss": rss,
        "gui_cpu": (cpu_after.get(gui_tid, 0) - cpu_before.get(gui_tid, 0)) / wall,
        "tail_cpu": (cpu_after.get(tail_tid, 0) - cpu_before.get(tail_tid, 0)) / wall,
    }
    page.set_database(None)
    db.close()
    return result


def gui(url: str, conninfo: str, executions: tuple[str, str], seconds: float) -> None:
    print(f"\n== window (tail page, offscreen 1400x900), {seconds:.0f} s each ==")
    print(
        f"{'lines/s':>8} {'load':>5} {'written':>9} {'delivered':>10} {'held':>8} |"
        f" {'stall max':>9}"
        f" {'p99.9':>7} {'p99':>6} {'>50ms':>6} | {'frame handler max':>17} {'p99':>6}"
        f" | CPU gui / tail thread"
    )
    runs = [
        window_run(url, conninfo, executions[0], min(seconds, 60.0), 0),
        window_run(url, conninfo, executions[1], seconds, 10_000),
    ]
    for r in runs:
        st, hm = r["stalls"], r["handler_ms"] or [0.0]
        print(
            f"{r['rate']:>8,} {r['load']:>5.1f} {r['written']:>9,} {r['delivered']:>10,}"
            f" {r['held']:>8,} |"
            f" {max(st):>7.1f}ms {pct(st, 0.999):>5.1f}ms {pct(st, 0.99):>4.1f}ms"
            f" {sum(x > 50 for x in st):>6} | {max(hm):>15.1f}ms {pct(hm, 0.99):>4.1f}ms"
            f" | {r['gui_cpu']:.0%} / {r['tail_cpu']:.0%}"
        )
    print("(0 lines/s: the same page idle, the machine's own background of stalls)")
    worst = sorted(runs[1]["worst"], key=lambda w: -w[1])[:5]
    if worst:
        stalls = ", ".join(f"{ms:.0f} ms at {t:.0f} s" for t, ms in worst)
        print(f"Largest stalls at 10,000 lines/s: {stalls}")
    rss = runs[1]["rss"]
    print("RSS MiB at 10,000 lines/s: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in rss))
    full = [m for t, m in rss if t >= 20]  # the 100,000-line buffer is full by then
    if full:
        print(f"RSS once the buffer is full (20 s on): {min(full):.0f}-{max(full):.0f} MiB")


def migrate(url: str, *command: str) -> None:
    """``autopr-console --url URL migrate`` (or another command) in a child process."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    subprocess.run(
        [sys.executable, "-m", "console", "--url", url, "--environment", "local", *command]
        + ([] if command else ["migrate"]),
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--gui-seconds", type=float, default=60.0)
    parser.add_argument("--skip-gui", action="store_true")
    parser.add_argument("--gui-only", action="store_true", help="only the window runs")
    args = parser.parse_args()

    from console.db.embedded import EmbeddedServer
    from tests.helpers.loadgen import make_execution

    root = Path(tempfile.mkdtemp(prefix="bench-tail-"))
    server = EmbeddedServer(root / "srv")
    address = server.start()
    try:
        with psycopg.connect(address.conninfo("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_tail")
        # Migrated by a child process: the measured process opens an existing database, as
        # an operator's console does (Alembic and the ORM are not in its RSS).
        migrate(address.url("bench_tail"))
        conninfo = address.conninfo("bench_tail")
        print(f"PostgreSQL embedded, {os.cpu_count()} CPUs; writer per-run {args.seconds:g} s")
        execution, _ = make_execution(conninfo)
        if not args.gui_only:
            latency_table(conninfo, execution, args.seconds)
            sustained(conninfo, execution, args.seconds)
            drain(conninfo, execution)
        if not args.skip_gui:
            idle, _ = make_execution(conninfo)
            busy, _ = make_execution(conninfo)
            gui(address.url("bench_tail"), conninfo, (idle, busy), args.gui_seconds)
    finally:
        server.stop(force=True)
        shutil.rmtree(root, ignore_errors=True)  # the cluster: hundreds of MiB a run


if __name__ == "__main__":
    main()
