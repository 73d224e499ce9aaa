"""Paging older lines into the tail: the page of lines before the oldest one held, read
off the GUI thread while the operator reads at the top."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from console.db.errors import first_line
from console.ui.tail.model import R_CREATED_AT, R_ID, PackedRow, make_row

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.ui.pages import PageContext
    from console.ui.tail.model import TailTableModel

OLDER_PAGE = 2000


class OlderLines(QObject):
    """One read at a time; after an empty answer it stops asking until ``reset``."""

    def __init__(self, ctx: PageContext, model: TailTableModel, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._model = model
        self._loading = False
        self._exhausted = False

    def reset(self) -> None:
        self._exhausted = False

    def load(self, db: Database, target: str, landed: Callable[[list[PackedRow]], None]) -> None:
        """Read the page before the oldest line; ``landed(rows)`` once it is prepended."""
        if self._loading or self._exhausted:
            return
        oldest = self._model.oldest()
        if oldest is None:
            return
        from console.tail import sql
        from console.tail.lines import TailLine

        execution = uuid.UUID(target) if target else None
        executions = [uuid.UUID(e) for e in self._model.execution_ids()]
        params = {
            "before_at": oldest[R_CREATED_AT],
            "before_id": uuid.UUID(oldest[R_ID]),
            "execution": execution,
            "executions": executions,
        }
        query = sql.older(execution is not None, False, OLDER_PAGE)

        def work() -> list[PackedRow]:
            with db.connect_raw("autopr-console-tail-older") as c:
                return [make_row(TailLine.from_row(r)) for r in c.execute(query, params)]

        def done(rows: list[PackedRow]) -> None:
            self._loading = False
            if not rows:
                self._exhausted = True
                self._ctx.show_status("No older lines.")
                return
            self._model.prepend_rows(rows)
            landed(rows)

        def failed(exc: BaseException) -> None:
            self._loading = False
            self._ctx.show_status(f"Could not load older lines: {first_line(exc)}")

        self._loading = True
        self._ctx.runner.submit(work, done, failed, owner=self, key="tail-older")
