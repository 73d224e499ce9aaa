"""Export of a table page: ~1M log lines streamed to CSV and to JSON by the Logs page.

On its own embedded server (or ``--url``, a ``demo --scale`` database it only reads),
the real Logs page exports every row matching its (empty) filter, as the operator's
"Export all rows matching the filter…" does: keyset batches in an export process of
its own (console/ui/tables/export_child.py), the secrets policy on every row, a
temporary file renamed when complete, progress read by the GUI thread.  For each
format it prints rows/s, the file size, the peak RSS growth over the run of the
window's process and (+) of the export process, and the GUI thread's event-loop
gaps (a 5 ms heartbeat timer: the largest gap, the p99 and the gaps over 30 ms per
minute), beside the same heartbeat with no export and a 5 ms sleep loop in a
separate process during the export (the machine's own noise: on a loaded machine
a gap there is not the export's).
Side by side: JSON against CSV.

    python benchmarks/bench_export.py [--rows 1000000] [--url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 5


def load_logs(conninfo: str, rows: int, executions: int = 200) -> None:
    """``rows`` log lines over ``executions`` executions, generated on the server."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO workflows (name, status) SELECT 'export-' || g, 'active'"
            " FROM generate_series(1, 10) g"
        )
        conn.execute(
            "INSERT INTO workflow_executions (workflow_id, execution_id, status, started_at)"
            " SELECT (SELECT id FROM workflows ORDER BY name LIMIT 1 OFFSET g %% 10),"
            " 'exec-bench-' || g, 'completed', now() - interval '30 days'"
            " FROM generate_series(1, %s) g",
            (executions,),
        )
        conn.execute(
            "WITH e AS (SELECT array_agg(id ORDER BY execution_id) AS ids"
            " FROM workflow_executions)"
            " INSERT INTO execution_logs (execution_id, level, message, step_name, log_metadata,"
            " created_at)"
            " SELECT e.ids[1 + g %% %s],"
            " (ARRAY['DEBUG','INFO','INFO','WARNING','ERROR'])[1 + g %% 5],"
            " 'step ' || (g %% 17) || ' processed item ' || g || ' of the batch, \"quoted\", ok',"
            " 'step-' || (g %% 17), jsonb_build_object('n', g, 'token', 'abc' || g),"
            " now() - g * interval '2 seconds'"
            " FROM e, generate_series(1, %s) g",
            (executions, rows),
        )
        conn.execute("ANALYZE")


class Sampler:
    """Peak RSS of this process and of its children (the export process), every 20 ms."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self.child_peak = 0
        self.exclude: set[int] = set()  # children that are not the export's (the control)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)
            children = 0
            for child in self.proc.children():
                if child.pid in self.exclude:
                    continue
                with contextlib.suppress(Exception):  # it ended meanwhile
                    children += child.memory_info().rss
            self.child_peak = max(self.child_peak, children)

    def stop(self) -> tuple[float, float]:
        """Peak growth of this process and peak of its export children, MiB."""
        self._stop.set()
        self._thread.join()
        return (self.peak - self.base) / 2**20, self.child_peak / 2**20


class Heartbeat:
    """Gaps between the ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def stop(self) -> tuple[float, float, float]:
        """Largest gap, p99 (ms), gaps over 30 ms per minute."""
        self.timer.stop()
        gaps = sorted(self.gaps[1:]) or [0.0]
        p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
        return max(gaps), p99, over_per_minute(gaps)


def over_per_minute(gaps: list[float], limit: float = 30.0) -> float:
    return sum(1 for g in gaps if g > limit) / max(sum(gaps) / 60_000, 1e-9)


_CONTROL = """
import sys, time
gaps, last = [], time.perf_counter()
while not sys.stdin.closed:
    time.sleep(0.005)
    now = time.perf_counter(); gaps.append((now - last) * 1000); last = now
    if len(gaps) % 200 == 0:
        import select
        if select.select([sys.stdin], [], [], 0)[0]:
            break
over = sum(1 for g in gaps if g > 30) / max(sum(gaps) / 60000, 1e-9)
gaps.sort()
print(f"{gaps[-1]:.1f} {gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]:.1f} {over:.1f}")
"""


class Control:
    """The same 5 ms heartbeat in a process of its own: the machine's scheduling noise
    over the same seconds (a gap seen there too is not the export's)."""

    def __init__(self) -> None:
        import subprocess

        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CONTROL],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> tuple[float, float, float]:
        out, _ = self.proc.communicate("stop\n", timeout=30)
        worst, p99, over = (float(x) for x in out.split())
        return worst, p99, over


