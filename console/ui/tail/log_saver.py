"""Saving a followed execution's whole log (text or JSON Lines), streamed off the GUI
thread with progress and Cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QProgressBar, QPushButton, QToolButton, QWidget

from console.db.errors import first_line

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.ui.pages import PageContext


class LogSaver(QObject):
    """The Save log… button, the progress bar and Cancel; ``moved`` reports progress
    (lines written, lines expected) on the GUI thread."""

    moved = Signal(int, int)
    finished = Signal()  # saved, cancelled or failed: the page re-enables the button

    def __init__(self, ctx: PageContext, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._parent = parent
        self._cancelled = False
        self.last: tuple[Path, int] | None = None  # path and lines written (-1: not saved)
        self.button = QPushButton("Save log…")
        self.button.setToolTip("Save the whole log of this execution (text or JSON Lines)")
        self.button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(260)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.moved.connect(self._show_progress)

    def ask(self, save: Callable[[Path, str], None]) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self._parent, "Save the execution log", "", "Text (*.log *.txt);;JSON Lines (*.jsonl)"
        )
        if path:
            fmt = "jsonl" if "jsonl" in chosen.lower() or path.endswith(".jsonl") else "text"
            save(Path(path), fmt)

    def save(self, db: Database, execution: uuid.UUID, path: Path, fmt: str) -> None:
        """Every line of ``execution`` to ``path``."""
        from console.tail.export import ExportCancelled, export_execution_log

        self._cancelled = False
        status = self._ctx.show_status

        def progress(done: int, total: int) -> bool:
            self.moved.emit(done, total)  # queued to the GUI thread
            return not self._cancelled

        def work() -> int:
            return export_execution_log(
                lambda: db.connect_raw("autopr-console-export"), execution, path, fmt, progress
            )

        def done(count: int) -> None:
            self._finished()
            status(f"Saved {count:,} lines to {path}")
            self.last = (path, count)

        def failed(exc: BaseException) -> None:
            self._finished()
            if isinstance(exc, ExportCancelled):
                status("Saving the log was cancelled.")
            else:
                status(f"Could not save the log: {first_line(exc)}")
            self.last = (path, -1)

        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.button.setEnabled(False)
        self._ctx.runner.submit(work, done, failed, owner=self, key="tail-save")

    def cancel(self) -> None:
        self._cancelled = True

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done:,} / {total:,} lines")

    def _finished(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.finished.emit()
