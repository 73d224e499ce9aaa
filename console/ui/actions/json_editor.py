"""Editing a JSON column: checked as you type, validated before saving, never loses the text.

Syntax errors name the line and column (and mark the line); known shapes are
checked with the pydantic models of :mod:`console.actions.schemas`.  Saving
runs off the GUI thread; when the action layer refuses, the message is shown
and the operator's text stays as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.actions.errors import ActionError, ActionResult
from console.actions.schemas import JsonProblem, parse_and_check
from console.ui.tasks import TaskRunner

SaveFn = Callable[[Any], ActionResult]
PLAIN_TEXT = "text"  # kind for a plain text column (a description): no JSON checks


def operator_message(exc: BaseException) -> str:
    """One line for any failure; never a traceback."""
    if isinstance(exc, ActionError | JsonProblem):
        return str(exc)
    from console.db.errors import first_line, is_database_error, write_failure

    if is_database_error(exc):
        return f"could not save: {write_failure(exc).message}"
    return f"could not save: {first_line(exc)}"


class JsonEditorDialog(QDialog):
    """A JSON text editor bound to one column of one row."""

    saved = Signal(object)  # ActionResult

    def __init__(
        self,
        title: str,
        kind: str,
        text: str,
        save: SaveFn,
        runner: TaskRunner,
        parent: QWidget | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.kind = kind
        self._save = save
        self._runner = runner
        self.result_value: ActionResult | None = None
        col = QVBoxLayout(self)
        if note:
            hint = QLabel(note)
            hint.setWordWrap(True)
            col.addWidget(hint)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlainText(text)
        col.addWidget(self.editor, 1)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # server messages quote row values
        self.status.setWordWrap(True)
        self.status.setObjectName("jsonStatus")
        col.addWidget(self.status)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.check)
        self.editor.textChanged.connect(self._debounce.start)
        self.resize(560, 420)
        self.check()

    def text(self) -> str:
        return self.editor.toPlainText()

    def check(self) -> Any:
        """Validate the current text; show the outcome; return the value (or ``_INVALID``)."""
        if self.kind == PLAIN_TEXT:
            self._set_status("", ok=True)
            return self.text()
        try:
            value = parse_and_check(self.kind, self.text())
        except JsonProblem as problem:
            self._show_problem(problem)
            return _INVALID
        self._mark_line(None)
        self._set_status("valid", ok=True)
        return value

    def try_save(self) -> None:
        """Save when valid; otherwise show why and keep the text."""
        self._debounce.stop()
        value = self.check()
        if value is _INVALID:
            problem_line = self.status.text()
            self._set_status(f"not saved: {problem_line}", ok=False)
            return
        self.save_button.setEnabled(False)
        self._set_status("saving…", ok=True)
        self._runner.submit(lambda: self._save(value), self._on_saved, self._on_refused, owner=self)

    def _on_saved(self, result: ActionResult) -> None:
        self.result_value = result
        self.saved.emit(result)
        self.accept()

    def _on_refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self._set_status(f"not saved: {operator_message(exc)}", ok=False)

    def _show_problem(self, problem: JsonProblem) -> None:
        self._set_status(str(problem), ok=False)
        self._mark_line(problem.line)
        if problem.line is not None:
            block = self.editor.document().findBlockByLineNumber(problem.line - 1)
            cursor = QTextCursor(block)
            column = max(0, min((problem.column or 1) - 1, block.length() - 1))
            cursor.movePosition(
                QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, column
            )
            self.editor.setTextCursor(cursor)

    def _mark_line(self, line: int | None) -> None:
        if line is None:
            self.editor.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(255, 80, 80, 60))
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.format = fmt
        selection.cursor = QTextCursor(self.editor.document().findBlockByLineNumber(line - 1))
        self.editor.setExtraSelections([selection])

    def _set_status(self, text: str, *, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("" if ok else "color: #c62828;")


_INVALID = object()
