"""Confirmation and bulk-summary dialogs (non-blocking: open them and connect ``finished``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.actions.errors import BulkSummary

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
    """States exactly what will happen to how many rows, and where."""

    def __init__(
        self,
        verb: str,
        count: int,
        noun: str,
        profile: str,
        environment: str,
        parent: QWidget | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.count = count
        self.setWindowTitle(f"{verb.capitalize()} {rows_text(count, noun)}?")
        col = QVBoxLayout(self)
        where = profile if profile == environment else f"{profile} ({environment})"
        self.question = QLabel(f"<b>{verb.capitalize()} {rows_text(count, noun)}</b> on {where}?")
        self.question.setObjectName("confirmQuestion")
        col.addWidget(self.question)
        info = QLabel(
            detail
            or "Each row is checked again just before it changes: rows that changed "
            "meanwhile are left alone and listed in the summary."
        )
        info.setWordWrap(True)
        col.addWidget(info)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(
            f"{verb.capitalize()} {rows_text(count, noun)}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.back_button = buttons.addButton("Back", QDialogButtonBox.ButtonRole.RejectRole)
        self.back_button.setDefault(True)  # Enter does not confirm by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)


class BulkSummaryDialog(QDialog):
    """What was done and what was refused, each refusal with its reason."""

    def __init__(
        self,
        summary: BulkSummary,
        parent: QWidget | None = None,
        extra: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.summary = summary
        self.extra_button = None
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
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, (target, err) in enumerate(summary.refused):
            self.table.setItem(i, 0, QTableWidgetItem(target))
            reason = QTableWidgetItem(str(err))
            reason.setToolTip(str(err))
            self.table.setItem(i, 1, reason)
        self.table.resizeColumnToContents(0)
        self.table.setVisible(bool(summary.refused))
        col.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        if extra is not None:  # e.g. "Retry 3 anyway (override max_retries)"
            label, handler = extra
            self.extra_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.ActionRole)
            self.extra_button.clicked.connect(lambda: (self.accept(), handler()))
        col.addWidget(buttons)
        self.resize(640, 360 if summary.refused else 140)
