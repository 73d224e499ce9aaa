"""Reading the Overview: one background task for every panel, with the range and the
stuck threshold the operator chose (remembered), and the server's clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from console.queries.overview import (
    DEFAULT_RANGE,
    TIME_RANGES,
    BucketCache,
    OverviewParams,
    OverviewSnapshot,
    StatsCache,
    load_overview,
)
from console.ui import settings
from console.ui.overview.panels import DEFAULT_STUCK_MINUTES, MAX_STUCK_MINUTES

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.ui.pages import PageContext

TASK_KEY = "overview"


def remembered_range() -> str:
    key = settings.OVERVIEW_RANGE.get()
    return key if key in TIME_RANGES else DEFAULT_RANGE


def remembered_stuck_minutes() -> int:
    minutes = settings.OVERVIEW_STUCK_MINUTES.get()
    return minutes if 1 <= minutes <= MAX_STUCK_MINUTES else DEFAULT_STUCK_MINUTES


class OverviewLoader(QObject):
    """Reads snapshots off the GUI thread; ``loaded(snapshot)`` or ``failed(exception)``.

    The bucket and statistics caches live as long as one database: a read only asks
    for what changed since the last.
    """

    loaded = Signal(object)  # OverviewSnapshot
    failed = Signal(object)  # BaseException

    def __init__(self, ctx: PageContext, parent: QObject) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.db: Database | None = None
        self.offset = timedelta(0)  # server clock minus local clock
        self.params = OverviewParams(
            range_key=remembered_range(),
            workflow_limit=None,
            stuck_event_after=timedelta(minutes=remembered_stuck_minutes()),
        )
        self._buckets = BucketCache()
        self._stats = StatsCache()

    def set_database(self, db: Database | None) -> None:
        self._ctx.runner.invalidate(TASK_KEY)
        self.db = db
        self._buckets = BucketCache()
        self._stats = StatsCache()

    def now(self) -> datetime:
        """The server's clock, advanced locally since the last snapshot."""
        return datetime.now(UTC) + self.offset

    def set_range(self, key: str) -> None:
        settings.OVERVIEW_RANGE.put(key)
        self.params = replace(self.params, range_key=key)

    def set_stuck_minutes(self, minutes: int) -> None:
        settings.OVERVIEW_STUCK_MINUTES.put(minutes)
        self.params = replace(self.params, stuck_event_after=timedelta(minutes=minutes))

    def refresh(self) -> None:
        db = self.db
        if db is None:
            return
        engine, params = db.reader, self.params
        buckets, stats = self._buckets, self._stats

        def work() -> OverviewSnapshot:
            with engine.connect() as conn:
                return load_overview(conn, params, bucket_cache=buckets, stats_cache=stats)

        self._ctx.runner.submit(work, self._done, self.failed.emit, owner=self, key=TASK_KEY)

    def _done(self, snap: OverviewSnapshot) -> None:
        if self.db is None:
            return
        self.offset = snap.window.now - datetime.now(UTC)
        self.loaded.emit(snap)
