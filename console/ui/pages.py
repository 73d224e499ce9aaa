"""The pages of the main window and the small contract they share.

A page is a ``QWidget`` that implements :class:`Page`.  The main window puts every
page of ``PAGE_INDEX`` in the navigation in ``order`` (without importing its module),
builds a page when it is first shown, hands it the connected
:class:`~console.db.connection.Database` (or None while disconnected), and calls
``refresh()`` on F5 and on the auto-refresh tick.
Click-through between pages goes through ``PageContext.open_page``.

Optional hooks the window calls when a page has them: ``focus_filter()`` (Ctrl+F),
``clear_filters()`` (Esc) and ``screenshot_states() -> list[tuple[str, Callable[[], None]]]``
for ``autopr-console screenshot``: each callable puts the page in a named state (e.g.
a detail pane opened on the first row); the command calls it, waits until the
page's queries are answered, and saves ``<page>-<name>.png``.

Page keys: ``overview``, ``workflows``, ``executions``, ``logs``, ``integrations``,
``events``, ``tail``, ``audit``.

Filter dictionaries (``apply_filters`` and ``open_page``) use these keys; a page
ignores keys that do not apply to it:

=================  ===========================================================
``status``         list[str] of statuses (execution, workflow or event statuses)
``workflow_id``    str, a workflow UUID
``execution_id``   str, an execution UUID (``workflow_executions.id``)
``integration_id`` str, an integration UUID
``time_from``      str, ISO-8601 aware datetime (inclusive)
``time_to``        str, ISO-8601 aware datetime (exclusive)
``time_range``     str, one of ``15m``, ``1h``, ``24h``, ``7d``
``trigger_type``   list[str]
``min_level``      str, a log level
``integration_type`` list[str]
``health``         list[str] of health statuses
``text``           str, free text
``json``           str, JSON text for a ``@>`` containment filter
=================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from console.db.connection import Database
    from console.ui.tasks import TaskRunner


@runtime_checkable
class Page(Protocol):
    def set_database(self, db: Database | None) -> None:
        """Connected (or None: disconnected). Drop rows of the old database at once."""

    def refresh(self) -> None:
        """Re-query what is shown, keeping selection and scroll position."""

    def apply_filters(self, filters: dict[str, Any]) -> None:
        """Show the rows matching ``filters`` (click-through from another page)."""


@dataclass
class PageContext:
    """What the main window gives every page."""

    runner: TaskRunner
    open_page: Callable[[str, dict[str, Any]], None] = lambda key, filters: None
    show_status: Callable[[str], None] = lambda message: None
    # "write_guard": console.actions.guard.WriteGuard of the current connection (or absent)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageSpec:
    key: str  # stable id, used for click-through and persisted state
    title: str  # shown in the navigation
    factory: Callable[[PageContext], QWidget]
    order: int = 100
    icon: str | None = None  # name of an icon in resources/icons


def page_specs() -> list[PageSpec]:
    """Every page of the main window, in navigation order.

    Each page module exposes ``PAGE: PageSpec``; add a line to ``PAGE_INDEX`` to add a page.
    """
    import importlib

    specs = [importlib.import_module(entry.module).PAGE for entry in PAGE_INDEX]
    return sorted(specs, key=lambda spec: spec.order)


@dataclass(frozen=True)
class PageEntry:
    """What the navigation shows of a page before its module is imported."""

    module: str  # exposes PAGE: PageSpec
    key: str
    title: str
    order: int
    icon: str | None = None


# The page modules and their navigation entries (a test checks they match each PAGE).
PAGE_INDEX: tuple[PageEntry, ...] = (
    PageEntry("console.ui.overview.page", "overview", "Overview", 0, "overview"),
    PageEntry("console.ui.tables.workflows_page", "workflows", "Workflows", 20, "workflows"),
    PageEntry("console.ui.tables.executions_page", "executions", "Executions", 30, "executions"),
    PageEntry("console.ui.tables.logs_page", "logs", "Logs", 40, "logs"),
    PageEntry("console.ui.tail.page", "tail", "Live tail", 45, "tail"),
    PageEntry(
        "console.ui.tables.integrations_page", "integrations", "Integrations", 50, "integrations"
    ),
    PageEntry("console.ui.tables.events_page", "events", "Event queue", 60, "events"),
    PageEntry("console.ui.actions.audit_page", "audit", "Audit", 90, "audit"),
)


def lazy_page_specs() -> list[PageSpec]:
    """Every page, in navigation order, without importing the page modules.

    Each factory imports its module when the page is first built: the window
    shows and loads its first page without the code (and the memory) of the others.
    """
    return [
        PageSpec(e.key, e.title, _ImportingFactory(e.module), e.order, e.icon)
        for e in sorted(PAGE_INDEX, key=lambda e: e.order)
    ]


@dataclass(frozen=True)
class _ImportingFactory:
    module: str

    def __call__(self, ctx: PageContext) -> QWidget:
        import importlib

        return importlib.import_module(self.module).PAGE.factory(ctx)


def import_page_module(key: str) -> None:
    """Import the module of page ``key`` (a worker does it for the page shown first)."""
    import importlib

    for entry in PAGE_INDEX:
        if entry.key == key:
            importlib.import_module(entry.module)
