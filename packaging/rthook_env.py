"""PyInstaller runtime hook: keep the bundle's library path away from child processes.

The bootloader points LD_LIBRARY_PATH at the bundle so Python finds its own
libraries; the embedded PostgreSQL binaries must run against the system's
libraries (and their own rpath), exactly as outside the bundle.
"""

import os
import sys

if getattr(sys, "frozen", False):
    for var in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
        original = os.environ.pop(var + "_ORIG", None)
        if original is not None:
            os.environ[var] = original
        else:
            os.environ.pop(var, None)
