"""A visible focus ring: a 2 px outline around whatever has the keyboard focus.

Fusion marks focus with a faint frame that disappears on tables and combo
boxes; style-sheet borders would replace Fusion's drawing of every control.
This overlay follows the focus instead (``QApplication.focusChanged``), draws
in the theme's focus colour (at least 3:1 against both backgrounds, WCAG's
figure for focus indicators) and lets the mouse through.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QApplication, QWidget

from console.ui import theme

WIDTH = 2


class FocusRing(QWidget):
    """One per window; shows around the focused widget of that window."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("focusRing")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.target: QWidget | None = None
        self.hide()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.target is not None:
            with contextlib.suppress(RuntimeError):  # deleted meanwhile
                self.target.removeEventFilter(self)
        window = self.parentWidget()
        ok = new is not None and new is not window and new.window() is window
        self.target = new if ok else None
        if self.target is None:
            self.hide()
            return
        self.target.installEventFilter(self)
        self._place()

    def _place(self) -> None:
        target, window = self.target, self.parentWidget()
        if target is None or window is None or not target.isVisible():
            self.hide()
            return
        top_left = target.mapTo(window, target.rect().topLeft())
        rect = QRect(top_left, target.size()).adjusted(-WIDTH, -WIDTH, WIDTH, WIDTH)
        self.setGeometry(rect.intersected(window.rect()))
        self.show()
        self.raise_()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.target and event.type() in (
            QEvent.Type.Move,
            QEvent.Type.Resize,
            QEvent.Type.Show,
            QEvent.Type.Hide,
        ):
            self._place()
        return False

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(theme.focus_color(), WIDTH)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = WIDTH / 2
        painter.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 3, 3)
