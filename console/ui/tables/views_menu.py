"""A table page's saved views: named sets of filters per page and profile, behind a button
in the filter bar."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QMenu, QToolButton

from console.queries.filters import usable_filters
from console.ui import settings
from console.ui.tables import views

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage


class SavedViews(QObject):
    """The Views button and its menu; saving, applying and deleting views."""

    def __init__(self, page: TablePage) -> None:
        super().__init__(page)
        self._page = page
        self.button = QToolButton(page)
        self.button.setText("&Views")
        self.button.setObjectName("savedViews")
        self.button.setToolTip("Saved views: named sets of filters for this page")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.menu.aboutToShow.connect(self.fill_menu)
        self.button.setMenu(self.menu)

    def names(self) -> list[str]:
        page, profile = self._page, self._page.profile_name()
        return sorted(views.load(page.key, profile)) if profile else []

    def save(self, name: str) -> bool:
        """Save the current filters as ``name``; False (and a message) when refused."""
        page, profile = self._page, self._page.profile_name()
        if profile is None:
            return False
        try:
            views.save(page.key, profile, name, page.current_filters())
        except (ValueError, settings.SecretRefused) as exc:
            page.ctx.show_status(f"View not saved: {exc}")
            return False
        page.ctx.show_status(f"Saved the view {name.strip()!r}")
        return True

    def apply(self, name: str) -> None:
        page, profile = self._page, self._page.profile_name()
        saved = views.load(page.key, profile).get(name) if profile else None
        if saved is None:
            page.ctx.show_status(f"There is no view {name!r} on this page")
            return
        usable, dropped = usable_filters(saved, lambda f: page.spec.where(f, page.spec.alias))
        if dropped:
            page.ctx.show_status(f"View {name!r}: {dropped[0][1]} (left out)")
        page.apply_filters(dict(usable))

    def delete(self, name: str) -> None:
        profile = self._page.profile_name()
        if profile:
            views.delete(self._page.key, profile, name)

    def fill_menu(self) -> None:
        """The menu's entries, as the views are when it opens."""
        menu = self.menu
        menu.clear()
        names = self.names()
        for name in names:
            menu.addAction(name, partial(self.apply, name))
        if names:
            menu.addSeparator()
        save = menu.addAction("&Save the current filters as a view…", self._ask_name)
        save.setEnabled(self._page.db is not None and bool(self._page.current_filters()))
        if names:
            remove = menu.addMenu("&Delete a view")
            for name in names:
                remove.addAction(name, partial(self.delete, name))

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self._page, "Save view", "Name of this set of filters:")
        if ok and name.strip():
            self.save(name)
