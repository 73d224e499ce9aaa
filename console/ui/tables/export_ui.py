"""Exporting a table page's rows: where to, the background write, progress and Cancel."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QProgressBar, QPushButton

from console.ui.tables.controller import user_message

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage


class _Progress(QObject):
    """Crosses export progress from the worker thread to the GUI thread."""

    moved = Signal(int, int)


class TableExport(QObject):
    """Streams rows to CSV or JSON off the GUI thread; shows a progress bar and Cancel."""

    def __init__(self, page: TablePage) -> None:
        super().__init__(page)
        self._page = page
        self.progress = QProgressBar(page)
        self.progress.setObjectName("exportProgress")
        self.progress.setAccessibleName("Export progress")
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel export", page)
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        self._cancelled = False
        self.last: tuple[Path, int] | None = None  # path and rows written (-1: not written)

    def ask(self, selection: bool = False) -> None:
        """Ask where, then export the selected rows or every row matching the filter."""
        page = self._page
        path, chosen = QFileDialog.getSaveFileName(
            page, f"Export {page.noun}", f"{page.key}.csv", "CSV (*.csv);;JSON (*.json)"
        )
        if path:
            fmt = "json" if "json" in chosen.lower() or path.endswith(".json") else "csv"
            self.export_to(Path(path), fmt, selection=selection)

    def export_to(self, path: Path, fmt: str, *, selection: bool = False) -> None:
        """Stream the rows to ``path`` off the GUI thread, with progress and Cancel."""
        from console.ui.tables import export

        page = self._page
        if page.db is None or page.controller.query is None:
            return
        columns, engine, q = page.columns, page.db.reader, page.controller.query
        rows = [r.raw for r in (page.model.row_at(i) for i in page.selected_rows()) if r]
        total = len(rows) if selection else page.model.total
        relay = _Progress(self)
        relay.moved.connect(self._moved)
        self._cancelled = False
        status = page.ctx.show_status

        shown = [0.0]

        def progress(done: int, expected: int) -> bool:
            if time.monotonic() - shown[0] >= 0.1:  # the bar moves 10 times a second at most
                shown[0] = time.monotonic()
                relay.moved.emit(done, expected)
            return not self._cancelled

        def work() -> int:
            source = [rows] if selection else export.batches(engine, q)
            return export.write_rows(path, fmt, columns, source, total, progress)

        def done(count: int) -> None:
            self._finished()
            self.last = (path, count)
            status(f"Exported {count:,} {page.noun} to {path}")

        def failed(exc: BaseException) -> None:
            self._finished()
            self.last = (path, -1)
            if isinstance(exc, export.ExportCancelled):
                status(f"Export cancelled; {path.name} was not written.")
            else:
                status(f"Export failed: {user_message(exc)}")

        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        page.ctx.runner.submit(work, done, failed, owner=self, key=f"{page.key}:export:{id(self)}")

    def cancel(self) -> None:
        self._cancelled = True

    def _moved(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(f"{done:,} / ≈{total:,}")

    def _finished(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
