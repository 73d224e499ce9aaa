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
    """Single-line cells of ``columns``: matches get a highlight box; the rest paint as usual."""

    def __init__(self, needle_source, columns: frozenset[int], parent=None) -> None:
        super().__init__(parent)
        self._needle = needle_source  # callable returning the current lower-case needle
        self._columns = columns
        self.highlight = QColor(255, 214, 0, 150)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        needle = self._needle()
        text = (index.data(Qt.ItemDataRole.DisplayRole) or "") if needle else ""
        if (
            not needle
            or index.column() not in self._columns
            or "\n" in text
            or needle not in text.lower()
        ):
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
        line = metrics.boundingRect(rect, opt.displayAlignment, elided)
        for start, end in match_spans(elided, needle):
            x = rect.left() + metrics.horizontalAdvance(elided[:start])
            w = metrics.horizontalAdvance(elided[start:end])
            painter.fillRect(QRect(x, line.top(), w, line.height()), self.highlight)
        role = opt.palette.ColorRole.HighlightedText if selected else opt.palette.ColorRole.Text
        painter.setPen(opt.palette.color(role))
        painter.drawText(rect, opt.displayAlignment, elided)
        painter.restore()
