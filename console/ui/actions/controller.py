"""Running operator actions from the window: unlock, confirm, run off the GUI thread, report.

Every dialog is opened non-blocking (``open()``) and kept in ``self.dialog`` so
the flow continues from its ``accepted`` signal; the action itself runs on the
:class:`~console.ui.tasks.TaskRunner`.  The rules (lock, confirmation, checks
against what the operator saw) live in the action layer; the window only asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from console.actions import errors
from console.actions.context import ActionContext
from console.actions.errors import ActionError, ActionResult, BulkItem, BulkSummary
from console.actions.guard import WriteGuard
from console.actions.preview import Target
from console.ui.actions.dialogs import BulkSummaryDialog, ConfirmDialog
from console.ui.actions.json_editor import operator_message
from console.ui.plain import make_plain
from console.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from console.db.connection import Database

SingleFn = Callable[[ActionContext, bool], ActionResult]  # (ctx, confirmed)
BulkFn = Callable[[ActionContext, list[BulkItem], bool], BulkSummary]
Loader = Callable[[], list[BulkItem]]
Previewer = Callable[[Any, list[BulkItem]], list[Target]]  # (engine, items), off the GUI thread
OpenCreated = Callable[[list[str]], None]  # ids of the rows an action created

OVERRIDE_LABEL = "Also retry the {n} that reached their workflow's max retries (override)"


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
        noun: str = "",
    ) -> None:
        """Act on one row (``noun`` ``label``); ``override`` is offered when max_retries refuses."""

        def run(confirmed: bool) -> None:
            self.runner.submit(
                lambda: fn(self.ctx, confirmed),
                self._finished,
                lambda exc: self._single_refused(exc, verb, label, override),
                owner=self,
            )

        def confirm() -> None:
            if destructive and self.guard.confirms_destructive:
                self.confirm_then(verb, 1, noun, lambda: run(True), [Target(label, label)])
            else:
                run(destructive and self.guard.confirms_destructive)

        self.when_writable(confirm)

    def _single_refused(
        self, exc: BaseException, verb: str, label: str, override: SingleFn | None
    ) -> None:
        if isinstance(exc, ActionError) and exc.kind == errors.MAX_RETRIES and override:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Max retries reached",
                f"{exc}\n\nRetry anyway?",
                QMessageBox.StandardButton.Cancel,
                self.parent_widget,
            )
            make_plain(box)  # the reason names rows from the database
            anyway = box.addButton("Retry anyway", QMessageBox.ButtonRole.AcceptRole)
            anyway.clicked.connect(
                lambda: self.runner.submit(
                    lambda: override(self.ctx, True), self._finished, self.refuse, owner=self
                )
            )
            self._show(box)
            return
        self.refuse(exc)

    # ------------------------------------------------------------ many rows

    def bulk(
        self,
        verb: str,
        noun: str,
        load: Loader | Sequence[BulkItem],
        fn: BulkFn,
        *,
        override: BulkFn | None = None,
        preview: Previewer | None = None,
        filter_text: str | None = None,
        open_created: OpenCreated | None = None,
    ) -> None:
        """Count the rows (exactly), name them, confirm, act on each, show the summary.

        ``preview`` (read off the GUI thread) names each target and predicts its
        refusals, shown in the confirmation with the ``override`` as a check box;
        ``open_created`` is offered in the summary when the action created rows.
        """
        engine = self.db.engine

        def load_and_preview() -> tuple[list[BulkItem], list[Target] | None]:
            items = list(load()) if callable(load) else list(load)
            return items, (preview(engine, items) if preview is not None and items else None)

        def counted(answer: tuple[list[BulkItem], list[Target] | None]) -> None:
            items, targets = answer
            if not items:
                self._status(f"no {noun}s to {verb}")
                return
            labels = {t.id: t.label for t in targets or ()}
            dialog = ConfirmDialog(
                verb,
                len(items),
                noun,
                self.guard.profile_name,
                self.guard.environment,
                self.parent_widget,
                targets=targets,
                filter_text=filter_text,
                override_label=OVERRIDE_LABEL if override is not None else None,
            )
            dialog.accepted.connect(
                lambda: run(
                    items,
                    labels,
                    override if override is not None and dialog.override_chosen() else fn,
                )
            )
            self._show(dialog)

        def run(items: list[BulkItem], labels: dict[str, str], act: BulkFn) -> None:
            self._status(f"{verb}: {len(items):,} {noun}s…")
            self.runner.submit(
                lambda: act(self.ctx, items, True),
                lambda summary: self._summarize(
                    summary,
                    items,
                    noun,
                    None if act is override else override,
                    labels,
                    open_created,
                ),
                self.refuse,
                owner=self,
            )

        self.when_writable(
            lambda: self.runner.submit(load_and_preview, counted, self.refuse, owner=self)
        )

    def _summarize(
        self,
        summary: BulkSummary,
        items: list[BulkItem],
        noun: str,
        override: BulkFn | None,
        labels: dict[str, str] | None = None,
        open_created: OpenCreated | None = None,
    ) -> None:
        self._status(summary.headline())
        if summary.done:
            self.done.emit(summary)
        extra = None
        at_limit = {t for t, err in summary.refused if err.kind == errors.MAX_RETRIES}
        if override is not None and at_limit:
            again = [i for i in items if i.target in at_limit]

            def retry_anyway() -> None:
                self.confirm_then(
                    "retry (override max retries)",
                    len(again),
                    noun,
                    lambda: self.runner.submit(
                        lambda: override(self.ctx, again, True),
                        lambda s: self._summarize(s, again, noun, None, labels, open_created),
                        self.refuse,
                        owner=self,
                    ),
                )

            extra = (f"Retry {len(again):,} anyway…", retry_anyway)
        created = [r.created_id for r in summary.done if r.created_id]
        offer = None
        if created and open_created is not None:
            label = (
                "Open the new execution"
                if len(created) == 1
                else (f"Show the {len(created):,} new executions")
            )
            offer = (label, lambda: open_created(created))
        self._show(
            BulkSummaryDialog(
                summary, self.parent_widget, extra=extra, labels=labels, open_created=offer
            )
        )

    # ------------------------------------------------------------ shared steps

    def when_writable(self, proceed: Callable[[], object]) -> None:
        if self.db.read_only_reason:
            self.refuse(ActionError(errors.LOCKED, f"read-only: {self.db.read_only_reason}"))
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

    def confirm_then(
        self,
        verb: str,
        count: int,
        noun: str,
        proceed: Callable[[], object],
        targets: list[Target] | None = None,
    ) -> None:
        """Ask the operator to confirm ``verb`` on ``count`` ``noun``; ``proceed`` once they do."""
        dialog = ConfirmDialog(
            verb,
            count,
            noun,
            self.guard.profile_name,
            self.guard.environment,
            self.parent_widget,
            targets=targets,
        )
        dialog.accepted.connect(proceed)
        self._show(dialog)

    def _finished(self, result: Any) -> None:
        message = result.message if isinstance(result, ActionResult) else str(result)
        if isinstance(result, ActionResult) and result.note:
            message += f" ({result.note})"
        self._status(message)
        self.done.emit(result)

    def refuse(self, exc: BaseException) -> None:
        """Tell the operator an action was not done, and why (status line, signal, a box)."""
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
        make_plain(box)  # server messages and row names: shown as text
        self._show(box)

    def _show(self, dialog: QDialog) -> None:
        """Open ``dialog``; it is deleted once closed (a long session opens many)."""
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._forget(dialog))
        dialog.open()

    def _forget(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
