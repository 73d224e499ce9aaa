"""AutoPR Console: a desktop operator console for the AutoPR Engine database."""

from __future__ import annotations

APP_NAME = "AutoPR Console"
APP_ID = "autopr-console"
# The single source of the version: pyproject.toml reads it (``dynamic``), and so do the
# packaging scripts.  A literal, so that starting the window does not import
# importlib.metadata (with email, csv and zipfile: ~2 MiB and ~15 ms) to learn it.
__version__ = "0.1.0"
