"""Copy link (context menu, detail pane, Ctrl+Shift+C) and opening a link in the window.

Opening switches the profile the way the operator's own switch does
(``MainWindow.switch_profile``: same connector, banner and write guard, so a
prod link opens locked), then finds the row off the GUI thread, opens its page
filtered to it and selects it with its detail pane.  Whatever goes wrong (not
a link, no such profile, connection failed, no such row) is said in the status
bar and remembered in :attr:`LinkOpener.last`; the page shown stays as it was.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication

from console.links import (
    Link,
    LinkError,
    LinkKind,
    format_link,
    identity_of,
    logs_params,
    match_profile,
    parse_link,
)

if TYPE_CHECKING:
    from console.ui.main_window import MainWindow
    from console.ui.session import SessionState
    from console.ui.tables.base import TablePage

log = logging.getLogger(__name__)
SELECT_GIVE_UP_MS = 15_000
HOLD_MS = 3_000
PAGE_KINDS: dict[str, LinkKind] = {
    "executions": "execution",
    "workflows": "workflow",
    "integrations": "integration",
    "events": "event",
    "logs": "logs",
}


def row_link(page: TablePage, row_id: str | None = None) -> str | None:
    """The link of row ``row_id`` (default: the current row) of a table page, or None."""
    db = getattr(page, "db", None)
    kind = PAGE_KINDS.get(getattr(page, "key", ""))
    if db is None or kind is None:
        return None
    raw: dict[str, Any] | None = None
    wanted = row_id or page.current_id()
    if wanted is not None:
        row = next((r for r in page.model.rows if r.id == wanted), None)
        raw = row.raw if row is not None else None
    ident = identity_of(db.profile)
    if kind == "logs":
        filters: Mapping[str, Any] = page.current_filters()
        execution = None
        if raw is not None:
            execution = raw.get("execution_label") or raw.get("execution_id")
        elif filters.get("execution_id"):
            execution = str(filters["execution_id"])
        params = logs_params(filters, str(execution) if execution else None)
        params = tuple(p for p in params if p[0] not in ("line", "from", "to", "range"))
        if raw is not None:
            params += (("line", str(raw["id"])),)
        else:
            params += tuple(
                (key, str(filters[name]))
                for key, name in (("range", "time_range"), ("from", "time_from"), ("to", "time_to"))
                if filters.get(name)
            )
        link = Link(ident.name, "logs", "", params, ident.host, ident.dbname)
        return format_link(link)
    if raw is None:
        return None
    target = {
        "execution": raw.get("execution_id"),
        "workflow": raw.get("name"),
        "integration": raw.get("name"),
        "event": raw.get("id"),
    }[kind]
    if not target:
        return None
    return format_link(Link(ident.name, kind, str(target), (), ident.host, ident.dbname))


def copy_link(page: TablePage, row_id: str | None = None) -> str | None:
    """Put the link of the current (or ``row_id``) row on the clipboard; the link or None."""
    text = row_link(page, row_id)
    if text is None:
        page.ctx.show_status("No row to link to: select one first.")
        return None
    QGuiApplication.clipboard().setText(text)
    page.ctx.show_status(f"Copied {text}")
    return text


def add_copy_link(page: TablePage, menu) -> None:
    """Context menu provider: "Copy link" on the table pages that have links."""
    if getattr(page, "key", "") not in PAGE_KINDS:
        return
    from PySide6.QtGui import QKeySequence

    act = menu.addAction("Copy link")
    act.setObjectName("copyLinkAction")
    act.setData("copy-link")  # the Actions menu's command (console.ui.commands)
    act.setShortcut(QKeySequence("Ctrl+Shift+C"))
    act.setEnabled(page.current_id() is not None or page.key == "logs")
    act.triggered.connect(lambda _=False: copy_link(page))


class LinkOpener(QObject):
    """Opens links in one main window (from ``open``, the palette or a notification)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pending: tuple[Link, str] | None = None
        self.last: dict[str, Any] = {}
        self._select: tuple[TablePage, str] | None = None
        self._give_up = QTimer(self)
        self._give_up.setSingleShot(True)
        self._give_up.timeout.connect(self._stop_selecting)
        window.database_changed.connect(self._on_database)
        window.connection_state_changed.connect(self._on_state)

    # ------------------------------------------------------------ entry

    def open(self, text: str) -> bool:
        """Open ``text``; False (and a message) when it cannot be opened at all."""
        try:
            link = parse_link(text)
            profiles = self._profiles()
            name = match_profile(link, [identity_of(p) for p in profiles.values()])
        except LinkError as exc:
            self._say("error", f"Cannot open the link: {exc}")
            return False
        self.pending = (link, name)
        w = self.window
        if w.db is not None and w.db.profile.name == name and w.state == "connected":
            self._resolve()
        elif w.switcher.profile(name) is not None:
            w.switch_profile(name)
        else:
            w.connect_profile(profiles[name])
        self._say("opening", f"Opening {link.describe()}…")
        return True

    def expect(self, link: Link, profile_name: str) -> None:
        """Open ``link`` once ``profile_name`` (being connected by the caller) is connected."""
        self.pending = (link, profile_name)
        self._say("opening", f"Opening {link.describe()}…")

    def _profiles(self) -> dict:
        known = self.window.switcher.profiles()
        if known:
            return known
        from console.profiles import ProfileError, ProfileStore

        try:
            return ProfileStore().load()
        except ProfileError as exc:
            raise LinkError(str(exc)) from None

    # ------------------------------------------------------------ connection

    def _on_database(self, db) -> None:
        if db is not None and self.pending is not None and db.profile.name == self.pending[1]:
            self._resolve()

    def _on_state(self, state: SessionState) -> None:
        if state == "failed" and self.pending is not None:
            link, name = self.pending
            self.pending = None
            self._say("error", f"Cannot open {link.describe()}: connecting to {name} failed.")

    def _resolve(self) -> None:
        if self.pending is None or self.window.db is None:
            return
        link, name = self.pending
        self.pending = None
        db = self.window.db

        def work():
            from console.queries.links import resolve_link

            with db.reader.connect() as conn:
                return resolve_link(conn, link)

        def done(target) -> None:
            if db is not self.window.db:
                return
            if target is None:
                self._say(
                    "missing",
                    f"No {link.kind} {link.target or link.query.get('execution', '')} on {name}"
                    " (deleted, or the link is for another database).",
                )
                return
            self._show(target)

        def failed(exc: BaseException) -> None:
            from console.db.errors import reason

            self._say("error", f"Cannot open {link.describe()}: {reason(exc)}")

        self.window.runner.submit(work, done, failed, owner=self, key="link:resolve")

    # ------------------------------------------------------------ page and row

    def _show(self, target, waited_ms: int = 0) -> None:
        w = self.window
        if target.page not in w.page_keys() and waited_ms < SELECT_GIVE_UP_MS:
            # The page list is still loading (start-up): show it once it is there.
            QTimer.singleShot(100, lambda: self._show(target, waited_ms + 100))
            return
        w.open_page(target.page, target.filters)
        page = w.pages.get(target.page)
        self._say("opened", f"Opened {target.label or target.page}", page=target.page)
        if page is None or target.row_id is None or not hasattr(page, "rows_changed"):
            return
        page = cast("TablePage", page)  # only the table pages have rows
        self._stop_selecting()
        self._select = (page, target.row_id)
        page.rows_changed.connect(self._try_select)
        self._give_up.start(SELECT_GIVE_UP_MS)
        self._try_select()

    def _try_select(self) -> None:
        if self._select is None:
            return
        page, row_id = self._select
        if page.controller.loading:  # rows of the previous filters: the new ones replace them
            return
        if "selected" in self.last and page.selected_ids():
            return  # selected already (or the operator chose another row)
        row = page.model.view_row_of(row_id)
        if row is None:
            return
        index = page.model.index(row, 0)
        page.view.selectRow(row)
        page.view.setCurrentIndex(index)
        if page.detail.isHidden() or page.detail_id() != row_id:
            page.open_details(index)
        if "selected" not in self.last:
            self.last["selected"] = row_id
            # A page re-reads once more after a connect (e.g. its workflow names arrive):
            # the row is selected again while nothing else was selected meanwhile.
            self._give_up.start(HOLD_MS)

    def _stop_selecting(self) -> None:
        self._give_up.stop()
        if self._select is not None:
            page, _ = self._select
            self._select = None
            with contextlib.suppress(RuntimeError, TypeError):
                page.rows_changed.disconnect(self._try_select)

    def _say(self, status: str, message: str, **extra: Any) -> None:
        self.last = {"status": status, "message": message, **extra}
        self.window.show_status(message)
        log.info("link: %s", message)


def window_state(window: MainWindow, opener: LinkOpener | None = None) -> dict[str, Any]:
    """What the window shows, for the single-instance ``state`` request."""
    page = window.current_page()
    guard = window.guard
    state: dict[str, Any] = {
        "ok": True,
        "state": window.state,
        "profile": window.db.profile.name if window.db is not None else None,
        "environment": window.db.profile.environment if window.db is not None else None,
        "page": window.current_key(),
        "locked": bool(guard is not None and guard.needs_unlock and not guard.may_write()),
        "banner": window.banner.env_label.text(),
    }
    if page is not None and hasattr(page, "selected_ids"):
        page = cast("TablePage", page)  # a table page (not imported here: it loads the data layer)
        state["selected"] = page.selected_ids()
        state["detail"] = page.detail_id()
        state["filters"] = {k: str(v) for k, v in page.current_filters().items()}
    if opener is not None:
        state["link"] = dict(opener.last)
    return state
