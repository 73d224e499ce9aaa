"""Window start-up under a real X server: the ``autopr-console`` entry point against a bare
PySide6 window (a QMainWindow with one label), side by side in one run.

    python benchmarks/bench_window_startup.py --url URL [--runs 5] [--settle 4]
                                              [--app build/pkg/dist/autopr-console]
                                              [--baseline DIR]

Starts its own Xvfb and listens on the root window for MapNotify (an X client of its
own, through libxcb): "window shown" is from process spawn to the X server mapping the
process's top-level window, the real thing a user sees, not a marker the process prints.
``--settle`` seconds after the console's log says it connected (the Overview has
loaded by then; the bare window: after the mapping) it reads the process's RSS, then
ends the process with SIGTERM.  Variants are interleaved so load
changes hit them alike; one warm-up round first (page cache).  With ``--app`` (a bundle
built by ``packaging/build.sh --no-deb``) the frozen app runs too; with ``--baseline``
the same entry point runs on another source tree (``git archive`` of an older commit),
for before/after figures in one run.  Prints medians and
ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
MAP_NOTIFY = 19
XCB_CW_EVENT_MASK = 2048
SUBSTRUCTURE_NOTIFY = 1 << 19

BARE = r"""
import sys
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow()
w.setCentralWidget(QLabel("bare PySide6 window"))
w.resize(1280, 800)
w.show()
sys.exit(app.exec())
"""


class _MapEvent(ctypes.Structure):
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("pad0", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("event", ctypes.c_uint32),
        ("window", ctypes.c_uint32),
        ("override_redirect", ctypes.c_uint8),
    ]


class _ScreenIterator(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.POINTER(ctypes.c_uint32)),
        ("rem", ctypes.c_int),
        ("index", ctypes.c_int),
    ]


class MapWatcher:
    """An X client that reports top-level windows being mapped (no window manager runs)."""

    def __init__(self, display: str) -> None:
        xcb = self.xcb = ctypes.CDLL("libxcb.so.1")
        xcb.xcb_connect.restype = ctypes.c_void_p
        xcb.xcb_get_setup.restype = ctypes.c_void_p
        xcb.xcb_get_setup.argtypes = [ctypes.c_void_p]
        xcb.xcb_setup_roots_iterator.restype = _ScreenIterator
        xcb.xcb_setup_roots_iterator.argtypes = [ctypes.c_void_p]
        xcb.xcb_poll_for_event.restype = ctypes.c_void_p
        xcb.xcb_poll_for_event.argtypes = [ctypes.c_void_p]
        xcb.xcb_get_file_descriptor.argtypes = [ctypes.c_void_p]
        xcb.xcb_flush.argtypes = [ctypes.c_void_p]
        xcb.xcb_change_window_attributes.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.POINTER(ctypes.c_uint32),
        ]
        self.conn = xcb.xcb_connect(display.encode(), None)
        root = xcb.xcb_setup_roots_iterator(xcb.xcb_get_setup(self.conn)).data[0]
        mask = (ctypes.c_uint32 * 1)(SUBSTRUCTURE_NOTIFY)
        xcb.xcb_change_window_attributes(self.conn, root, XCB_CW_EVENT_MASK, mask)
        xcb.xcb_flush(self.conn)
        self.fd = xcb.xcb_get_file_descriptor(self.conn)
        self.libc = ctypes.CDLL(None)
        self.libc.free.argtypes = [ctypes.c_void_p]

    def drain(self) -> None:
        while ptr := self.xcb.xcb_poll_for_event(self.conn):
            self.libc.free(ptr)

    def wait_mapped(self, deadline: float) -> float | None:
        """perf_counter() when a normal (not override-redirect) top-level window maps."""
        while time.perf_counter() < deadline:
            while ptr := self.xcb.xcb_poll_for_event(self.conn):
                now = time.perf_counter()
                ev = _MapEvent.from_address(ptr)
                hit = ev.response_type & 0x7F == MAP_NOTIFY and not ev.override_redirect
                self.libc.free(ptr)
                if hit:
                    return now
            select.select([self.fd], [], [], max(0.0, deadline - time.perf_counter()))
        return None


def start_xvfb() -> tuple[subprocess.Popen, str]:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    display = f":{n}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            return proc, display
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("Xvfb did not start")


def wait_connected(log: Path, pid: int, deadline: float) -> float | None:
    """perf_counter() once the console's log says this process connected."""
    mark = f" {pid} MainThread "
    while time.perf_counter() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if any(mark in line and ": connected to profile" in line for line in text.splitlines()):
            return time.perf_counter()
        time.sleep(0.05)
    return None


