"""Qt's own messages (qWarning, qCritical, category logs) go to Python's logging.

Without a handler Qt prints them to stderr, where they reach neither the log file
(so a crash report lacks the warning before it) nor the tests' check that a test
logs no unexpected warning.  Each message becomes a record of the logger named after
its category (``qt.qpa.fonts``; the default category is ``qt``), at the level of
its type.  A fatal message is logged, then Qt aborts as it always does.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

LEVELS: dict[QtMsgType, int] = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def logger_name(category: str | None) -> str:
    """The Python logger for a Qt category: ``qt.*`` kept, others put under ``qt.``."""
    if not category or category == "default":
        return "qt"
    return category if category == "qt" or category.startswith("qt.") else f"qt.{category}"


def _handle(msg_type: QtMsgType, context: QMessageLogContext, message: str) -> None:
    logger = logging.getLogger(logger_name(context.category))
    level = LEVELS.get(msg_type, logging.WARNING)
    if logger.isEnabledFor(level):
        where = f" ({context.file}:{context.line})" if context.file else ""
        logger.log(level, "%s%s", message, where)


def route_qt_messages() -> None:
    """Install the handler (again is harmless: it replaces itself)."""
    qInstallMessageHandler(_handle)
