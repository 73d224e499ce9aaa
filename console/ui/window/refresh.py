"""The window's auto-refresh: the interval chooser, pause, and the timer that ticks."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QWidget

from console.ui import settings, theme

REFRESH_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "Auto-refresh off"),
    (5, "Every 5 s"),
    (15, "Every 15 s"),
    (60, "Every 60 s"),
)
DEFAULT_REFRESH_S = settings.AUTO_REFRESH_S.default  # the operator's choice is remembered


class AutoRefresh(QObject):
    """Owns the interval combo, the pause action and the timer; ``timer.timeout`` ticks.

    With ``remember`` the chosen interval is stored and restored; without (screenshots,
    the self-test) the window starts still.
    """

    def __init__(self, parent: QWidget, *, remember: bool) -> None:
        super().__init__(parent)
        self._remember = remember
        self.timer = QTimer(self)
        self.combo = QComboBox(parent)
        self.combo.setObjectName("autoRefresh")
        self.combo.setToolTip("Refresh the visible view automatically")
        self.combo.setAccessibleName("Auto-refresh interval")
        for seconds, label in REFRESH_CHOICES:
            self.combo.addItem(label, seconds)
        self.combo.currentIndexChanged.connect(self._on_interval)
        self.pause_action = QAction(theme.icon("pause"), "&Pause", parent)
        self.pause_action.setCheckable(True)
        self.pause_action.setToolTip("Pause auto-refresh")
        self.pause_action.toggled.connect(self._on_pause)

    def restore(self) -> None:
        """The remembered interval (none when not remembering)."""
        default = DEFAULT_REFRESH_S if self._remember else 0
        seconds = settings.AUTO_REFRESH_S.get(default=default) if self._remember else 0
        self.combo.setCurrentIndex(max(0, self.combo.findData(seconds)))
        self._apply()

    def interval(self) -> int:
        """Seconds between ticks; 0 when off."""
        return int(self.combo.currentData() or 0)

    def active(self) -> bool:
        return self.timer.isActive()

    def stop(self) -> None:
        self.timer.stop()

    def _on_interval(self, index: int) -> None:
        if self._remember:
            settings.AUTO_REFRESH_S.put(int(self.combo.itemData(index) or 0))
        self._apply()

    def _on_pause(self, paused: bool) -> None:
        self.pause_action.setText("&Resume" if paused else "&Pause")
        self.pause_action.setToolTip("Resume auto-refresh" if paused else "Pause auto-refresh")
        self._apply()

    def _apply(self) -> None:
        seconds = self.interval()
        self.pause_action.setEnabled(seconds > 0)
        if seconds > 0 and not self.pause_action.isChecked():
            self.timer.start(seconds * 1000)
        else:
            self.timer.stop()
