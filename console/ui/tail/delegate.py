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


class RowPainter(HighlightDelegate):
    """Paints unwrapped cells straight from the model's precomputed strings.

    One call into Python per cell instead of the nine or so ``data()`` calls of
    the default delegate.  The paint costs the same on an idle machine, but each
    call into Python must take the interpreter lock, and while the tail's thread
    is busy every take can wait for its switch interval: fewer takes, shorter
    repaints under load.
    """

    def __init__(self, model, parent=None) -> None:
        super().__init__(lambda: model.needle, parent)
        self._model = model
        self._flags = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        model = self._model
        if model.wrapped:
            QStyledItemDelegate.paint(self, painter, option, index)
            return
        row = model.row_at(index.row())
        col = index.column()
        text = model.cell_text(row, col)
        rect = option.rect
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, palette.highlight())
            colour = palette.highlightedText().color()
        else:
            if option.features & QStyleOptionViewItem.ViewItemFeature.Alternate:
                painter.fillRect(rect, palette.alternateBase())
            colour = model.cell_colour(row, col) or palette.text().color()
        inner = rect.adjusted(4, 0, -4, 0)
        metrics = option.fontMetrics
        if metrics.horizontalAdvance(text) > inner.width():
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, inner.width())
        needle = model.needle
        if needle and col in model.highlighted_columns and needle in text.lower():
            for start, end in match_spans(text, needle):
                x = inner.left() + metrics.horizontalAdvance(text[:start])
                w = metrics.horizontalAdvance(text[start:end])
                painter.fillRect(QRect(x, inner.top() + 2, w, inner.height() - 4), self.highlight)
        painter.setPen(colour)
        painter.drawText(inner, self._flags, text)
