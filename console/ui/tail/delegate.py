"""Paints the message column with every match of the text filter highlighted."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem


def match_spans(text: str, needle: str) -> list[tuple[int, int]]:
    """(start, end) of every case-insensitive occurrence of ``needle`` in ``text``."""
    if not needle:
        return []
    low = text.lower()
    spans = []
    start = low.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = low.find(needle, start + len(needle))
    return spans


class HighlightDelegate(QStyledItemDelegate):
    """Unwrapped single-line cells: matches get a highlight box; wrapped cells paint as usual."""

    def __init__(self, needle_source, parent=None) -> None:
        super().__init__(parent)
        self._needle = needle_source  # callable returning the current lower-case needle
        self.highlight = QColor(255, 214, 0, 150)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        needle = self._needle()
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if not needle or "\n" in text or needle not in text.lower():
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        rect = rect.adjusted(3, 0, -3, 0)
        metrics = opt.fontMetrics
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        painter.save()
        painter.setClipRect(rect)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        for start, end in match_spans(elided, needle):
            x = rect.left() + metrics.horizontalAdvance(elided[:start])
            w = metrics.horizontalAdvance(elided[start:end])
            painter.fillRect(QRect(x, rect.top() + 2, w, rect.height() - 4), self.highlight)
        role = opt.palette.ColorRole.HighlightedText if selected else opt.palette.ColorRole.Text
        painter.setPen(opt.palette.color(role))
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), elided
        )
        painter.restore()
