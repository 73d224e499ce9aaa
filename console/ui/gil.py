"""The interpreter lock's switch interval in the GUI process.

A worker busy in Python (an export formatting a million rows, a page formatting a
window of rows) keeps the interpreter lock until another thread has waited the
switch interval for it, and the GUI thread needs the lock again for every call into
Python while it paints or handles an event (a view's ``data()``, a slot, a timer).
At Python's default 5 ms a repaint during an export waited up to 5 ms per call, and
the window stalled 110-130 ms at a time; at 1 ms each wait is at most 1 ms
(``benchmarks/bench_export.py`` measures the GUI thread's gaps).  The cost is a few
more lock hand-overs between busy threads, well under 1 % of their time.
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL_S = 0.001


def install() -> None:
    """Once, in a process with a GUI thread (never in the command-line tools)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
