"""The Integrations page: integrations over a windowed keyset model, with a detail pane."""

from __future__ import annotations

from console.queries import details as q_details
from console.queries import specs
from console.ui.pages import PageSpec
from console.ui.tables import columns
from console.ui.tables.base import TablePage
from console.ui.tables.details import IntegrationDetail
from console.ui.tables.fields import INTEGRATION_FIELDS


class IntegrationsPage(TablePage):
    key = "integrations"
    noun = "integrations"
    spec = specs.INTEGRATIONS
    columns = columns.INTEGRATIONS
    fields = INTEGRATION_FIELDS
    empty_hint = "Integrations are configured by the engine."
    detail_fetch = q_details.integration_detail  # read through type(page): never bound

    def make_detail(self) -> IntegrationDetail:
        return IntegrationDetail(self.ctx, self)


PAGE = PageSpec(
    key="integrations",
    title="Integrations",
    factory=IntegrationsPage,
    order=50,
    icon="integrations",
)
