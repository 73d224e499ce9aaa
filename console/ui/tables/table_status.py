"""A table page's status: the row total (estimate or exact), notes, freshness, and the
empty-state text over the table when no row is there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from console.ui import theme
from console.ui.freshness import FreshnessLabel

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage


class TableStatus(QObject):
    """The status row under the table and the empty state over it."""

    def __init__(self, page: TablePage) -> None:
        super().__init__(page)
        self._page = page
        muted = theme.muted_color().name()
        self.empty = QLabel(page.view.viewport())
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {muted}; font-size: 13px;")
        self.count_label = QLabel(page)
        self.count_label.setObjectName("rowTotal")
        self.exact_button = QPushButton("Exact count", page)
        self.exact_button.setToolTip("Count the matching rows exactly (may take a second on 10M)")
        self.exact_button.setFlat(True)
        self.exact_button.clicked.connect(page.controller.exact_count)
        self.notes_label = QLabel(page)
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)  # notes quote filter values
        self.notes_label.setStyleSheet(f"color: {muted};")
        self.freshness = FreshnessLabel(page)

    def layout(self, *trailing: QWidget) -> QHBoxLayout:
        """The status row: total, exact count, freshness … then ``trailing`` and the notes."""
        row = QHBoxLayout()
        row.addWidget(self.count_label)
        row.addWidget(self.exact_button)
        row.addWidget(self.freshness)
        row.addStretch(1)
        for widget in trailing:
            row.addWidget(widget)
        row.addWidget(self.notes_label)
        return row

    def update(self) -> None:
        page = self._page
        m, controller = page.model, page.controller
        if page.db is None:
            self.count_label.setText("Not connected")
            self.exact_button.hide()
        elif controller.loading and not m.rows:
            self.count_label.setText("Loading…")
            self.exact_button.hide()
        elif m.total_exact:
            self.count_label.setText(f"{m.total:,} {page.noun}")
            self.exact_button.hide()
        else:
            note = controller.total_note
            detail = f"estimate, {note}" if note else "estimate"
            self.count_label.setText(f"≈ {m.total:,} {page.noun} ({detail})")
            self.exact_button.show()
        self.notes_label.setText(" · ".join(controller.notes))
        show = m.total == 0
        if show:
            self.empty.setText(page.empty_text())
            self.fit_empty()
        self.empty.setVisible(show)

    def fit_empty(self) -> None:
        self.empty.resize(self._page.view.viewport().size())