def one(
    cmd: list[str], env: dict[str, str], watcher: MapWatcher, settle: float, log: Path | None
) -> tuple[float, float, float | None]:
    """(ms to the window mapped, RSS MiB once the first page loaded, ms to connected)."""
    watcher.drain()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    connected = None
    try:
        mapped = watcher.wait_mapped(start + 60)
        if mapped is None:
            proc.kill()
            assert proc.stderr is not None  # stderr=PIPE
            stderr = proc.stderr.read().decode("utf-8", "replace")[-2000:]
            raise SystemExit(f"{cmd[0]}: no window mapped; stderr: {stderr}")
        if log is not None:
            connected = wait_connected(log, proc.pid, start + 90)
            if connected is None:
                raise SystemExit(f"{cmd[0]}: never connected (see {log})")
        time.sleep(settle)  # the first page's queries answered and painted
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    to_connected = (connected - start) * 1000 if connected is not None else None
    return (mapped - start) * 1000, rss, to_connected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database the console opens (e.g. the demo)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--settle", type=float, default=4.0, help="seconds from connected (bare: mapped) to RSS"
    )
    parser.add_argument("--app", type=Path, help="frozen bundle directory (optional)")
    parser.add_argument(
        "--baseline", type=Path, help="another source tree (e.g. an older commit) run beside"
    )
    parser.add_argument("--baseline-url", help="its database (default: --url)")
    args = parser.parse_args()
    if args.baseline and not (args.baseline / "console" / "__init__.py").is_file():
        raise SystemExit(f"--baseline {args.baseline}: not a source tree (no console/)")
    entry = Path(sys.executable).with_name("autopr-console")
    if not entry.exists():
        entry = Path(shutil.which("autopr-console") or "autopr-console")
    xvfb, display = start_xvfb()
    try:
        watcher = MapWatcher(display)
        with tempfile.TemporaryDirectory() as home:
            env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
            env.update(DISPLAY=display, AUTOPR_CONSOLE_HOME=home, PYTHONPATH=str(REPO))
            env.pop("WAYLAND_DISPLAY", None)
            # Compiled modules, as an installed package has them (pip writes its .pyc).
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            variants = {
                "bare PySide6": [sys.executable, "-c", BARE],
                "console": [str(entry), "--url", args.url, "gui"],
            }
            envs = {name: env for name in variants}
            if args.app:
                variants["frozen"] = [str(args.app / "autopr-console"), "--url", args.url, "gui"]
                envs["frozen"] = env
            if args.baseline:
                url = args.baseline_url or args.url
                variants["baseline"] = [str(entry), "--url", url, "gui"]
                envs["baseline"] = dict(env, PYTHONPATH=str(args.baseline.resolve()))
            log = Path(home) / "log" / "console.log"
            for name, cmd in variants.items():  # warm-up: page cache, .pyc, first-run settings
                one(cmd, envs[name], watcher, 1.0, None if name == "bare PySide6" else log)
            results: dict[str, list[tuple[float, float, float | None]]] = {n: [] for n in variants}
            for _ in range(args.runs):
                for name, cmd in variants.items():
                    app_log = None if name == "bare PySide6" else log
                    results[name].append(one(cmd, envs[name], watcher, args.settle, app_log))
    finally:
        xvfb.terminate()
        xvfb.wait()
    shown = {n: statistics.median(r[0] for r in runs) for n, runs in results.items()}
    rss = {n: statistics.median(r[1] for r in runs) for n, runs in results.items()}
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.runs}; entry point {entry}")
    print(
        f"{'':14} {'window shown (ms)':>18} {'ratio':>7} {'RSS page loaded (MiB)':>22} "
        f"{'ratio':>7} {'connected (ms)':>15}"
    )
    bare = "bare PySide6"
    for name, runs in results.items():
        conn = [r[2] for r in runs if r[2] is not None]
        conn_text = f"{statistics.median(conn):15.0f}" if conn else f"{'-':>15}"
        print(
            f"{name:14} {shown[name]:18.0f} {shown[name] / shown[bare]:6.2f}x "
            f"{rss[name]:22.0f} {rss[name] / rss[bare]:6.2f}x {conn_text}"
        )
    if "frozen" in results:
        print(f"frozen / source: window shown {shown['frozen'] / shown['console']:.2f}x")
    for name, runs in results.items():
        print(f"  {name}: shown " + " ".join(f"{r[0]:.0f}" for r in runs), end="")
        print("  rss " + " ".join(f"{r[1]:.0f}" for r in runs))


if __name__ == "__main__":
    main()
