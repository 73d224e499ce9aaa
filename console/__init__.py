"""AutoPR Console: a desktop operator console for the AutoPR Engine database."""

from __future__ import annotations

APP_NAME = "AutoPR Console"
APP_ID = "autopr-console"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(APP_ID)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+source"


__version__ = _version()
