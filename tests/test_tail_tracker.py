"""The tail's bookkeeping on its own: snapshots, the id set, its pruning and its cap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.tail.tracker import Floor, Snapshot, SnapshotTracker

FLOOR = Floor(datetime(2026, 11, 25, tzinfo=UTC), True)


def test_snapshot_text_round_trip_and_visibility():
    snap = Snapshot.parse("100:110:103,105")
    assert snap == Snapshot(100, 110, (103, 105))
    assert snap.text() == "100:110:103,105"
    assert Snapshot.parse("7:7:") == Snapshot(7, 7, ())
    assert snap.sees(99) and snap.sees(104)
    assert not snap.sees(103) and not snap.sees(110) and not snap.sees(200)


def test_params_need_a_start():
    tracker = SnapshotTracker()
    with pytest.raises(RuntimeError):
        tracker.params()
    tracker.advance(Snapshot(10, 12, (11,)), FLOOR)
    assert tracker.params() == {
        "prev": "10:12:11",
        "horizon": 10,
        "floor": FLOOR.at,
        "blind": False,
    }


def test_an_id_is_admitted_once_and_forgotten_below_the_horizon():
    tracker = SnapshotTracker()
    tracker.advance(Snapshot(10, 20, (12,)), FLOOR)
    assert tracker.admit("a", 15, fresh=True)
    assert not tracker.admit("a", 15, fresh=True)  # never twice
    assert not tracker.admit("a", 15, fresh=False)
    assert tracker.admit("b", 12, fresh=False)  # ambiguous, unseen: shown
    tracker.remember("old", 5)  # below the horizon: nothing to remember
    assert tracker.seen_count() == 2
    tracker.advance(Snapshot(16, 25, ()), FLOOR)
    assert tracker.seen_count() == 0  # 12 and 15 are below the new horizon


def test_the_cap_evicts_the_oldest_and_treats_older_ambiguous_rows_as_seen():
    tracker = SnapshotTracker(seen_cap=3)
    tracker.advance(Snapshot(1, 100, ()), FLOOR)
    for xid, row in enumerate("abcd", start=10):
        assert tracker.admit(row, xid, fresh=True)
    assert tracker.seen_count() == 3  # "a" (xid 10) went
    assert not tracker.admit("a", 10, fresh=False)  # ambiguous and evicted: not repeated
    assert tracker.admit("z", 10, fresh=True)  # certainly new: shown
    assert tracker.admit("y", 50, fresh=False)  # ambiguous but above what was evicted
