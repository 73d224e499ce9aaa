"""Window start-up: time to the first paint and to "connected", ours against importing the
data layer first (the naive order), side by side in one run.

    python benchmarks/bench_window_startup.py --url postgresql://user@host/db [--runs 7]

Each run is a fresh process (offscreen); times are from process spawn.  Prints medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, time
naive = sys.argv[1] == "naive"
url = sys.argv[2]
if naive:
    import console.db.connection, console.profiles  # the data layer before anything is shown
from console.app import make_application
app = make_application([])
from console.ui.main_window import MainWindow
w = MainWindow(remember=False)
w.show()
app.processEvents()
print("paint", time.time(), flush=True)
def done(state):
    if state in ("connected", "failed"):
        print(state, time.time(), flush=True)
        app.quit()
w.connection_state_changed.connect(done)
w.start(None, url)
app.exec()
w.close()
"""


def one(mode: str, url: str, home: str) -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AUTOPR_CONSOLE_HOME=home)
    env["PYTHONPATH"] = str(REPO)
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    marks = dict(line.split() for line in out.splitlines() if line.split()[:1] != [""])
    if "connected" not in marks:
        raise SystemExit(f"{mode}: did not connect: {out}")
    return float(marks["paint"]) - start, float(marks["connected"]) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        results: dict[str, list[tuple[float, float]]] = {"ours": [], "naive": []}
        one("ours", args.url, home)  # warm the file cache
        for _ in range(args.runs):
            for mode in results:  # interleaved, so both see the same machine load
                results[mode].append(one(mode, args.url, home))
    print(f"{'order':8} {'first paint (ms)':>18} {'connected (ms)':>16}   median of {args.runs}")
    for mode, runs in results.items():
        paint = statistics.median(r[0] for r in runs) * 1000
        conn = statistics.median(r[1] for r in runs) * 1000
        print(f"{mode:8} {paint:18.0f} {conn:16.0f}")
    ours = statistics.median(r[0] for r in results["ours"])
    naive = statistics.median(r[0] for r in results["naive"])
    print(f"first paint: ours is {naive / ours:.2f}x sooner than data-layer-first")


if __name__ == "__main__":
    main()
