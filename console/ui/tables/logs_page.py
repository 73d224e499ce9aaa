"""The Logs page: log lines over a windowed keyset model, with a detail pane."""

from __future__ import annotations

from console.queries import details as q_details
from console.queries import specs
from console.ui.pages import PageSpec
from console.ui.tables import columns
from console.ui.tables.base import TablePage
from console.ui.tables.details import LogDetail
from console.ui.tables.fields import LOG_FIELDS


class LogsPage(TablePage):
    key = "logs"
    noun = "log lines"
    spec = specs.LOGS
    columns = columns.LOGS
    fields = LOG_FIELDS
    empty_hint = "Log lines appear here while executions run."
    detail_fetch = q_details.log_detail  # read through type(page): never bound

    def make_detail(self) -> LogDetail:
        return LogDetail(self.ctx, self)


PAGE = PageSpec(key="logs", title="Logs", factory=LogsPage, order=40, icon="logs")
