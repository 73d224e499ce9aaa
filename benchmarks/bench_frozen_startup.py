"""Start-up of the frozen app against ``python -m console``, side by side.

    python benchmarks/bench_frozen_startup.py [--app build/pkg/dist/autopr-console] [--runs 5]

Build the bundle first (``packaging/build.sh --no-deb``).  For each variant it
runs, interleaved so load changes hit both alike:

* ``--version``: process start to exit (interpreter, imports, argparse);
* ``self-test --quick``: the process prints the time from its start to the
  window's first paint offscreen (the ready-window marker), and we time the
  whole process too.

Prints medians and the frozen/source ratio; asserts nothing.  The page cache is
warm after the first run (a truly cold disk is slower for both).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAINT = re.compile(r"first paint (\d+) ms")


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    wall = (time.perf_counter() - started) * 1000
    match = PAINT.search(result.stdout)
    return wall, float(match.group(1)) if match else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "build/pkg/dist/autopr-console")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    frozen = str(args.app / "autopr-console")
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["PYTHONPATH"] = str(ROOT)
    variants = {
        "frozen": [frozen],
        "source": [sys.executable, "-m", "console"],
    }
    print(f"load average {os.getloadavg()[0]:.2f}, {args.runs} runs each (+1 warm-up)")
    results: dict[tuple[str, str], list[float]] = {}
    for mode, extra in (("--version", ["--version"]), ("quick", ["self-test", "--quick"])):
        for base in variants.values():
            run(base + extra, env)  # warm-up: page cache
        for _ in range(args.runs):
            for name, base in variants.items():
                wall, paint = run(base + extra, env)
                results.setdefault((mode, f"{name} wall"), []).append(wall)
                if paint is not None:
                    results.setdefault((mode, f"{name} first paint"), []).append(paint)
    for mode in ("--version", "quick"):
        print(f"\n{mode}")
        medians = {}
        for (m, label), values in results.items():
            if m != mode:
                continue
            medians[label] = statistics.median(values)
            print(f"  {label:<20} median {medians[label]:7.0f} ms  (min {min(values):.0f})")
        for what in ("wall", "first paint"):
            f, s = medians.get(f"frozen {what}"), medians.get(f"source {what}")
            if f and s:
                print(f"  frozen/source {what}: {f / s:.2f}")
    print(f"\nload average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
