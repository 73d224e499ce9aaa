"""The tail's target list: every running execution merged, or one execution, named by its
execution id; the list is read off the GUI thread and stays still while it is open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QToolButton, QWidget

from console.db.errors import first_line

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.ui.pages import PageContext

ALL_RUNNING = ""


class TargetBox(QComboBox):
    """The target list; it does not change under the operator while its popup is open."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.popup_open = False

    def showPopup(self) -> None:
        self.popup_open = True
        super().showPopup()

    def hidePopup(self) -> None:
        super().hidePopup()
        self.popup_open = False
        self.closed.emit()


class TailTargets(QObject):
    """The target box and its reload button; ``picked`` says the operator chose another."""

    picked = Signal(str)  # an execution UUID, or ALL_RUNNING

    def __init__(self, ctx: PageContext, parent: QWidget) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.db: Database | None = None
        self.current: str = ALL_RUNNING  # the target followed
        self._labels: dict[str, str] = {}  # execution UUID -> its execution_id, once seen
        self.deferred: tuple[list[Any], Any] | None = None  # an answer held while open
        self.box = TargetBox()
        self.box.setObjectName("tailTarget")
        self.box.setAccessibleName("Execution to follow")
        self.box.closed.connect(self._apply_deferred)
        self.box.setMinimumContentsLength(34)  # an execution id whole
        self.box.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.box.setToolTip("Follow one execution, or every running execution merged")
        self.box.addItem("All running executions", ALL_RUNNING)
        self.box.activated.connect(self._picked)
        self.reload_button = QToolButton()
        self.reload_button.setText("⟳")
        self.reload_button.setToolTip("Reload the list of running executions")
        self.reload_button.setAccessibleName("Reload the list of running executions")
        self.reload_button.clicked.connect(self.reload)

    def clear(self) -> None:
        """Only "All running executions" left (a new database, or none)."""
        self.box.blockSignals(True)
        while self.box.count() > 1:
            self.box.removeItem(1)
        self.box.blockSignals(False)

    def choose(self, execution_id: str) -> None:
        """Show ``execution_id`` (a UUID, or ``""``) as the target, adding it if missing."""
        if execution_id and self.box.findData(execution_id) < 0:
            self.box.addItem(self._labels.get(execution_id, execution_id), execution_id)
        self.box.setCurrentIndex(max(0, self.box.findData(execution_id)))
        self.current = execution_id

    def unnamed(self) -> bool:
        """The target is shown by its UUID: its execution id is not known yet."""
        return bool(self.current) and self.box.currentText() == self.current

    def _picked(self, index: int) -> None:
        value = self.box.itemData(index) or ALL_RUNNING
        if value != self.current:
            self.current = value
            self.picked.emit(value)

    def reload(self) -> None:
        """Read the running executions (and how a finished target ended) again."""
        if self.db is None:
            return
        db = self.db
        current = self.current

        def work() -> tuple[list[Any], Any]:
            from console.tail.resolve import (
                ExecutionNotFound,
                resolve_execution,
                running_executions,
            )

            with db.connect_raw("autopr-console-tail-list") as c:
                refs = running_executions(c)
                extra = None
                if current and all(str(r.id) != current for r in refs):
                    try:  # a finished target keeps its execution id and says how it ended
                        extra = resolve_execution(c, current)
                    except ExecutionNotFound:
                        extra = None
                return refs, extra

        def failed(exc: BaseException) -> None:
            self._ctx.show_status(f"Could not list running executions: {first_line(exc)}")

        self._ctx.runner.submit(work, self._loaded, failed, owner=self, key="tail-running")

    def _loaded(self, answer: tuple[list[Any], Any]) -> None:
        if self.box.popup_open:  # the list stays still under the operator's pointer
            self.deferred = answer
            return
        refs, extra = answer
        for ref in [*refs, *([extra] if extra is not None else [])]:
            self._labels[str(ref.id)] = ref.code
        current = self.current
        items = [(ref.label(), str(ref.id)) for ref in refs]
        if current and all(data != current for _, data in items):
            if extra is not None and str(extra.id) == current:
                items.append((f"{extra.code} ({extra.status})", current))
            else:
                items.append((f"{self._labels.get(current, current)} (not running)", current))
        box = self.box
        shown = [(box.itemText(i), box.itemData(i)) for i in range(1, box.count())]
        if shown == items:
            return
        box.blockSignals(True)
        while box.count() > 1:
            box.removeItem(1)
        for text, data in items:
            box.addItem(text, data)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(False)

    def _apply_deferred(self) -> None:
        answer, self.deferred = self.deferred, None
        if answer is not None:
            QTimer.singleShot(0, lambda: self._loaded(answer))
