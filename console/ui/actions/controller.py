"""Running operator actions from the window: unlock, confirm, run off the GUI thread, report.

Every dialog is opened non-blocking (``open()``) and kept in ``self.dialog`` so
the flow continues from its ``accepted`` signal; the action itself runs on the
:class:`~console.ui.tasks.TaskRunner`.  The rules (lock, confirmation, checks
against what the operator saw) live in the action layer; the window only asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from console.actions import errors
from console.actions.context import ActionContext
from console.actions.errors import ActionError, ActionResult, BulkItem, BulkSummary
from console.actions.guard import WriteGuard
from console.ui.actions.dialogs import BulkSummaryDialog, ConfirmDialog
from console.ui.actions.json_editor import operator_message
from console.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from console.db.connection import Database

SingleFn = Callable[[ActionContext, bool], ActionResult]  # (ctx, confirmed)
BulkFn = Callable[[ActionContext, list[BulkItem], bool], BulkSummary]
Loader = Callable[[], list[BulkItem]]


class ActionController(QObject):
    """One per page (or dialog) that offers actions on the connected database."""

    done = Signal(object)  # ActionResult | BulkSummary after a change was made
    refused = Signal(object)  # ActionError

    def __init__(
        self,
        parent: QWidget,
        runner: TaskRunner,
        db: Database,
        guard: WriteGuard | None = None,
        *,
        request_unlock: Callable[[], QDialog | None] | None = None,
        show_status: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.runner = runner
        self.db = db
        self.guard = guard or WriteGuard.for_profile(db.profile)
        self._request_unlock = request_unlock
        self._status = show_status or (lambda message: None)
        self.dialog: QDialog | QMessageBox | None = None

    @property
    def ctx(self) -> ActionContext:
        return ActionContext.for_database(self.db, self.guard)

    # ------------------------------------------------------------ single row

    def single(
        self,
        verb: str,
        label: str,
        fn: SingleFn,
        *,
        destructive: bool = False,
        override: SingleFn | None = None,
    ) -> None:
        """Act on one row; ``override`` is offered when max_retries refuses."""

        def run(confirmed: bool) -> None:
            self.runner.submit(
                lambda: fn(self.ctx, confirmed),
                self._finished,
                lambda exc: self._single_refused(exc, verb, label, override),
            )

        def confirm() -> None:
            if destructive and self.guard.confirms_destructive:
                self._confirm(verb, 1, label, lambda: run(True))
            else:
                run(destructive and self.guard.confirms_destructive)

        self.when_writable(confirm)

    def _single_refused(
        self, exc: BaseException, verb: str, label: str, override: SingleFn | None
    ) -> None:
        if isinstance(exc, ActionError) and exc.kind == errors.MAX_RETRIES and override:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "max_retries reached",
                f"{exc}\n\nRetry anyway?",
                QMessageBox.StandardButton.Cancel,
                self.parent_widget,
            )
            anyway = box.addButton("Retry anyway", QMessageBox.ButtonRole.AcceptRole)
            anyway.clicked.connect(
                lambda: self.runner.submit(
                    lambda: override(self.ctx, True), self._finished, self._refused
                )
            )
            self._show(box)
            return
        self._refused(exc)

    # ------------------------------------------------------------ many rows

    def bulk(
        self,
        verb: str,
        noun: str,
        load: Loader | Sequence[BulkItem],
        fn: BulkFn,
        *,
        override: BulkFn | None = None,
    ) -> None:
        """Count the rows (exactly), confirm that count, act on each, show the summary."""

        def counted(items: list[BulkItem]) -> None:
            if not items:
                self._status(f"no {noun}s to {verb}")
                return
            self._confirm(verb, len(items), noun, lambda: run(items))

        def run(items: list[BulkItem]) -> None:
            self._status(f"{verb}: {len(items):,} {noun}s…")
            self.runner.submit(
                lambda: fn(self.ctx, items, True),
                lambda summary: self._summarize(summary, items, noun, override),
                self._refused,
            )

        def start() -> None:
            if callable(load):
                self.runner.submit(load, counted, self._refused)
            else:
                counted(list(load))

        self.when_writable(start)

    def _summarize(
        self,
        summary: BulkSummary,
        items: list[BulkItem],
        noun: str,
        override: BulkFn | None,
    ) -> None:
        self._status(summary.headline())
        if summary.done:
            self.done.emit(summary)
        extra = None
        at_limit = {t for t, err in summary.refused if err.kind == errors.MAX_RETRIES}
        if override is not None and at_limit:
            again = [i for i in items if i.target in at_limit]

            def retry_anyway() -> None:
                self._confirm(
                    "retry (override max_retries)",
                    len(again),
                    noun,
                    lambda: self.runner.submit(
                        lambda: override(self.ctx, again, True),
                        lambda s: self._summarize(s, again, noun, None),
                        self._refused,
                    ),
                )

            extra = (f"Retry {len(again):,} anyway…", retry_anyway)
        self._show(BulkSummaryDialog(summary, self.parent_widget, extra=extra))

    # ------------------------------------------------------------ shared steps

    def when_writable(self, proceed: Callable[[], None]) -> None:
        if self.db.read_only_reason:
            self._refused(ActionError(errors.LOCKED, f"read-only: {self.db.read_only_reason}"))
            return
        if self.guard.may_write():
            proceed()
            return
        dialog = self._request_unlock() if self._request_unlock else None
        if dialog is None:
            from console.ui.banner import UnlockDialog

            dialog = UnlockDialog(self.guard, self.parent_widget)
            self._show(dialog)
        else:
            self.dialog = dialog
        dialog.accepted.connect(lambda: self.guard.may_write() and proceed())

    def _confirm(self, verb: str, count: int, noun: str, proceed: Callable[[], None]) -> None:
        dialog = ConfirmDialog(
            verb, count, noun, self.guard.profile_name, self.guard.environment, self.parent_widget
        )
        dialog.accepted.connect(proceed)
        self._show(dialog)

    def _finished(self, result: Any) -> None:
        message = result.message if isinstance(result, ActionResult) else str(result)
        if isinstance(result, ActionResult) and result.note:
            message += f" ({result.note})"
        self._status(message)
        self.done.emit(result)

    def _refused(self, exc: BaseException) -> None:
        err = (
            exc
            if isinstance(exc, ActionError)
            else ActionError(errors.DATABASE, operator_message(exc))
        )
        self._status(f"refused: {err}")
        self.refused.emit(err)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Not done",
            str(err),
            QMessageBox.StandardButton.Ok,
            self.parent_widget,
        )
        self._show(box)

    def _show(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.open()