def spin(app: QCoreApplication, done: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        app.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.001)


def run(url: str, out_dir: Path, timeout: float) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from console.ui import gil, gui_gc

    gui_gc.install(app)  # as the app runs: the cyclic collector on the GUI thread only
    gil.install()  # and the interpreter lock's 1 ms switch interval
    from console.db.connection import open_database
    from console.profiles import profile_from_url
    from console.ui.pages import PageContext
    from console.ui.tables import export
    from console.ui.tables.logs_page import LogsPage
    from console.ui.tasks import TaskRunner

    db = open_database(profile_from_url(url, name=f"bench-export-{os.getpid()}"))
    runner = TaskRunner()
    messages: list[str] = []
    page = LogsPage(PageContext(runner=runner, show_status=messages.append))
    page.resize(1280, 800)
    page.show()
    page.set_database(db)
    spin(app, lambda: bool(page.model.rows) and not page.controller.loading, 120)
    gui_gc.settle()  # as the window does once connected
    page.controller.exact_count()
    spin(app, lambda: page.model.total_exact, timeout)
    total = page.model.total

    beat = Heartbeat()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 2.0:
        app.processEvents()
        time.sleep(0.001)
    idle_max, idle_p99, idle_over = beat.stop()
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}; {total:,} log lines; batch {export.BATCH:,} rows")
    print(
        f"idle heartbeat ({HEARTBEAT_MS} ms timer):"
        f" max gap {idle_max:.1f} ms, p99 {idle_p99:.1f} ms, {idle_over:.1f} gaps > 30 ms/min"
    )
    print()
    header = (
        f"{'format':<6} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'MiB':>7}"
        f" {'peak RSS +MiB (+child)':>22} {'max gap ms':>11} {'p99 gap ms':>11} {'>30ms/min':>10}"
        f" {'progress':>9}  control process max/p99 ms, >30ms/min"
    )
    print(header)
    results: dict[str, float] = {}
    for fmt in ("csv", "json"):
        path = out_dir / f"logs.{fmt}"
        page.last_export = None
        moves: list[int] = []
        page.export_progress.valueChanged.connect(moves.append)
        sampler, beat, control = Sampler(), Heartbeat(), Control()
        sampler.exclude.add(control.proc.pid)
        t = time.perf_counter()
        page.export_to(path, fmt)
        spin(app, lambda: page.last_export is not None, timeout)
        seconds = time.perf_counter() - t
        gap_max, gap_p99, gap_over = beat.stop()
        peak, child_peak = sampler.stop()
        control_max, control_p99, control_over = control.stop()
        page.export_progress.valueChanged.disconnect(moves.append)
        written = page.last_export[1] if page.last_export else -1
        size = path.stat().st_size / 2**20 if path.exists() else 0.0
        results[fmt] = written / seconds
        print(
            f"{fmt:<6} {written:>10,} {seconds:>8.1f} {written / seconds:>9,.0f} {size:>7.0f}"
            f" {f'{peak:.1f} (+{child_peak:.0f})':>22} {gap_max:>11.1f} {gap_p99:>11.1f}"
            f" {gap_over:>10.1f}"
            f" {len(moves):>9}  {control_max:.1f}/{control_p99:.1f}, {control_over:.1f}"
        )
        path.unlink(missing_ok=True)
    print()
    print(f"JSON/CSV rows/s ratio: {results['json'] / results['csv']:.2f}")
    if messages:
        print("status:", messages[-1])
    page.set_database(None)
    runner.wait_idle(10_000)
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", help="a loaded database to read (default: its own server)")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    out_dir = Path(tempfile.mkdtemp(prefix="bench-export-out-"))
    try:
        if args.url:
            run(args.url, out_dir, args.timeout)
            return
        from console.db.embedded import EmbeddedServer
        from console.db.engine import EngineSettings, make_engine
        from console.db.migrator import ensure_schema

        root = Path(tempfile.mkdtemp(prefix="bench-export-"))
        server = EmbeddedServer(root / "srv")
        address = server.start()
        try:
            with psycopg.connect(address.conninfo("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE export")
            url = address.url("export")
            engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
            ensure_schema(engine, apply=True)
            engine.dispose()
            t = time.perf_counter()
            load_logs(address.conninfo("export"), args.rows)
            print(f"loaded {args.rows:,} log lines in {time.perf_counter() - t:.1f} s")
            run(url, out_dir, args.timeout)
        finally:
            server.stop(force=True)
            shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
