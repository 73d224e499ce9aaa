"""The table window model and the tail model on their own: Qt's model tester and
hypothesis state machines paging against an in-memory list (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from PySide6.QtCore import QModelIndex

from console.tail.lines import TailLine
from console.ui.tables.columns import Column
from console.ui.tables.model import Plan, Row, WindowModel
from console.ui.tail.model import R_ID, R_LEVEL, TailTableModel, make_row

COLUMNS = (Column("id", "Id", "id"), Column("name", "Name"))


class ListSource:
    """What ``console.queries.keyset.fetch_window`` answers, over a sorted list of keys."""

    def __init__(self, n: int) -> None:
        self.keys = list(range(n))

    def row(self, i: int) -> Row:
        key = self.keys[i]
        return Row(str(key), (key, key), {"id": key, "name": f"n{key}"}, (str(key), f"n{key}"))

    def answer(self, plan: Plan) -> list[Row]:
        n = len(self.keys)
        if plan.mode == "top":
            idx = range(min(plan.limit, n))
        elif plan.mode == "bottom":
            idx = range(max(0, n - plan.limit), n)
        elif plan.mode == "after":
            first = plan.anchor[0] + 1
            idx = range(first, min(n, first + plan.limit))
        elif plan.mode == "before":
            last = plan.anchor[0]
            idx = range(max(0, last - plan.limit), last)
        else:  # seek / offset / from: the rows from plan.row on
            idx = range(min(plan.row, n), min(n, plan.row + plan.limit))
        return [self.row(i) for i in idx]


class WindowPaging(RuleBasedStateMachine):
    """Scroll anywhere, answer or fail the reads: the window always holds the right rows."""

    def __init__(self) -> None:
        super().__init__()
        self.model: WindowModel | None = None
        self.plans: list[Plan] = []

    @rule(n=st.integers(0, 3000), page=st.sampled_from([10, 50, 200]))
    def new_query(self, n: int, page: int) -> None:
        self.source = ListSource(n)
        self.model = WindowModel(COLUMNS, page_size=page, max_rows=4 * page)
        self.model.wants.connect(self._wanted)
        self.plans.clear()
        first = self.source.answer(Plan("top", 0, page))
        self.model.reset(n, True, first, page)

    def _wanted(self, plan: Plan) -> None:
        # The page runs reads under one task key: a newer read supersedes the one in flight.
        self.plans[:] = [plan]

    @precondition(lambda self: self.model is not None)
    @rule(where=st.floats(0, 1), span=st.integers(1, 60))
    def scroll(self, where: float, span: int) -> None:
        m = self.model
        first = int(where * max(0, m.total - 1))
        m.want_rows(first, min(m.total - 1, first + span))

    @precondition(lambda self: self.model is not None and self.plans)
    @rule()
    def answer(self) -> None:
        plan = self.plans.pop()
        self.model.apply(plan, self.source.answer(plan))

    @precondition(lambda self: self.model is not None and self.plans)
    @rule()
    def fail(self) -> None:
        self.model.failed(self.plans.pop(0))

    @invariant()
    def window_is_a_slice_of_the_list(self) -> None:
        m = self.model
        if m is None:
            return
        assert len(m.rows) <= m.max_rows
        assert m.rowCount() == m.total <= max(len(self.source.keys), 1) or m.total == 0
        keys = [r.raw["id"] for r in m.rows]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        if keys:
            assert keys == list(range(keys[0], keys[0] + len(keys)))  # consecutive
            if m.at_top:
                assert keys[0] == 0 and m.start == 0
            if m.at_bottom and m.at_top:
                assert len(keys) == len(self.source.keys)
            # Where the window sits is exact once it touches the top.
            if m.start == 0 and m.at_top:
                for i in (0, len(keys) - 1):
                    assert m.data(m.index(i, 0)) == str(keys[i])


TestWindowPaging = WindowPaging.TestCase
TestWindowPaging.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _line(i: int, level: str = "INFO") -> TailLine:
    return TailLine(
        id=uuid.UUID(int=i + 1),
        execution_id=uuid.UUID(int=1),
        execution_code="exec-1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        level=level,
        message=f"line {i}",
        step_name=None,
        action_id=None,
        log_metadata=None,
    )


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class TailPaging(RuleBasedStateMachine):
    """Lines arrive at the bottom, older ones are paged in at the top, the oldest are trimmed:
    the model always shows the newest ``capacity`` lines it was given, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.capacity = 40
        self.model = TailTableModel(capacity=self.capacity)
        self.held: list[int] = []  # line numbers the model should hold, oldest first
        self.next = 1000
        self.min_level: str | None = None

    @rule(count=st.integers(1, 30), level=st.sampled_from(LEVELS))
    def arrive(self, count: int, level: str) -> None:
        lines = list(range(self.next, self.next + count))
        self.next += count
        self.model.append_rows([make_row(_line(i, level)) for i in lines])
        self.held += lines
        if len(self.held) > self.capacity + self.model.slack():
            self.held = self.held[-self.capacity :]

    @precondition(lambda self: self.held and self.held[0] > 0)
    @rule(count=st.integers(1, 10))
    def page_older(self, count: int) -> None:
        first = self.held[0]
        lines = list(range(max(0, first - count), first))
        self.model.prepend_rows([make_row(_line(i)) for i in lines])
        self.held[:0] = lines

    @rule()
    def trim(self) -> None:
        self.model.trim()
        self.held = self.held[-self.capacity :]

    @rule(level=st.sampled_from((None, *LEVELS)))
    def filter(self, level: str | None) -> None:
        self.model.set_filter(level, "")
        self.min_level = level

    @invariant()
    def holds_the_right_lines(self) -> None:
        held = [int(uuid.UUID(r[R_ID])) - 1 for r in self.model.rows()]
        assert held == self.held
        shown = [self.model.row_at(i) for i in range(self.model.rowCount())]
        assert all(r in self.model.rows() for r in shown)
        if self.min_level is None:
            assert len(shown) == len(held)
        else:
            floor = LEVELS.index(self.min_level)
            assert all(LEVELS.index(r[R_LEVEL]) >= floor for r in shown)


TestTailPaging = TailPaging.TestCase
TestTailPaging.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("n", [0, 5, 1000])
def test_window_model_passes_qt_model_tester(qtmodeltester, n: int) -> None:
    source = ListSource(n)
    model = WindowModel(COLUMNS, page_size=50, max_rows=200)
    plans: list[Plan] = []
    model.wants.connect(plans.append)
    model.reset(n, True, source.answer(Plan("top", 0, 50)), 50)
    qtmodeltester.check(model, force_py=True)
    model.want_rows(max(0, n - 10), max(0, n - 1))
    while plans:
        plan = plans.pop(0)
        model.apply(plan, source.answer(plan))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount(QModelIndex()) == n


def test_tail_model_passes_qt_model_tester(qtmodeltester) -> None:
    model = TailTableModel(capacity=50)
    model.append_rows([make_row(_line(i, LEVELS[i % 4])) for i in range(10, 90)])
    model.prepend_rows([make_row(_line(i)) for i in range(3)])
    model.set_filter("WARNING", "")
    qtmodeltester.check(model, force_py=True)
    model.set_filter(None, "line 7")
    qtmodeltester.check(model, force_py=True)
