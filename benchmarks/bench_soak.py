"""Soak: the real main window for N minutes, auto-refreshing and tailing, memory per minute.

    python benchmarks/bench_soak.py --minutes 60 [--rate 1000] [--refresh 5]

Runs its own embedded server (demo data; started, filled and stopped by child
processes, as is the writer, so that the measured process holds the console and this
driver only, as a console on a server profile does), opens the console's ``MainWindow``
(offscreen) on it by URL, shows the Executions page with auto-refresh every ``--refresh``
seconds while the Live tail page follows an execution that a writer process feeds
``--rate`` lines/s (so its 100,000-line buffer is full after a couple of minutes).
Every 20 s it does what an operator does now and then: opens and closes the table's
context menu, an action confirmation and the About dialog; every 5 minutes it
reconnects (new tail session, new action controllers).

Each minute it prints the process RSS, the QObjects alive in the application's object
trees (every top-level widget and the application, with their descendants), the
widgets alive, and the lines the tail holds (shown and pending).  Targets: RSS growth
<= 10 % from minute 5 to the end, a flat QObject count, RSS <= 150 MiB with the tail
buffer full.  Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QMessageLogContext, QtMsgType
    from PySide6.QtWidgets import QApplication

    from console.ui.main_window import MainWindow
    from console.ui.tail.page import TailPage

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

CHURN_S = 20
RECONNECT_S = 300


def live_qobjects(app: QApplication) -> int:
    """QObjects in the application's trees: what a parented, never-deleted object adds to."""
    from PySide6.QtCore import QObject

    total = 1 + len(app.findChildren(QObject))
    for widget in app.topLevelWidgets():
        total += 1 + len(widget.findChildren(QObject))
    return total


class Soak:
    def __init__(
        self, app: QApplication, window: MainWindow, tail_execution: str, refresh_s: int
    ) -> None:
        self.app = app
        self.window = window
        self.tail_execution = tail_execution
        self.refresh_s = refresh_s
        self.t0 = time.monotonic()
        self.rows: list[tuple[int, float, int, int, int]] = []
        self.churns = 0
        self.reconnects = 0

    def tail_page(self) -> TailPage:
        from console.ui.tail.page import TailPage

        page = self.window.pages["tail"]
        assert isinstance(page, TailPage)
        return page

    def follow(self) -> None:
        self.tail_page().follow_execution(self.tail_execution)

    def prepare(self) -> None:
        w = self.window
        w.refresh_combo.setCurrentIndex(w.refresh_combo.findData(self.refresh_s))
        w.show_page("tail")
        self.follow()
        w.show_page("executions")

    def churn(self) -> None:
        """An operator's occasional clicks: menus and dialogs opened and closed again."""

        from console.ui.actions.menus import controller_for
        from console.ui.tables.executions_page import ExecutionsPage

        w = self.window
        page = w.pages["executions"]
        assert isinstance(page, ExecutionsPage)
        if page.model.rowCount() == 0 or w.db is None:
            return
        page.view.selectRow(0)
        page.view.setCurrentIndex(page.model.index(0, 0))
        page.keyboard_context_menu()
        menu = page.context_menu
        assert menu is not None  # the menu just opened
        menu.close()
        controller = controller_for(page)
        if controller is not None:
            controller.confirm_then("cancel", 1, "execution", lambda: None)
            dialog = controller.dialog
            assert dialog is not None  # the confirmation just opened
            dialog.reject()
        w.show_about()
        w.about_dialog.close()
        self.churns += 1

    def reconnect(self) -> None:
        self.window.retry()
        self.reconnects += 1

    def on_state(self, state: str) -> None:
        """After a reconnect the tail follows the execution again (as the operator would)."""
        from PySide6.QtCore import QTimer

        if state == "connected" and self.reconnects:  # once the pages have the new database
            QTimer.singleShot(0, self.follow)

    def sample(self, minute: int) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.sendPostedEvents(None, 0)  # deleteLater() of the last turn
        rss = process_rss_mib()
        page = self.tail_page()
        tail = page.model.total() + len(page.pending)
        if os.environ.get("SOAK_DEBUG"):
            print(page.following, len(page.pending), page.mode_label.text(), page.session)
        row = (minute, rss, live_qobjects(self.app), len(self.app.allWidgets()), tail)
        self.rows.append(row)
        print(
            f"{minute:>4} {rss:>9.1f} {row[2]:>10,} {row[3]:>9,} {tail:>10,}"
            f" {self.churns:>7} {self.reconnects:>10}",
            flush=True,
        )


