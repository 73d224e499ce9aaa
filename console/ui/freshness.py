""" "updated 3 s ago": the age of the data shown next to a table or page.

A row that says running while its detail says failed 14 s ago is an old read;
the label tells the operator how old.  It ticks once a second while visible.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from console.ui import theme, timefmt


def age_text(seconds: float) -> str:
    if seconds < 2:
        return "updated just now"
    if seconds < 60:
        return f"updated {int(seconds)} s ago"
    if seconds < 3600:
        return f"updated {int(seconds // 60)} min ago"
    return f"updated {int(seconds // 3600)} h ago"


class FreshnessLabel(QLabel):
    """Call :meth:`mark` when fresh rows are shown; :meth:`clear` when there are none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("freshness")
        self.setAccessibleName("Data age")
        self.setStyleSheet(f"color: {theme.muted_color().name()};")
        self._at: float | None = None
        self._wall: datetime | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def mark(self) -> None:
        self._at, self._wall = time.monotonic(), timefmt.now()
        self._tick()
        if self.isVisible():
            self._timer.start()

    def clear(self) -> None:
        self._at = self._wall = None
        self._timer.stop()
        self.setText("")
        self.setToolTip("")

    def age(self) -> float | None:
        return None if self._at is None else time.monotonic() - self._at

    def _tick(self) -> None:
        age = self.age()
        if age is None:
            return
        self.setText(age_text(age))
        if self._wall is not None:
            self.setToolTip(f"Read at {timefmt.exact(self._wall)}")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._at is not None:
            self._tick()
            self._timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._timer.stop()
