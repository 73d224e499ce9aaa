"""The pages of the main window and the small contract they share.

A page is a ``QWidget`` that implements :class:`Page`.  The main window builds
every page listed by :func:`page_specs`, puts it in the navigation in ``order``,
hands it the connected :class:`~console.db.connection.Database` (or None while
disconnected), and calls ``refresh()`` on F5 and on the auto-refresh tick.
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

    Each page module exposes ``PAGE: PageSpec``; add a line here to add a page.
    """
    import importlib

    modules: list[str] = [
        # filled in as pages land, e.g. "console.ui.views.executions_page"
        "console.ui.overview.page",
        "console.ui.tables.workflows_page",
        "console.ui.tables.executions_page",
        "console.ui.tables.logs_page",
        "console.ui.tables.integrations_page",
        "console.ui.tables.events_page",
        "console.ui.tail.page",
        "console.ui.actions.audit_page",
    ]
    specs = [importlib.import_module(name).PAGE for name in modules]
    return sorted(specs, key=lambda spec: spec.order)
