"""Runs a window model's reads on the TaskRunner and hands the rows back to it.

One controller per table view (a page's main table, or the logs of one
execution in a detail pane).  Every read of a controller goes under one runner
key, so a filter change drops the answers of reads still in flight.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.db.errors import read_failure
from console.queries import counts, keyset, position
from console.queries.filters import FilterError
from console.queries.keyset import Sort, WindowQuery
from console.queries.source import Connectable
from console.queries.specs import TableSpec
from console.ui.tables.columns import Column, format_row
from console.ui.tables.model import Plan, Row, WindowModel
from console.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
_ids = itertools.count(1)
# Tables this small are paged by OFFSET when the sort column is text (no useful histogram).
OFFSET_OK_BELOW = 100_000


def make_rows(rows: list[dict[str, Any]], q: WindowQuery, columns: tuple[Column, ...]) -> list[Row]:
    """Fetched rows to model rows, display strings included (runs on the worker)."""
    tone_col = next((c.name for c in columns if c.kind in ("status", "health", "level")), None)
    out = []
    for raw in rows:
        texts, tips = format_row(raw, columns)
        row = Row(str(raw["id"]), keyset.sort_value(raw, q), raw, texts, tips)
        if tone_col:
            row.tone = str(raw.get(tone_col) or "")
        out.append(row)
    return out


def user_message(exc: BaseException) -> str:
    """One line for the operator; details go to the log."""
    if isinstance(exc, FilterError):
        return str(exc)
    return read_failure(exc)


# The column a page's JSON containment filter looks into.
_JSON_FILTER_COLUMNS = {
    "workflows": "config",
    "integrations": "config",
    "integration_events": "payload",
}


def json_filter_notes(table: str, json_columns: set[tuple[str, str]]) -> list[str]:
    """Say when a containment filter cannot be index-served: the column is json here."""
    column = _JSON_FILTER_COLUMNS.get(table)
    if column is None or (table, column) not in json_columns:
        return []
    return [f"{table}.{column} is json here, not jsonb: the JSON filter reads every row"]


class WindowController(QObject):
    loaded = Signal()  # a new query's first rows landed
    failed = Signal(str)  # operator-facing message
    total_changed = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        spec: TableSpec,
        columns: tuple[Column, ...],
        page_size: int = 200,
        max_rows: int = 2000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.spec = spec
        self.columns = columns
        self.model = WindowModel(columns, page_size=page_size, max_rows=max_rows, parent=self)
        self.model.wants.connect(self._run_plan)
        self.engine: Connectable | None = None
        self.query: WindowQuery | None = None
        self.notes: list[str] = []
        self.total_note: str | None = None  # how old the estimate's statistics are
        # (table, column) pairs that are json, not jsonb, in the connected database.
        self.json_columns: set[tuple[str, str]] = set()
        self.loading = False
        self._positions: dict[tuple, position.PositionMap] = {}
        self._key = f"{spec.key}:window:{next(_ids)}"
        self._count_key = f"{self._key}:count"
        self._load_key = f"{self._key}:load"
        self._estimate = 0

    # ------------------------------------------------------------ public

    def set_engine(self, engine: Connectable | None) -> None:
        self.engine = engine
        self.runner.invalidate(self._key)
        self.runner.invalidate(self._load_key)
        self.runner.invalidate(self._count_key)
        self._positions.clear()
        self.query = None
        self.model.clear()

    def load(
        self,
        filters: Mapping[str, Any],
        sort: Sort | None = None,
        on_loaded: Callable[[], None] | None = None,
        before_apply: Callable[[], None] | None = None,
    ) -> None:
        """Start a new query; raises FilterError at once for invalid filters.

        ``before_apply`` runs when the answer has landed, just before the model takes it
        (what the operator selected meanwhile is read then, not when the read started).
        """
        q = WindowQuery.make(self.spec, filters, sort)
        where = q.where()  # validate on the GUI thread: bad input never reaches a worker
        self.notes = list(where.notes)
        if filters.get("json"):
            self.notes += json_filter_notes(self.spec.table, self.json_columns)
        self.query = q
        if self.engine is None:
            self.model.clear()
            return
        engine, page, columns = self.engine, self.model.page_size, self.columns

        def work() -> tuple[counts.RowTotal, list[Row]]:
            with engine.connect() as conn:
                rows = keyset.fetch_window(conn, q, "top", page)
                total = (
                    counts.RowTotal(len(rows), True)
                    if len(rows) < page
                    else counts.estimate_rows(conn, q)
                )
            return total, make_rows(rows, q, columns)

        def done(result: tuple[counts.RowTotal, list[Row]]) -> None:
            total, rows = result
            if before_apply is not None:
                before_apply()
            self.loading = False
            self._estimate = total.rows
            self.total_note = total.note
            self.model.reset(total.rows, total.exact, rows, page)
            self.loaded.emit()
            if on_loaded is not None:
                on_loaded()

        self.loading = True
        self.runner.invalidate(self._count_key)
        self.runner.invalidate(self._key)  # window reads of the previous query
        self.runner.submit(work, done, self._error, owner=self, key=self._load_key)

    def refresh(
        self,
        on_done: Callable[[], None] | None = None,
        before_apply: Callable[[], None] | None = None,
    ) -> None:
        """Re-read the rows of the current window in place (new rows, changed statuses)."""
        q, model = self.query, self.model
        if q is None or self.engine is None:
            return
        if not model.rows or model.at_top:
            self.load(q.filter_dict(), q.sort, on_loaded=on_done, before_apply=before_apply)
            return
        engine, columns = self.engine, self.columns
        limit = max(len(model.rows), model.page_size)
        plan = Plan("from", model.generation, limit, row=model.start, anchor=model.rows[0].anchor)

        def work() -> list[Row]:
            with engine.connect() as conn:
                return make_rows(
                    keyset.fetch_window(conn, q, "from", limit, anchor=plan.anchor), q, columns
                )

        def done(rows: list[Row]) -> None:
            if before_apply is not None:
                before_apply()
            model.apply(plan, rows)
            if on_done is not None:
                on_done()

        self.runner.submit(work, done, self._error, owner=self, key=self._load_key)

    def exact_count(self) -> None:
        q, engine = self.query, self.engine
        if q is None or engine is None:
            return

        def work() -> counts.RowTotal:
            with engine.connect() as conn:
                return counts.exact_count(conn, q)

        def done(total: counts.RowTotal) -> None:
            self.total_note = None
            self.model.set_total(total.rows, True)
            self._estimate = total.rows
            self.total_changed.emit()

        self.runner.submit(work, done, self._error, owner=self, key=self._count_key)

    def reformat(self) -> None:
        """Display strings again (UTC toggle, relative times aged)."""
        q = self.query
        if q is None:
            return
        self.model.set_texts([format_row(r.raw, self.columns) for r in self.model.rows])

    # ------------------------------------------------------------ plans

    def _run_plan(self, plan: Plan) -> None:
        q, engine, columns = self.query, self.engine, self.columns
        if q is None or engine is None:
            return
        positions = self._positions
        use_offset = q.key.kind != "time" and self._estimate < OFFSET_OK_BELOW

        def work() -> tuple[Plan, list[Row]]:
            with engine.connect() as conn:
                run = plan
                if plan.mode == "seek" and use_offset:
                    run = Plan("offset", plan.generation, plan.limit, row=plan.row)
                    rows = keyset.fetch_offset(conn, q, plan.row, plan.limit)
                elif plan.mode == "seek":
                    pm = positions.get((q.filters, q.sort))
                    if pm is None:
                        pm = positions[(q.filters, q.sort)] = position.position_map(conn, q)
                    value = pm.value_at(plan.fraction)
                    rows = keyset.fetch_window(conn, q, "seek", plan.limit, value=value)
                else:
                    rows = keyset.fetch_window(conn, q, plan.mode, plan.limit, anchor=plan.anchor)  # type: ignore[arg-type]
            return run, make_rows(rows, q, columns)

        def done(result: tuple[Plan, list[Row]]) -> None:
            run, rows = result
            if run is not plan:  # an offset read stands in for the seek it answered
                self.model.failed(plan)
            self.model.apply(run, rows)

        def error(exc: BaseException) -> None:
            self.model.failed(plan)
            self._error(exc)

        self.runner.submit(work, done, error, owner=self, key=self._key)

    def _error(self, exc: BaseException) -> None:
        self.loading = False
        log.warning("table query failed (%s): %s", self.spec.key, exc)
        self.failed.emit(user_message(exc))
