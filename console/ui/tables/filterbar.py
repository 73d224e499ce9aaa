"""The filter bar of a table page and the chip bar that shows the filters in force.

The bar edits a filter dictionary in the pages.py vocabulary.  Choice widgets
apply at once; the text and JSON boxes apply on Enter.  The chip bar shows one
removable chip per filter, including filters that arrive by click-through and
have no widget (an execution or integration id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.queries.filters import (
    TIME_RANGE_LABELS,
    TableFilters,
    as_datetime,
    local_aware,
    normalized,
)
from console.ui import theme, timefmt

FieldKind = Literal["multi", "workflow", "time", "level", "text", "json"]


@dataclass(frozen=True)
class Field:
    key: str  # filter key (pages.py vocabulary); "time" edits time_range/time_from/time_to
    label: str
    kind: FieldKind
    options: tuple[str, ...] = ()
    placeholder: str = ""
    width: int = 0


LABELS: dict[str, str] = {
    "status": "Status",
    "workflow_id": "Workflow",
    "execution_id": "Execution",
    "integration_id": "Integration",
    "trigger_type": "Trigger",
    "min_level": "Level ≥",
    "integration_type": "Type",
    "health": "Health",
    "text": "Text",
    "json": "JSON ⊇",
}


# Multi-selects of free-text columns: their options come from the data.
FREE_TEXT_MULTI = frozenset({"trigger_type"})


class MultiButton(QToolButton):
    """A drop-down of checkable values."""

    toggled_values = Signal()

    def __init__(self, label: str, options: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = label
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._menu = QMenu(self)
        self._actions: dict[str, QAction] = {}
        self.add_options(options)
        self.setMenu(self._menu)
        self._update_text()

    def add_options(self, options: Sequence[str]) -> None:
        """Offer more values (e.g. the ones found in the data); known ones stay as they are."""
        for value in options:
            if value in self._actions:
                continue
            act = self._menu.addAction(value)
            act.setCheckable(True)
            act.toggled.connect(self._changed)
            self._actions[value] = act

    def options(self) -> list[str]:
        """Every value offered, chosen or not, in the order offered."""
        return list(self._actions)

    def values(self) -> list[str]:
        return [v for v, a in self._actions.items() if a.isChecked()]

    def set_values(self, values: Sequence[str]) -> None:
        for v, a in self._actions.items():
            a.blockSignals(True)
            a.setChecked(v in values)
            a.blockSignals(False)
        self._update_text()

    def _changed(self, _checked: bool) -> None:
        self._update_text()
        self.toggled_values.emit()

    def _update_text(self) -> None:
        chosen = self.values()
        self.setText(f"{self._label}: {len(chosen)}" if chosen else f"{self._label}: any")


def _qdatetime(value: datetime) -> QDateTime:
    """``value`` as a QDateTime (PySide6 converts a datetime; its stubs do not say so)."""
    return QDateTime(value)  # type: ignore[call-overload]


def _pydatetime(value: QDateTime) -> datetime:
    converted = value.toPython()
    assert isinstance(converted, datetime)
    return converted


class CustomRangeDialog(QDialog):
    def __init__(self, parent: QWidget | None, start: datetime, end: datetime) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom time range")
        form = QFormLayout(self)
        self.start = QDateTimeEdit(_qdatetime(start), self)
        self.end = QDateTimeEdit(_qdatetime(end), self)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        form.addRow("From (inclusive)", self.start)
        form.addRow("To (exclusive)", self.end)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def range(self) -> tuple[str, str]:
        start = local_aware(_pydatetime(self.start.dateTime()))
        end = local_aware(_pydatetime(self.end.dateTime()))
        return start.isoformat(), end.isoformat()


class FilterBar(QWidget):
    changed = Signal(dict)

    def __init__(self, fields: Sequence[Field], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = tuple(fields)
        self._filters: dict[str, Any] = {}
        self._workflows: dict[str, str] = {}
        self._multi: dict[str, MultiButton] = {}
        self._edits: dict[str, QLineEdit] = {}
        self._time: QComboBox | None = None
        self._level: QComboBox | None = None
        self._workflow: QComboBox | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(6)
        outer.addLayout(row)
        self._row = row
        for f in self.fields:
            widget = self._build(f)
            widget.setAccessibleName(f"Filter: {f.label}")
            if f.placeholder:
                widget.setAccessibleDescription(f.placeholder)
            row.addWidget(widget, 1 if f.kind in ("text", "json") else 0)
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # quotes what was typed
        self.error.setObjectName("filterError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.status_color('failed').name()};")
        self.error.hide()
        outer.addWidget(self.error)

    def add_trailing(self, widget: QWidget) -> None:
        """A widget at the end of the filter row (the page's saved views)."""
        self._row.addWidget(widget)

    # ------------------------------------------------------------ building

    def _build(self, f: Field) -> QWidget:
        if f.kind == "multi":
            button = MultiButton(f.label, f.options, self)
            button.setObjectName(f"filter_{f.key}")
            button.toggled_values.connect(self._from_widgets)
            self._multi[f.key] = button
            return button
        if f.kind == "time":
            combo = QComboBox(self)
            combo.setObjectName("filter_time")
            combo.addItem("Any time", "")
            for key, label in TIME_RANGE_LABELS.items():
                combo.addItem(label.capitalize(), key)
            combo.addItem("Custom…", "custom")
            combo.activated.connect(self._time_chosen)
            self._time = combo
            return combo
        if f.kind == "level":
            combo = QComboBox(self)
            combo.setObjectName("filter_min_level")
            combo.addItem("Any level", "")
            for level in f.options:
                combo.addItem(f"{level} and above", level)
            combo.activated.connect(lambda _i: self._from_widgets())
            self._level = combo
            return combo
        if f.kind == "workflow":
            combo = QComboBox(self)
            combo.setObjectName("filter_workflow_id")
            combo.setMinimumContentsLength(16)
            combo.addItem("Any workflow", "")
            combo.activated.connect(lambda _i: self._from_widgets())
            self._workflow = combo
            return combo
        edit = QLineEdit(self)
        edit.setObjectName(f"filter_{f.key}")
        edit.setPlaceholderText(f.placeholder)
        edit.setToolTip(f.placeholder)
        edit.setClearButtonEnabled(True)
        if f.width:
            edit.setMinimumWidth(f.width)
        edit.returnPressed.connect(self._from_widgets)
        self._edits[f.key] = edit
        return edit

    # ------------------------------------------------------------ state

    def filters(self) -> TableFilters:
        """The filters in force (the page's keys of :class:`TableFilters`)."""
        return normalized(self._filters)

    def text_edit(self, key: str) -> QLineEdit:
        """The line edit of the text-like filter ``key`` (KeyError if the page has none)."""
        return self._edits[key]

    def choice_button(self, key: str) -> MultiButton:
        """The multi-select of filter ``key`` (KeyError if the page has none)."""
        return self._multi[key]

    def set_workflow_choices(self, choices: Sequence[tuple[str, str]]) -> None:
        self._workflows = {wid: name for wid, name in choices}
        if self._workflow is None:
            return
        self._workflow.blockSignals(True)
        self._workflow.clear()
        self._workflow.addItem("Any workflow", "")
        for wid, name in choices:
            self._workflow.addItem(name, wid)
        self._workflow.blockSignals(False)
        self._show(self._filters)

    def add_choices(self, key: str, values: Sequence[str]) -> None:
        """More values for the multi-select ``key`` (no-op when the page has none)."""
        button = self._multi.get(key)
        if button is not None:
            button.add_options(values)
            self._show(self._filters)

    def workflow_name(self, workflow_id: str) -> str | None:
        return self._workflows.get(workflow_id)

    def set_filters(self, filters: Mapping[str, Any]) -> None:
        """Show ``filters`` in the widgets (no ``changed`` signal)."""
        self._filters = {k: v for k, v in filters.items() if v not in (None, "", [])}
        self._show(self._filters)

    def _show(self, filters: Mapping[str, Any]) -> None:
        for key, button in self._multi.items():
            value = filters.get(key) or []
            values = [value] if isinstance(value, str) else list(value)
            if key in FREE_TEXT_MULTI:  # any value the data holds; offer what is chosen
                button.add_options([str(v) for v in values])
            button.set_values(values)
        for key, edit in self._edits.items():
            edit.setText(str(filters.get(key) or ""))
        if self._time is not None:
            key = filters.get("time_range") or (
                "custom" if filters.get("time_from") or filters.get("time_to") else ""
            )
            self._time.setCurrentIndex(max(0, self._time.findData(key)))
        if self._level is not None:
            self._level.setCurrentIndex(max(0, self._level.findData(filters.get("min_level", ""))))
        if self._workflow is not None:
            wid = filters.get("workflow_id", "")
            idx = self._workflow.findData(wid)
            if idx < 0 and wid:
                self._workflow.addItem(f"workflow {wid[:8]}…", wid)
                idx = self._workflow.count() - 1
            self._workflow.setCurrentIndex(max(0, idx))

    def _from_widgets(self) -> None:
        handled = set(self._multi) | set(self._edits)
        if self._level is not None:
            handled.add("min_level")
        if self._workflow is not None:
            handled.add("workflow_id")
        filters = {k: v for k, v in self._filters.items() if k not in handled}
        for key, button in self._multi.items():
            if button.values():
                filters[key] = button.values()
        for key, edit in self._edits.items():
            if edit.text().strip():
                filters[key] = edit.text().strip()
        if self._level is not None and self._level.currentData():
            filters["min_level"] = self._level.currentData()
        if self._workflow is not None and self._workflow.currentData():
            filters["workflow_id"] = self._workflow.currentData()
        self._filters = filters
        self.changed.emit(dict(filters))

    def _time_chosen(self, _index: int) -> None:
        assert self._time is not None
        choice = self._time.currentData()
        for key in ("time_range", "time_from", "time_to"):
            self._filters.pop(key, None)
        if choice == "custom":
            now = datetime.now().astimezone()
            dialog = CustomRangeDialog(self, now - timedelta(hours=1), now)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                self._show(self._filters)
                return
            self._filters["time_from"], self._filters["time_to"] = dialog.range()
        elif choice:
            self._filters["time_range"] = choice
        self._from_widgets()

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        if message and "JSON" in message and "json" in self._edits:
            self._edits["json"].setFocus()

    def focus_text(self) -> None:
        edit = self._edits.get("text") or next(iter(self._edits.values()), None)
        if edit is not None:
            edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            edit.selectAll()
        elif self.fields:
            self.setFocus()


def chip_labels(
    filters: Mapping[str, Any], names: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """(filter key, label) of every filter in force, for chips and the window title."""
    names = names or {}
    out: list[tuple[str, str]] = []
    if filters.get("time_range"):
        out.append(("time_range", TIME_RANGE_LABELS.get(filters["time_range"], "")))
    if filters.get("time_from") or filters.get("time_to"):
        parts = []
        for key, word in (("time_from", "from"), ("time_to", "to")):
            if filters.get(key):
                try:
                    parts.append(f"{word} {timefmt.exact(as_datetime(filters[key], key))}")
                except ValueError:
                    parts.append(f"{word} {filters[key]}")
        out.append(("time_from", " ".join(parts)))
    for key, value in filters.items():
        if key in ("time_range", "time_from", "time_to") or value in (None, "", []):
            continue
        label = LABELS.get(key, key)
        if isinstance(value, list | tuple):
            text = ", ".join(map(str, value))
        elif key in ("workflow_id", "execution_id", "integration_id"):
            text = names.get(value) or f"{str(value)[:8]}…"
        else:
            text = str(value)
        if len(text) > 40:
            text = text[:39] + "…"
        out.append((key, f"{label}: {text}"))
    return out


class ChipBar(QWidget):
    removed = Signal(str)  # filter key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)

    def chips(self) -> list[QToolButton]:
        """The chips shown, left to right."""
        items = (self._layout.itemAt(i) for i in range(self._layout.count()))
        widgets = (item.widget() for item in items if item is not None)
        return [w for w in widgets if isinstance(w, QToolButton)]

    def set_chips(self, chips: list[tuple[str, str]]) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        for key, label in chips:
            chip = QToolButton(self)
            chip.setObjectName(f"chip_{key}")
            chip.setText(f"{label}  ✕")
            chip.setToolTip("Remove this filter")
            chip.setAutoRaise(False)
            chip.setStyleSheet("QToolButton { border-radius: 9px; padding: 1px 8px; }")
            chip.clicked.connect(lambda _=False, k=key: self.removed.emit(k))
            self._layout.insertWidget(self._layout.count() - 1, chip)
        self.setVisible(bool(chips))
