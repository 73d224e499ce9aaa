"""A table page's filters: applying them (a new read), the chips, remembering them per
profile, and the workflow names and trigger types the filter bar offers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, QTimer

from console.queries.choices import workflow_choices
from console.queries.filters import FilterError, TableFilters, normalized, usable_filters
from console.ui import settings
from console.ui.tables.filterbar import chip_labels

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage

log = logging.getLogger(__name__)

CHOICES_AFTER_MS = 800  # the filter choices are read once the first rows are painted


class FilterControl(QObject):
    """Turns the filter bar's and chips' changes into reads of the page's table."""

    def __init__(self, page: TablePage) -> None:
        super().__init__(page)
        self._page = page
        self._choices_pending = False
        page.filter_bar.changed.connect(self.apply)
        page.chips.removed.connect(self.remove)

    def current(self) -> TableFilters:
        """The filters in force, a copy (the page's API: callers add or drop keys)."""
        q = self._page.controller.query
        return cast(
            TableFilters,
            dict(q.filter_dict() if q is not None else self._page.filter_bar.filters()),
        )

    def chips(self) -> list[tuple[str, str]]:
        names = dict(self._page.filter_bar._workflows)
        return chip_labels(self.current(), names)

    def apply(self, given: Mapping[str, Any], remember: bool = True) -> None:
        """Read the table under ``given`` (a bad one is shown in the bar, nothing read)."""
        page = self._page
        filters = normalized(given)
        try:
            page.controller.load(filters, page.current_sort())
        except FilterError as exc:
            page.filter_bar.show_error(str(exc))
            return
        page.filter_bar.show_error(None)
        page.read_started()
        page.chips.set_chips(self.chips())
        page.title_changed.emit(page.title_suffix())
        if remember:
            self._remember(filters)

    def show(self, filters: Mapping[str, Any]) -> None:
        """``filters`` in the bar, and read under them."""
        self._page.filter_bar.set_filters(filters)
        self.apply(filters)

    def remove(self, key: str) -> None:
        filters: dict[str, Any] = dict(self.current())
        for k in ("time_range", "time_from", "time_to") if key.startswith("time") else (key,):
            filters.pop(k, None)
        self.show(filters)

    def restore(self) -> None:
        """A new database: its profile's remembered filters (those still usable)."""
        filters = self._saved()
        self._page.filter_bar.set_filters(filters)
        self._choices_pending = True  # after the first rows: they come first
        self.apply(filters, remember=False)

    def rows_landed(self) -> None:
        if self._choices_pending:  # once the first rows are painted, not competing with them
            self._choices_pending = False
            QTimer.singleShot(CHOICES_AFTER_MS, self._load_choices)

    def _remember(self, filters: Mapping[str, Any]) -> None:
        page = self._page
        profile = page.profile_name()
        if profile is None:
            return
        try:
            settings.save_filters(profile, page.key, filters)
        except settings.SecretRefused:
            log.info("filters of %s not remembered: they look like a secret", page.key)

    def _saved(self) -> TableFilters:
        page = self._page
        profile = page.profile_name()
        if profile is None:
            return TableFilters()
        saved, dropped = usable_filters(
            settings.load_filters(profile, page.key), lambda f: page.spec.where(f, page.spec.alias)
        )
        if dropped:
            page.ctx.show_status(f"Saved filter of {page.key} not applied: {dropped[0][1]}")
        return saved

    def _load_choices(self) -> None:
        """Workflow names, and the trigger types present in the data, for the filters."""
        page = self._page
        wants_names = any(f.kind == "workflow" for f in page.fields)
        wants_triggers = any(f.key == "trigger_type" for f in page.fields)
        if not (wants_names or wants_triggers) or page.db is None:
            return
        engine = page.db.reader

        def work() -> tuple[list[tuple[str, str]], list[str]]:
            from console.queries.choices import trigger_types

            names: list[tuple[str, str]] = []
            with engine.connect() as conn:
                if wants_names:
                    names = workflow_choices(conn)
                triggers = trigger_types(conn) if wants_triggers else []
            return names, triggers

        def done(result: tuple[list[tuple[str, str]], list[str]]) -> None:
            choices, triggers = result
            page.filter_bar.add_choices("trigger_type", triggers)
            if wants_names:
                page.filter_bar.set_workflow_choices(choices)
            page.chips.set_chips(self.chips())
            page.title_changed.emit(page.title_suffix())

        def failed(exc: BaseException) -> None:
            # Only what the filter bar offers: the page's own reads tell the operator why
            # the server does not answer; the choices are read again after the next rows.
            log.info("filter choices of %s not read: %s", page.key, exc)
            self._choices_pending = True

        page.ctx.runner.submit(
            work, done, failed, owner=self, key=f"{page.key}:workflow-names:{id(self)}"
        )