def process_rss_mib() -> float:
    """This process's RSS; read from /proc where there is one, so that the measured
    process does not import psutil (1.5 MiB) just to measure itself."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


# The writer runs in a child process that prints how many lines it wrote.
WRITER = (
    "import sys\n"
    "from bench_tail import writer\n"
    "class Sent:\n"
    "    value = 0\n"
    "    def get_lock(self):\n"
    "        import contextlib\n"
    "        return contextlib.nullcontext()\n"
    "sent = Sent()\n"
    "writer(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sent)\n"
    "print(sent.value)\n"
)


SERVER = (
    "import json, sys\n"
    "from pathlib import Path\n"
    "from console.db.embedded import EmbeddedServer\n"
    "server = EmbeddedServer(Path(sys.argv[1]))\n"
    "DB = 'dbname_placeholder'\n"
    "if sys.argv[2] == 'stop':\n"
    "    server.stop(force=True)\n"
    "else:\n"
    "    a = server.start()\n"
    "    print(json.dumps([a.url(DB), a.conninfo(DB)]))\n"
)


def server_command(root: Path, what: str) -> str:
    """The embedded server started or stopped by a child process (the measured process,
    which connects by URL as a console on a server profile does, never manages it)."""
    done = subprocess.run(
        [sys.executable, "-c", SERVER, str(root), what],
        check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout


def start_server(root: Path) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """Start it; (database -> URL, database -> libpq conninfo)."""
    url, conninfo = json.loads(server_command(root, "start"))
    mark = "dbname_placeholder"
    return (lambda db: url.replace(mark, db)), (lambda db: conninfo.replace(mark, db))


def console_command(url: str, *command: str) -> None:
    """``autopr-console --url URL COMMAND`` in a child process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "console", "--url", url, "--environment", "local", *command],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="tail lines per second")
    parser.add_argument("--refresh", type=int, default=5, help="auto-refresh seconds")
    parser.add_argument("--churn", type=int, default=CHURN_S, help="seconds between clicks")
    parser.add_argument("--reconnect", type=int, default=RECONNECT_S, help="seconds")
    args = parser.parse_args()

    # Only the console and this driver live in the measured process: the server setup
    # and the writer are other processes (the writer's bench_tail would import
    # multiprocessing, and psutil is not needed to read the RSS).
    import psycopg
    from PySide6.QtCore import QTimer, qInstallMessageHandler

    from console.app import make_application
    from console.ui.main_window import MainWindow
    from tests.helpers.loadgen import make_execution

    root = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    os.environ["AUTOPR_CONSOLE_HOME"] = str(root / "home")
    server = root / "srv"
    url_of, conninfo_of = start_server(server)
    writer_proc: subprocess.Popen[str] | None = None
    try:
        with psycopg.connect(conninfo_of("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE soak")
        url = url_of("soak")
        # Migrated and filled by a child process: the measured process opens an existing
        # database, as an operator's console does (Alembic and the ORM are not in its RSS).
        console_command(url, "demo", "--yes", "--no-simulate")
        conninfo = conninfo_of("soak")
        execution, _ = make_execution(conninfo)

        app = make_application([])
        qInstallMessageHandler(quiet_offscreen)
        window = MainWindow(remember=False)
        window.resize(1400, 900)
        window.show()
        window.start(None, url)
        soak = Soak(app, window, execution, args.refresh)
        seconds = args.minutes * 60
        writer_cmd = [
            sys.executable,
            "-c",
            WRITER,
            conninfo,
            execution,
            str(args.rate),
            str(seconds + 5),
        ]
        writer_env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}")

        def ready() -> None:
            if window.state != "connected" or not window.specs:
                QTimer.singleShot(200, ready)
                return
            soak.prepare()
            window.connection_state_changed.connect(soak.on_state)
            nonlocal writer_proc
            writer_proc = subprocess.Popen(
                writer_cmd, env=writer_env, stdout=subprocess.PIPE, text=True
            )
            soak.t0 = time.monotonic()
            print(
                f"soak {args.minutes:g} min: Executions page auto-refresh every {args.refresh} s, "
                f"tail at {args.rate:,.0f} lines/s, churn every {args.churn} s, "
                f"reconnect every {args.reconnect} s; load {os.getloadavg()[0]:.1f}"
            )
            print(
                f"{'min':>4} {'RSS MiB':>9} {'QObjects':>10} {'widgets':>9} {'tail held':>10}"
                f" {'churns':>7} {'reconnects':>10}"
            )
            soak.sample(0)
            churn = QTimer(window)
            churn.timeout.connect(soak.churn)
            churn.start(args.churn * 1000)
            again = QTimer(window)
            again.timeout.connect(soak.reconnect)
            again.start(args.reconnect * 1000)
            for minute in range(1, int(args.minutes) + 1):
                QTimer.singleShot(minute * 60_000, lambda m=minute: soak.sample(m))
            QTimer.singleShot(int(seconds * 1000) + 500, window.close)

        QTimer.singleShot(200, ready)
        window.closed.connect(app.quit)
        app.exec()
        written = 0
        if writer_proc is not None:
            out, _err = writer_proc.communicate(timeout=60)
            written = int(out.strip() or 0)
        summarize(soak.rows, written)
    finally:
        if writer_proc is not None and writer_proc.poll() is None:
            writer_proc.kill()
        server_command(server, "stop")
        shutil.rmtree(root, ignore_errors=True)  # the server's files: up to a GiB an hour


def quiet_offscreen(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages, without the offscreen plugin's "does not support" chatter."""
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def summarize(rows: list[tuple[int, float, int, int, int]], written: int) -> None:
    print(f"lines written {written:,}")
    late = [r for r in rows if r[0] >= 5]
    if len(late) >= 2:
        base, last = late[0], late[-1]
        growth = (last[1] - base[1]) / base[1] * 100
        print(
            f"RSS minute {base[0]} -> {last[0]}: {base[1]:.1f} -> {last[1]:.1f} MiB "
            f"({growth:+.1f} %, target <= 10 %); "
            f"QObjects {min(r[2] for r in late):,}-{max(r[2] for r in late):,}; "
            f"widgets {min(r[3] for r in late):,}-{max(r[3] for r in late):,}"
        )
    full = [r for r in rows if r[4] >= 100_000]
    if full:
        print(f"RSS with the tail buffer full: max {max(r[1] for r in full):.1f} MiB (<= 150)")


if __name__ == "__main__":
    main()
