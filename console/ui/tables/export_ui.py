"""Exporting a table page's rows: where to, the background write, progress and Cancel."""

from __future__ import annotations

import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal
from PySide6.QtWidgets import QFileDialog, QProgressBar, QPushButton

from console.secret_policy import redact_text
from console.ui.tables.controller import user_message

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage


_running: set[QProcess] = set()  # export children, kept until they end


def last_error_line(proc: QProcess) -> str:
    """The last line a child wrote to stderr (a crash's exception), secrets redacted: it is
    shown in the status bar, and a traceback may quote the conninfo it was handed."""
    text = bytes(proc.readAllStandardError().data()).decode("utf-8", "replace").strip()
    return redact_text(text.splitlines()[-1]) if text else ""


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
        self._child: QProcess | None = None
        self.child_pid: int | None = None  # the process of the last export of every row
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
        """Stream the rows to ``path`` off the GUI thread, with progress and Cancel: every
        row matching the filter in a child process (console.ui.tables.export_child), a
        selection (rows already in memory) on a worker thread."""
        from console.queries import specs
        from console.ui.tables import export

        page = self._page
        if page.db is None or page.controller.query is None:
            return
        q = page.controller.query
        if not selection and specs.SPECS.get(q.spec.key) is q.spec:
            self._export_in_child(path, fmt)
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

    def _export_in_child(self, path: Path, fmt: str) -> None:
        from console.ui.tables import export, export_child

        page = self._page
        assert page.db is not None and page.controller.query is not None
        line = export_child.job(
            page.db,
            page.controller.query,
            page.columns,
            path,
            fmt,
            page.model.total,
            export.BATCH,
        )
        proc = QProcess()  # no parent: a closing page must not kill it mid-write (it cancels)
        _running.add(proc)
        env = QProcessEnvironment.systemEnvironment()
        env.insert(export_child.ENV_MODE, "1")
        proc.setProcessEnvironment(env)
        program, *args = export_child.command()
        proc.setProgram(program)
        proc.setArguments(args)
        outcome: list[str] = []
        shown = [0.0]
        this = weakref.ref(self)

        def read() -> None:
            while proc.canReadLine():
                text = bytes(proc.readLine().data()).decode("utf-8", "replace").strip()
                word, _, rest = text.partition(" ")
                if word == "progress":
                    me = this()
                    if me is not None and time.monotonic() - shown[0] >= 0.1:
                        shown[0] = time.monotonic()
                        done, total = (int(x) for x in rest.split())
                        me._moved(done, total)
                elif word in ("done", "cancelled", "failed"):
                    outcome[:] = [word, rest]

        def finished(*_args: object) -> None:
            read()
            _running.discard(proc)
            proc.deleteLater()
            me = this()
            if me is None or not shiboken6.isValid(me):
                return
            me._child = None
            word, rest = outcome if outcome else ("failed", last_error_line(proc))
            me._finished()
            status = me._page.ctx.show_status
            if word == "done":
                me.last = (path, int(rest))
                status(f"Exported {int(rest):,} {me._page.noun} to {path}")
            elif word == "cancelled":
                me.last = (path, -1)
                status(f"Export cancelled; {path.name} was not written.")
            else:
                me.last = (path, -1)
                status(f"Export failed: {rest or 'the export process ended early'}")

        proc.readyReadStandardOutput.connect(read)
        proc.finished.connect(finished)
        proc.errorOccurred.connect(
            lambda err: finished() if err == QProcess.ProcessError.FailedToStart else None
        )
        self._cancelled = False
        self._child = proc
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.child_pid = None
        proc.started.connect(lambda: setattr(self, "child_pid", int(proc.processId())))
        proc.start()
        proc.write((line + "\n").encode())

    def cancel(self) -> None:
        self._cancelled = True
        if self._child is not None:
            self._child.write(b"cancel\n")

    def _moved(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(f"{done:,} / ≈{total:,}")

    def _finished(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
