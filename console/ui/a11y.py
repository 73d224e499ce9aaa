"""Accessibility checks: what a screen reader announces, and text contrast (WCAG 2.x).

``unnamed_controls`` lists the visible interactive controls whose accessible
name (what Qt hands to the screen reader) is empty; ``contrast`` is the WCAG
contrast ratio of two colours (AA asks 4.5:1 for text, 3:1 for focus rings).
"""

from __future__ import annotations

import re

from PySide6.QtGui import QAccessible, QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractItemView,
    QAbstractSpinBox,
    QPlainTextEdit,
    QTextEdit,
    QTabBar,
)
# Parts of a compound control that the control itself names (a combo's line edit,
# a line edit's clear button, a tab bar's scroll arrows, a table's corner button).
_PARTS_OF = (QLineEdit, QComboBox, QAbstractSpinBox, QTabBar, QAbstractItemView)


def accessible_name(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    return (iface.text(QAccessible.Text.Name) if iface is not None else "") or ""


def controls(root: QWidget) -> list[QWidget]:
    """The visible interactive controls under ``root`` (compound controls counted once)."""
    found: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or not widget.isVisible():
            continue
        parent = widget.parentWidget()
        if parent is not None and isinstance(parent, _PARTS_OF):
            continue
        if widget.objectName().startswith("qt_"):
            continue
        found.append(widget)
    return found


def unnamed_controls(root: QWidget) -> list[QWidget]:
    return [w for w in controls(root) if not accessible_name(w).strip()]


def describe(widget: QWidget) -> str:
    path: list[str] = []
    w: QWidget | None = widget
    while w is not None and len(path) < 4:
        path.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return " < ".join(path)


_MNEMONIC = re.compile(r"&(?!&)(?![A-Za-z]+;|#\d+;)\w")


def labels_without_buddy(root: QWidget) -> list[QLabel]:
    """Visible plain-text labels with a mnemonic (``&Level``) that name no field."""
    out = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if not label.isVisible() or label.buddy() is not None or "<" in text:
            continue
        if _MNEMONIC.search(text):
            out.append(label)
    return out


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    return (
        0.2126 * _linear(colour.red())
        + 0.7152 * _linear(colour.green())
        + 0.0722 * _linear(colour.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1.0 .. 21.0."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
