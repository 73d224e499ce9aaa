"""Text from the database is shown as text, never interpreted as Qt rich text.

A QLabel, a QMessageBox or a tooltip guesses rich text from a leading tag, so a
workflow named ``<b>x</b><img src=…>`` would render bold with an image.  Labels
that show database strings are set to :data:`PLAIN`; tooltips have no text
format, so :func:`plain_tip` escapes the text into rich text that renders it
literally.  Labels that mix markup with database strings escape them with :func:`escape`.
"""

from __future__ import annotations

from typing import overload

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

PLAIN = Qt.TextFormat.PlainText


def escape(text: str, quote: bool = True) -> str:
    """``text`` made safe inside rich text: what :func:`html.escape` does.

    Written out because the ``html`` package imports its table of 2,231 entities (about
    0.7 MiB) that no label of the console needs.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote:
        text = text.replace('"', "&quot;").replace("'", "&#x27;")
    return text


def make_plain(*widgets: QLabel | QMessageBox) -> None:
    """Show whatever text these labels or message boxes get as plain text."""
    for widget in widgets:
        widget.setTextFormat(PLAIN)


def plain_label(text: str = "") -> QLabel:
    """A label whose text is never interpreted as rich text."""
    label = QLabel()
    label.setTextFormat(PLAIN)
    label.setText(text)
    return label


@overload
def plain_tip(text: str) -> str: ...
@overload
def plain_tip(text: None) -> None: ...
@overload
def plain_tip(text: str | None) -> str | None: ...


def plain_tip(text: str | None) -> str | None:
    """``text`` as a tooltip that Qt shows literally (newlines kept)."""
    if not text or "<" not in text:
        return text  # without a tag Qt shows it as plain text already
    return f"<p style='white-space:pre-wrap'>{escape(text)}</p>"
