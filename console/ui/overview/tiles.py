"""Panel 4 and 5: integration health tiles and the event-queue card.

Tiles are kept by integration id and updated in place; only integrations that
appear or disappear add or remove a tile.  The grid re-flows on resize.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from console.queries.overview import EventQueue, IntegrationHealth
from console.ui import theme, timefmt
from console.ui.plain import make_plain, plain_tip

TILE_WIDTH = 200


class _Clickable(QFrame):
    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFrameShape(QFrame.Shape.StyledPanel)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class IntegrationTile(_Clickable):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(TILE_WIDTH)
        self.integration: IntegrationHealth | None = None
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.detail = QLabel()
        self.checked = QLabel()
        make_plain(self.detail, self.checked)  # health status and type come from the database
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.setSpacing(1)
        for label in (self.name, self.detail, self.checked):
            layout.addWidget(label)

    def set_integration(self, integ: IntegrationHealth, now: datetime) -> None:
        self.integration = integ
        self.name.setText(integ.name)
        self.setObjectName("overviewTile")
        self.detail.setText(f"{integ.health_status} · {integ.type}")
        colour = theme.health_color(integ.health_status)
        muted = theme.muted_color().name()
        self.setStyleSheet(
            f"#overviewTile {{ border: 1px solid {colour.name()};"
            f" border-left: 6px solid {colour.name()}; border-radius: 4px; }}"
            f" #overviewTile QLabel {{ border: none; }}"
        )
        self.detail.setStyleSheet(f"color: {muted};")
        self.checked.setStyleSheet(f"color: {muted};")
        self.setToolTip(
            plain_tip(
                f"{integ.name} ({integ.type})\nhealth: {integ.health_status}\n"
                f"last check: {timefmt.exact(integ.last_health_check) or 'never'}\n"
                "click: open this integration"
            )
        )
        self.tick(now)

    def tick(self, now: datetime) -> None:
        integ = self.integration
        if integ is None:
            return
        if integ.last_health_check is None:
            checked = "never checked"
        else:
            checked = "checked " + timefmt.relative(integ.last_health_check, now)
        if not integ.enabled:
            checked = "disabled · " + checked.removeprefix("checked ")
        self.checked.setText(checked)


class IntegrationTiles(QWidget):
    """One tile per integration, re-flowed into as many columns as fit."""

    tile_clicked = Signal(object)  # IntegrationHealth

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: dict[uuid.UUID, IntegrationTile] = {}
        self._order: list[uuid.UUID] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(6)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.empty = QLabel("No integrations are configured.")
        self._columns = 0
        # the width comes from the page; the grid re-flows to it instead of imposing its own
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_integrations(self, items: Sequence[IntegrationHealth], now: datetime) -> None:
        seen = set()
        for integ in items:
            seen.add(integ.id)
            tile = self.tiles.get(integ.id)
            if tile is None:
                tile = IntegrationTile(self)
                tile.clicked.connect(lambda t=tile: self._clicked(t))
                self.tiles[integ.id] = tile
            tile.set_integration(integ, now)
        for gone in set(self.tiles) - seen:
            tile = self.tiles.pop(gone)
            self._grid.removeWidget(tile)
            tile.hide()
            tile.setParent(None)
            tile.deleteLater()
        self._order = [i.id for i in items]
        self.empty.setStyleSheet(f"color: {theme.muted_color().name()};")
        self._reflow(force=True)

    def tick(self, now: datetime) -> None:
        for tile in self.tiles.values():
            tile.tick(now)

    def _clicked(self, tile: IntegrationTile) -> None:
        if tile.integration is not None:
            self.tile_clicked.emit(tile.integration)

    def _reflow(self, force: bool = False) -> None:
        columns = max(1, (self.width() + self._grid.spacing()) // (TILE_WIDTH + 6))
        if columns == self._columns and not force:
            return
        self._columns = columns
        while self._grid.count():
            self._grid.takeAt(0)
        if not self._order:
            self._grid.addWidget(self.empty, 0, 0)
            self.empty.show()
            return
        self.empty.hide()
        for n, iid in enumerate(self._order):
            self._grid.addWidget(self.tiles[iid], n // columns, n % columns)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._reflow()


class QueueCard(QWidget):
    """Depth of the event queue and the age of its oldest pending event."""

    open_status = Signal(str)  # "pending" | "processing"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue: EventQueue | None = None
        self.pending = _Clickable()
        self.processing = _Clickable()
        self.pending_count = QLabel("–")
        self.processing_count = QLabel("–")
        self.oldest = QLabel("")
        self.processing_oldest = QLabel("")
        for frame, count, sub, title, status in (
            (self.pending, self.pending_count, self.oldest, "pending", "pending"),
            (
                self.processing,
                self.processing_count,
                self.processing_oldest,
                "processing",
                "processing",
            ),
        ):
            font = count.font()
            font.setPointSizeF(font.pointSizeF() * 1.8)
            font.setBold(True)
            count.setFont(font)
            box = QVBoxLayout(frame)
            box.setContentsMargins(10, 6, 10, 6)
            box.setSpacing(0)
            box.addWidget(QLabel(f"Events {title}"))
            box.addWidget(count)
            box.addWidget(sub)
            frame.setToolTip(f"click: open the {title} events")
            frame.clicked.connect(lambda s=status: self.open_status.emit(s))
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.pending, 0, 0)
        layout.addWidget(self.processing, 0, 1)

    def set_queue(self, queue: EventQueue | None, now: datetime) -> None:
        self.queue = queue
        if queue is None:
            self.pending_count.setText("–")
            self.processing_count.setText("–")
            self.oldest.setText("")
            self.processing_oldest.setText("")
            return
        self.pending_count.setText(f"{queue.pending:,}")
        self.processing_count.setText(f"{queue.processing:,}")
        muted = f"color: {theme.muted_color().name()};"
        self.oldest.setStyleSheet(muted)
        self.processing_oldest.setStyleSheet(muted)
        self.tick(now)

    def tick(self, now: datetime) -> None:
        q = self.queue
        if q is None:
            return
        self.oldest.setText(
            f"oldest waiting {timefmt.duration(now - q.oldest_pending_at)}"
            if q.oldest_pending_at is not None
            else "queue empty"
        )
        self.processing_oldest.setText(
            f"oldest since {timefmt.duration(now - q.oldest_processing_at)}"
            if q.oldest_processing_at is not None
            else "none in progress"
        )
