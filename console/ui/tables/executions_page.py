"""The Executions page: executions over a windowed keyset model, with a detail pane."""

from __future__ import annotations

from console.queries import details as q_details
from console.queries import specs
from console.ui.pages import PageSpec
from console.ui.tables import columns
from console.ui.tables.base import TablePage
from console.ui.tables.details import ExecutionDetail
from console.ui.tables.fields import EXECUTION_FIELDS


class ExecutionsPage(TablePage):
    key = "executions"
    noun = "executions"
    spec = specs.EXECUTIONS
    columns = columns.EXECUTIONS
    fields = EXECUTION_FIELDS
    empty_hint = "Executions appear here when workflows run."
    detail_fetch = q_details.execution_detail  # read through type(page): never bound

    def make_detail(self) -> ExecutionDetail:
        return ExecutionDetail(self.ctx, self)


PAGE = PageSpec(
    key="executions", title="Executions", factory=ExecutionsPage, order=30, icon="executions"
)
