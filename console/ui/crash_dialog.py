"""The dialog an unhandled exception opens, instead of the window vanishing.

:func:`console.ui.crash_report.install_crash_dialog` hooks :mod:`console.applog`'s
exception hooks: the exception is logged (redacted) first, then this dialog says
what happened in one line and where the log file is.  The traceback is not shown; "Copy details"
puts it on the clipboard for a bug report.  Exceptions from other threads are
relayed to the GUI thread by a queued signal.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from console import APP_NAME
from console.ui.crash_report import CRASH_EXIT_CODE
from console.ui.plain import plain_label


class CrashDialog(QDialog):
    """What went wrong (one line), where the log is, and Continue / Quit."""

    def __init__(
        self, summary: str, details: str, log_path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — unexpected error")
        self.details = details
        self.log_path = Path(log_path)
        layout = QVBoxLayout(self)

        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48)
        )
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignLeft)
        self.message = QLabel(
            f"{APP_NAME} hit an unexpected error. Your data in the database is not affected; "
            "an action that was running may not have finished."
        )
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.summary_label = plain_label(summary)  # an error text may quote database strings
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        layout.addWidget(self.summary_label)
        self.log_label = plain_label(f"The details are in the log file:\n{self.log_path}")
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.log_label)

        buttons = QDialogButtonBox()
        self.continue_button = buttons.addButton("Continue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.quit_button = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.copy_button = QPushButton("Copy details")
        self.open_button = QPushButton("Open log folder")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.continue_button.clicked.connect(self.accept)
        self.quit_button.clicked.connect(self.quit_app)
        self.copy_button.clicked.connect(self.copy_details)
        self.open_button.clicked.connect(self.open_log_folder)
        layout.addWidget(buttons)
        self.continue_button.setDefault(True)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(
            f"{self.summary_label.text()}\n\nLog file: {self.log_path}\n\n{self.details}"
        )

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path.parent)))

    def quit_app(self) -> None:
        self.done(QDialog.DialogCode.Rejected)
        app = QApplication.instance()
        if app is not None:
            app.exit(CRASH_EXIT_CODE)
