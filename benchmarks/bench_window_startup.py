"""Window start-up under a real X server: the ``autopr-console`` entry point against a bare
PySide6 window (a QMainWindow with one label), side by side in one run.

    python benchmarks/bench_window_startup.py --url URL [--runs 5] [--settle 6]
                                              [--app build/pkg/dist/autopr-console]

Starts its own Xvfb and listens on the root window for MapNotify (an X client of its
own, through libxcb): "window shown" is from process spawn to the X server mapping the
process's top-level window, the real thing a user sees, not a marker the process prints.
``--settle`` seconds after the mapping (the Overview has loaded by then) it reads the
process's RSS, then ends the process with SIGTERM.  Variants are interleaved so load
changes hit them alike; one warm-up round first (page cache).  With ``--app`` (a bundle
built by ``packaging/build.sh --no-deb``) the frozen app runs too.  Prints medians and
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


def one(
    cmd: list[str], env: dict[str, str], watcher: MapWatcher, settle: float
) -> tuple[float, float]:
    watcher.drain()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        mapped = watcher.wait_mapped(start + 60)
        if mapped is None:
            proc.kill()
            raise SystemExit(f"{cmd[0]}: no window mapped; stderr: {proc.stderr.read()[-2000:]}")
        time.sleep(settle)
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return (mapped - start) * 1000, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database the console opens (e.g. the demo)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=6.0, help="seconds after mapping to RSS")
    parser.add_argument("--app", type=Path, help="frozen bundle directory (optional)")
    args = parser.parse_args()
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
            variants = {
                "bare PySide6": [sys.executable, "-c", BARE],
                "console": [str(entry), "--url", args.url, "gui"],
            }
            if args.app:
                variants["frozen"] = [str(args.app / "autopr-console"), "--url", args.url, "gui"]
            for cmd in variants.values():  # warm-up: page cache, first-run settings
                one(cmd, env, watcher, 1.0)
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
            for _ in range(args.runs):
                for name, cmd in variants.items():
                    results[name].append(one(cmd, env, watcher, args.settle))
    finally:
        xvfb.terminate()
        xvfb.wait()
    shown = {n: statistics.median(r[0] for r in runs) for n, runs in results.items()}
    rss = {n: statistics.median(r[1] for r in runs) for n, runs in results.items()}
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.runs}; entry point {entry}")
    rss_title = f"RSS +{args.settle:g} s (MiB)"
    print(f"{'':14} {'window shown (ms)':>18} {'ratio':>7} {rss_title:>18} {'ratio':>7}")
    bare = "bare PySide6"
    for name in results:
        print(
            f"{name:14} {shown[name]:18.0f} {shown[name] / shown[bare]:6.2f}x "
            f"{rss[name]:18.0f} {rss[name] / rss[bare]:6.2f}x"
        )
    if "frozen" in results:
        print(f"frozen / source: window shown {shown['frozen'] / shown['console']:.2f}x")
    for name, runs in results.items():
        print(f"  {name}: shown " + " ".join(f"{r[0]:.0f}" for r in runs), end="")
        print("  rss " + " ".join(f"{r[1]:.0f}" for r in runs))


if __name__ == "__main__":
    main()
