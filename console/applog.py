"""Application log files and the last-resort exception hooks.

The console writes ``console.log`` in the user log dir (:func:`console.paths.log_dir`),
rotated by size.  Every record passes a :class:`RedactingFilter` first (the one secrets
policy, :mod:`console.secret_policy`), so a password inside a URL, a libpq conninfo
string or an environment assignment never reaches a file, whatever code logged it.

:func:`install_excepthooks` routes unhandled exceptions (main thread and other
threads) to the log and then to a callback, which the GUI uses to show the crash
dialog instead of vanishing.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from console import paths
from console.secret_policy import TEXT_MASK as MASK  # noqa: F401  (re-exported)
from console.secret_policy import mask, redact_text

LOG_FILE_NAME = "console.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-8s %(process)d %(threadName)s %(name)s: %(message)s"
CRASH_LOGGER = "console.crash"


class RedactingFilter(logging.Filter):
    """Redacts the rendered message, the traceback and the stack of every record.

    It renders ``msg % args`` itself (then drops ``args``) so a password passed
    as an argument is caught too; dict and list arguments are masked by the
    secrets policy first (a config logged whole shows ``••••••`` for its secrets).
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = mask(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(mask(a) if isinstance(a, dict | list) else a for a in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw parts, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class OwnerOnlyFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log, its file (and so every rotated copy) readable by its owner only:
    redacted as it is, it still names hosts, users, databases and what was done."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # a file left by an older version, or made under another umask
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def log_file() -> Path:
    """Where the current log file is (or will be)."""
    return paths.log_dir() / LOG_FILE_NAME


def _our_handler(root: logging.Logger) -> logging.Handler | None:
    for handler in root.handlers:
        if getattr(handler, "_autopr_console", False):
            return handler
    return None


def setup_logging(level: int = logging.INFO, *, stderr_level: int | None = None) -> Path:
    """Attach the rotating file handler (once) and return the log file path.

    Calling it again (another profile, a test) re-targets the handler if the log
    dir changed.  ``stderr_level`` adds a redacted stderr handler too.
    """
    target = log_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    existing = _our_handler(root)
    if existing is not None:
        if Path(getattr(existing, "baseFilename", "")) == target.resolve():
            return target
        root.removeHandler(existing)
        existing.close()
    handler = OwnerOnlyFileHandler(
        target, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    handler._autopr_console = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    handler.setLevel(level)
    root.addHandler(handler)
    if stderr_level is not None and not any(
        getattr(h, "_autopr_console_stderr", False) for h in root.handlers
    ):
        err = logging.StreamHandler(sys.stderr)
        err._autopr_console_stderr = True  # type: ignore[attr-defined]
        err.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        err.addFilter(RedactingFilter())
        err.setLevel(stderr_level)
        root.addHandler(err)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return target


def our_handlers() -> list[logging.Handler]:
    """The handlers :func:`setup_logging` attached to the root logger (file, stderr)."""
    return [
        h
        for h in logging.getLogger().handlers
        if getattr(h, "_autopr_console", False) or getattr(h, "_autopr_console_stderr", False)
    ]


def shutdown_logging() -> None:
    """Detach and close our handlers (tests, and before the app exits)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_autopr_console", False) or getattr(
            handler, "_autopr_console_stderr", False
        ):
            root.removeHandler(handler)
            handler.close()


CrashCallback = Callable[[str, str, Path], None]
"""Called with (one-line summary, redacted traceback, log file path)."""


def format_crash(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None
) -> tuple[str, str]:
    """A redacted one-line summary and the redacted traceback text."""
    summary = redact_text(f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__)
    details = redact_text("".join(traceback.format_exception(exc_type, exc, tb)))
    return summary, details


class _Hooks:
    previous_sys: (
        Callable[[type[BaseException], BaseException, TracebackType | None], Any] | None
    ) = None
    previous_threading: Callable[[threading.ExceptHookArgs], object] | None = None
    callback: CrashCallback | None = None


def install_excepthooks(on_crash: CrashCallback | None = None) -> None:
    """Log unhandled exceptions of every thread, then call ``on_crash`` (if given).

    KeyboardInterrupt keeps Python's default behaviour.  A failure inside
    ``on_crash`` is logged and never raised again from the hook.
    """
    if _Hooks.previous_sys is None:
        _Hooks.previous_sys = sys.excepthook
        _Hooks.previous_threading = threading.excepthook
    _Hooks.callback = on_crash
    sys.excepthook = _sys_hook
    threading.excepthook = _thread_hook


def uninstall_excepthooks() -> None:
    if _Hooks.previous_sys is not None:
        sys.excepthook = _Hooks.previous_sys
        if _Hooks.previous_threading is not None:
            threading.excepthook = _Hooks.previous_threading
    _Hooks.previous_sys = None
    _Hooks.previous_threading = None
    _Hooks.callback = None


def _report(
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
    where: str,
) -> None:
    logging.getLogger(CRASH_LOGGER).critical(
        "unhandled exception in %s", where, exc_info=exc if exc is not None else True
    )
    callback = _Hooks.callback
    if callback is None:
        return
    summary, details = format_crash(exc_type, exc, tb)
    try:
        callback(summary, details, log_file())
    except Exception:
        logging.getLogger(CRASH_LOGGER).exception("the crash report itself failed")


def _sys_hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    _report(exc_type, exc, tb, "the main thread")


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    _report(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")
