"""The Event queue page: events over a windowed keyset model, with a detail pane."""

from __future__ import annotations

from console.queries import details as q_details
from console.queries import specs
from console.ui.pages import PageSpec
from console.ui.tables import columns
from console.ui.tables.base import TablePage
from console.ui.tables.details import EventDetail
from console.ui.tables.fields import EVENT_FIELDS


class EventsPage(TablePage):
    key = "events"
    noun = "events"
    spec = specs.EVENTS
    columns = columns.EVENTS
    fields = EVENT_FIELDS
    empty_hint = "Events arrive from the integrations."
    detail_fetch = q_details.event_detail  # read through type(page): never bound

    def make_detail(self) -> EventDetail:
        return EventDetail(self.ctx, self)


PAGE = PageSpec(key="events", title="Event queue", factory=EventsPage, order=60, icon="events")
