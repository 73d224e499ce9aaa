"""Confirmation and bulk-summary dialogs (non-blocking: open them and connect ``finished``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.actions import preview
from console.actions.errors import BulkSummary
from console.actions.preview import Target
from console.ui.plain import escape, plain_label, plain_tip

REASON_TEXT = {
    "conflict": "changed meanwhile",
    "ineligible": "not in a state for this",
    "gone": "no longer exists",
    "max-retries": "max_retries reached",
    "invalid": "invalid",
    "database": "refused by the database",
    "connection": "connection lost",
    "unverified": "outcome unknown",
}


def rows_text(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


class ConfirmDialog(QDialog):
    """States exactly what will happen to which rows, and where.

    With ``targets`` (see :mod:`console.actions.preview`) it names up to
    :data:`~console.actions.preview.SHOWN` of them with their workflow or
    integration, says beyond that how many more and which filter they match,
    lists beforehand the ones that will be refused and why, and offers the
    max-retries override in the same dialog (``override_label``).
    """

    def __init__(
        self,
        verb: str,
        count: int,
        noun: str,
        profile: str,
        environment: str,
        parent: QWidget | None = None,
        detail: str | None = None,
        *,
        targets: list[Target] | None = None,
        filter_text: str | None = None,
        override_label: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.verb, self.noun = verb, noun
        self.targets = targets
        self.count = count if targets is None else sum(t.ok for t in targets)
        self.overridable = [t for t in targets or () if t.refusal == preview.MAX_RETRIES]
        self.where = profile if profile == environment else f"{profile} ({environment})"
        self.setObjectName("confirmDialog")
        col = QVBoxLayout(self)
        self.question = QLabel()
        self.question.setObjectName("confirmQuestion")
        self.question.setTextFormat(Qt.TextFormat.RichText)
        col.addWidget(self.question)
        self.table: QTableWidget | None = None
        self.more_label: QLabel | None = None
        self.refusals_label: QLabel | None = None
        if targets is not None and not (len(targets) == 1 and targets[0].ok):
            self._add_targets(col, targets, filter_text)
        info = QLabel(
            detail
            or "Each row is checked again just before it changes: rows that changed "
            "meanwhile are left alone and listed in the summary."
        )
        info.setWordWrap(True)
        col.addWidget(info)
        self.override_box: QCheckBox | None = None
        if self.overridable and override_label:
            n = len(self.overridable)
            self.override_box = QCheckBox(override_label.format(n=n, s="" if n == 1 else "s"))
            self.override_box.setObjectName("overrideBox")
            self.override_box.toggled.connect(self._update)
            col.addWidget(self.override_box)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.back_button = buttons.addButton("Back", QDialogButtonBox.ButtonRole.RejectRole)
        self.back_button.setDefault(True)  # Enter does not confirm by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self._update()
        if self.table is not None:
            self.resize(680, min(560, 220 + 24 * self.table.rowCount()))

    def override_chosen(self) -> bool:
        return self.override_box is not None and self.override_box.isChecked()

    def acting_count(self) -> int:
        return self.count + (len(self.overridable) if self.override_chosen() else 0)

    def _update(self) -> None:
        n = self.acting_count()
        what = rows_text(n, self.noun)
        single = self.targets is not None and len(self.targets) == 1 and n == 1
        if single:
            what = f"{self.noun} {self.targets[0].label}".strip()  # type: ignore[index]
        verb = self.verb.capitalize()
        self.setWindowTitle(f"{verb} {what}?")
        self.question.setText(f"<b>{escape(verb)} {escape(what)}</b> on {escape(self.where)}?")
        self.ok_button.setText(f"{verb} {what}")
        self.ok_button.setEnabled(n > 0)
        if n == 0:
            self.question.setText(
                f"<b>Nothing to {escape(self.verb)}</b> on {escape(self.where)}: "
                "every target would be refused."
            )

    def _add_targets(
        self, col: QVBoxLayout, targets: list[Target], filter_text: str | None
    ) -> None:
        # the ones that will be refused first: the operator decides on them
        shown = sorted(targets, key=lambda t: t.ok)[: preview.SHOWN]
        first, second = TARGET_HEADERS.get(self.noun, ("Target", ""))
        self.table = QTableWidget(len(shown), 3, self)
        self.table.setObjectName("confirmTargets")
        self.table.setAccessibleName(f"{first}s this will act on")
        self.table.setHorizontalHeaderLabels([first, second, "Outcome"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for i, t in enumerate(shown):
            outcome = f"will be {past(self.verb)}" if t.ok else f"refused: {t.reason}"
            if t.ok and " " in self.verb:
                outcome = "will change"
            for j, value in enumerate((t.label, t.context, outcome)):
                item = QTableWidgetItem(value)
                item.setToolTip(plain_tip(value))
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.setColumnHidden(1, not second)
        col.addWidget(self.table, 1)
        beyond = len(targets) - len(shown)
        if beyond > 0:
            text = f"…and {beyond:,} more"
            if filter_text:
                text += f" matching the filter: {filter_text}"
            self.more_label = plain_label(text)
            self.more_label.setObjectName("confirmMore")
            self.more_label.setWordWrap(True)
            col.addWidget(self.more_label)
        refused = preview.counts(targets)
        if refused:
            n = sum(refused.values())
            parts = ", ".join(
                f"{k:,} {preview.REFUSAL_TEXT.get(kind, kind)}"
                for kind, k in sorted(refused.items())
            )
            self.refusals_label = QLabel(f"{n:,} will be refused ({parts}) and left as they are.")
            self.refusals_label.setObjectName("confirmRefusals")
            self.refusals_label.setWordWrap(True)
            col.addWidget(self.refusals_label)


TARGET_HEADERS = {
    "execution": ("Execution", "Workflow"),
    "event": ("Event", "Integration"),
    "workflow": ("Workflow", ""),
    "integration": ("Integration", ""),
}


def past(verb: str) -> str:
    """cancel → cancelled, retry → retried, requeue → requeued, ignore → ignored."""
    if verb.endswith("y"):
        return verb[:-1] + "ied"
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("l"):
        return verb + "led"
    return verb + "ed"


class BulkSummaryDialog(QDialog):
    """What was done and what was refused, each refusal with its reason."""

    def __init__(
        self,
        summary: BulkSummary,
        parent: QWidget | None = None,
        extra: tuple[str, Callable[[], None]] | None = None,
        *,
        labels: dict[str, str] | None = None,
        open_created: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.summary = summary
        self.extra_button = None
        self.open_button = None
        labels = labels or {}
        self.setWindowTitle(f"{summary.action.capitalize()}: summary")
        col = QVBoxLayout(self)
        self.headline = QLabel(
            f"<b>{len(summary.done):,} done</b>, {len(summary.refused):,} refused"
        )
        self.headline.setObjectName("summaryHeadline")
        col.addWidget(self.headline)
        if summary.refused:
            reasons = ", ".join(
                f"{n:,} {REASON_TEXT.get(kind, kind)}"
                for kind, n in sorted(summary.reasons().items())
            )
            col.addWidget(QLabel(f"Refused: {reasons}"))
        self.table = QTableWidget(len(summary.refused), 2)
        self.table.setHorizontalHeaderLabels(["Row", "Why it was refused"])
        self.table.setAccessibleName("Refused rows")
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (target, err) in enumerate(summary.refused):
            self.table.setItem(i, 0, QTableWidgetItem(labels.get(target, target)))
            reason = QTableWidgetItem(str(err))
            reason.setToolTip(plain_tip(str(err)))
            self.table.setItem(i, 1, reason)
        self.table.resizeColumnToContents(0)
        self.table.setVisible(bool(summary.refused))
        col.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        if extra is not None:  # e.g. "Retry 3 anyway (override max_retries)"
            label, handler = extra
            self.extra_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
            self.extra_button.clicked.connect(partial(self._accept_then, handler))
        if open_created is not None:  # e.g. "Open the new execution"
            label, open_handler = open_created
            self.open_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
            self.open_button.setDefault(True)
            self.open_button.clicked.connect(partial(self._accept_then, open_handler))
        col.addWidget(buttons)
        self.resize(640, 360 if summary.refused else 140)

    def _accept_then(self, handler: Callable[[], object]) -> None:
        self.accept()
        handler()
