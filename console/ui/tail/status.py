"""What the tail says about itself: the mode line (live, polling, reconnecting, stopped)
and the banner over the lines once the followed execution has ended."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.tail.engine import Finished, TailState
from console.ui import theme

MODE_CHARS = 48  # the mode line's width: the session's longest description fits


class TailStatus(QObject):
    """The mode label and the finished banner."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.banner = QLabel()
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # names an execution from the db
        self.banner.setVisible(False)
        self.banner.setObjectName("tailBanner")
        self.banner.setMargin(6)
        self.mode_label = QLabel("not connected")
        self.mode_label.setTextFormat(Qt.TextFormat.PlainText)  # may quote a server message
        self.mode_label.setMinimumWidth(parent.fontMetrics().averageCharWidth() * MODE_CHARS)

    def disconnected(self) -> None:
        self.mode_label.setText("not connected")
        self.banner.setVisible(False)

    def restarted(self) -> None:
        self.banner.setVisible(False)

    def state(self, state: TailState, lookback_s: float) -> None:
        text = state.describe()
        if state.phase == "live":
            text = f"Live · {text}"
            if not state.exact_floor:
                text += f" · late commits bounded by a {lookback_s:g} s look-back"
        self.mode_label.setText(text)
        colour = theme.status_color("timeout") if state.phase == "reconnecting" else None
        self.mode_label.setStyleSheet(f"color: {colour.name()};" if colour else "")

    def finished(self, result: Finished) -> None:
        self.banner.setText(f"Execution {result.describe()} — the tail has stopped.")
        colour = theme.status_color(result.status)
        text = theme.text_on(colour)  # white on the light palette's colours, dark on the dark's
        self.banner.setStyleSheet(
            f"background: {colour.name()}; color: {text.name()}; border-radius: 4px;"
            " font-weight: 600;"
        )
        self.banner.setVisible(True)
        self.mode_label.setText("Stopped: the execution is " + result.status)
        self.mode_label.setStyleSheet("")

    def failed(self, message: str) -> None:
        self.mode_label.setText(f"The tail stopped: {message}")
        self.mode_label.setStyleSheet(f"color: {theme.status_color('failed').name()};")
