"""Python's cyclic garbage collector, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is
crossed.  When that is a query worker and the garbage holds Qt objects that
belong to the GUI thread, Qt destroys them from the wrong thread and aborts the
process.  So automatic collection is switched off and a timer on the GUI thread
collects instead, generation by generation, as the thresholds would have.

A full collection walks every tracked object: with the window, its pages and the
data layer loaded that is ~150,000 objects and 85 ms, a visible freeze.  Once
the first connection is up, ``settle`` freezes what exists then (modules,
widgets, the engine: they live as long as the process), so later full
collections walk only what was made since (measured: 85 ms → under 1 ms).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._settled = False
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        """Collect the young generation, and older ones as their thresholds say; objects freed.

        The young one is collected on every tick whatever its count says: the count is
        allocations minus frees, so a steady stream of long-lived objects balanced by
        frees of old ones (the live tail: 10,000 rows in, 10,000 trimmed each second)
        keeps it near zero while 100,000 objects pile up unexamined, and the collection
        that finally runs walks them all (40-70 ms measured).  Collected every tick, it
        walks what half a second made.
        """
        counts = gc.get_count()
        generation = 0
        if counts[1] > self._thresholds[1]:
            generation = 1
            if counts[2] > self._thresholds[2]:
                generation = 2
        return gc.collect(generation)

    def settle(self) -> bool:
        """Collect once, then leave what survives out of every later collection."""
        if self._settled:
            return False
        self._settled = True
        gc.collect()
        gc.freeze()
        return True

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()


_collector: GuiThreadCollector | None = None


def install(app: QObject) -> GuiThreadCollector:
    """Once per process, on the GUI thread, after the QApplication exists."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(app)
    return _collector


def settle() -> bool:
    """The window is up and connected (see ``GuiThreadCollector.settle``); once per process.

    A no-op where the application did not install the collector (tests under pytest-qt).
    """
    return _collector.settle() if _collector is not None else False
