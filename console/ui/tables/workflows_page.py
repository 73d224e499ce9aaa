"""The Workflows page: workflows over a windowed keyset model, with a detail pane."""

from __future__ import annotations

from console.queries import details as q_details
from console.queries import specs
from console.ui.pages import PageSpec
from console.ui.tables import columns
from console.ui.tables.base import TablePage
from console.ui.tables.details import WorkflowDetail
from console.ui.tables.fields import WORKFLOW_FIELDS


class WorkflowsPage(TablePage):
    key = "workflows"
    noun = "workflows"
    spec = specs.WORKFLOWS
    columns = columns.WORKFLOWS
    fields = WORKFLOW_FIELDS
    empty_hint = "Workflows appear here once the engine (or demo) creates them."
    detail_fetch = q_details.workflow_detail  # read through type(page): never bound

    def make_detail(self) -> WorkflowDetail:
        return WorkflowDetail(self.ctx, self)


PAGE = PageSpec(
    key="workflows", title="Workflows", factory=WorkflowsPage, order=20, icon="workflows"
)
