"""Keep a window on its screen: at 150 % or 200 % scaling a 1280x800 window is larger
than a 1920x1080 screen's 1280x720 or 960x540 logical pixels."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

MARGIN = 0.95  # leave a little of the screen around a window that had to shrink


def fitted(size: QSize, available: QSize, minimum: QSize) -> QSize:
    """``size`` shrunk to ``available`` (with a margin), never below ``minimum``."""
    if size.width() <= available.width() and size.height() <= available.height():
        return size
    width = min(size.width(), int(available.width() * MARGIN))
    height = min(size.height(), int(available.height() * MARGIN))
    return QSize(max(width, minimum.width()), max(height, minimum.height()))


def fit_to_screen(window: QWidget) -> None:
    """Shrink and move ``window`` so that it lies on the available part of its screen."""
    screen = window.screen()
    if screen is None:
        return
    area: QRect = screen.availableGeometry()
    size = fitted(window.size(), area.size(), window.minimumSizeHint())
    if size != window.size():
        window.resize(size)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.x()), max(area.x(), area.right() - frame.width() + 1))
    y = min(max(frame.y(), area.y()), max(area.y(), area.bottom() - frame.height() + 1))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)
