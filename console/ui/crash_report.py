"""Unhandled exceptions of every thread: logged, then shown in :mod:`console.ui.crash_dialog`.

Kept apart from the dialog, which is imported when the first crash is shown: its
widgets (QStyle, QDialogButtonBox, QDesktopServices) cost the first paint ~15 ms.
Exceptions from other threads are relayed to the GUI thread by a queued signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication

from console import applog

if TYPE_CHECKING:
    from console.ui.crash_dialog import CrashDialog

CRASH_EXIT_CODE = 70  # EX_SOFTWARE: the dialog's Quit


class CrashReporter(QObject):
    """Receives crash reports from any thread and shows one dialog at a time."""

    reported = Signal(str, str, str)  # summary, details, log path

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: CrashDialog | None = None
        self.suppressed = 0
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, summary: str, details: str, log_path: Path) -> None:
        """The applog callback: may run on any thread."""
        self.reported.emit(summary, details, str(log_path))

    @Slot(str, str, str)
    def _show(self, summary: str, details: str, log_path: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.suppressed += 1  # already logged; one dialog is enough
            return
        from console.ui.crash_dialog import CrashDialog

        parent = QApplication.activeWindow()
        self.dialog = CrashDialog(summary, details, Path(log_path), parent)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.destroyed.connect(self._forget)
        self.dialog.open()

    @Slot()
    def _forget(self) -> None:
        self.dialog = None


def install_crash_dialog(app: QApplication) -> CrashReporter:
    """Log unhandled exceptions of every thread and show :class:`CrashDialog` for them."""
    reporter = CrashReporter(app)
    applog.install_excepthooks(reporter.report)
    return reporter
