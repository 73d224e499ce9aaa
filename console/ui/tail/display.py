"""How the tail shows its lines: minimum level and text filter, wrapping, exact or
relative times (relative ones tick once a second)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from console.ui.tail.model import TailTableModel
from console.ui.tail.view import TailView
from models.vocab import LOG_LEVELS

FILTER_MS = 150  # typing settles this long before the lines are filtered
WRAP_FIT_MS = 50


class TailDisplay(QObject):
    """The display controls of the tail and what they do to its model and view.

    ``filtered`` fires after the filter changed the lines shown, ``wrapped`` after rows
    changed height: the page keeps the newest line in view while following.
    """

    filtered = Signal()
    wrapped = Signal()

    def __init__(self, model: TailTableModel, view: TailView, parent: QWidget) -> None:
        super().__init__(parent)
        self._model = model
        self._view = view
        self._wrapped_rows: set[int] = set()
        self.level = QComboBox()
        self.level.addItems(LOG_LEVELS)
        self.level.setToolTip("Minimum level")
        self.level.setAccessibleName("Minimum level")
        self.level.currentTextChanged.connect(self.apply_filter)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Filter text (matches are highlighted)")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setAccessibleName("Filter the lines by text")
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.text_filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.wrap = QCheckBox("Wrap")
        self.wrap.toggled.connect(self._wrap_toggled)
        self.time_mode = QComboBox()
        self.time_mode.addItems(["Exact times", "Relative times"])
        self.time_mode.setAccessibleName("Time format")
        self.time_mode.currentIndexChanged.connect(lambda i: model.set_relative(i == 1))
        self._clock = QTimer(self, interval=1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._wrap_timer = QTimer(self, singleShot=True, interval=WRAP_FIT_MS)
        self._wrap_timer.timeout.connect(self.fit_wrapped_rows)

    def apply_filter(self, *_args: object) -> None:
        self._model.set_filter(self.level.currentText(), self.text_filter.text())
        self._view.viewport().update()
        self.filtered.emit()

    def clear(self) -> None:
        self.text_filter.clear()
        self.level.setCurrentIndex(0)

    def rows_changed(self) -> None:
        """New rows or a scroll: the rows on screen are fitted soon (when wrapping)."""
        if self.wrap.isChecked():
            self._wrap_timer.start()

    def forget_wrapped(self) -> None:
        self._wrapped_rows.clear()

    def _wrap_toggled(self, on: bool) -> None:
        self._view.setWordWrap(on)
        self._model.set_wrap(on)
        if on:
            self.fit_wrapped_rows()
        else:
            height = self._view.verticalHeader().defaultSectionSize()
            for row in self._wrapped_rows:
                if row < self._model.rowCount():
                    self._view.setRowHeight(row, height)
            self._wrapped_rows.clear()
        self.wrapped.emit()

    def fit_wrapped_rows(self) -> None:
        """Fit only the rows on screen: resizing 100,000 rows would freeze the window."""
        model, view = self._model, self._view
        if not self.wrap.isChecked() or model.rowCount() == 0:
            return
        first = max(0, view.rowAt(0))
        last = view.rowAt(view.viewport().height() - 1)
        if last < 0:
            last = model.rowCount() - 1
        for row in range(first, min(last + 1, model.rowCount())):
            if row not in self._wrapped_rows:
                view.resizeRowToContents(row)
                self._wrapped_rows.add(row)
        self.wrapped.emit()

    def _tick(self) -> None:
        model, view = self._model, self._view
        if self.time_mode.currentIndex() == 1 and model.rowCount():
            first = max(0, view.rowAt(0))
            last = view.rowAt(view.viewport().height() - 1)
            model.touch_times(first, last if last >= 0 else None)
