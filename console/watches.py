"""Watches: what the operator asked to be told about, and the problems found for them.

A watch names an execution (by execution_id), a workflow or an integration (by
name), or the event queue.  Problems: a watched execution ended ``failed`` or
``timeout``; a watched workflow's failure rate over the last ``window_s``
passed ``failure_rate`` (at least ``min_runs`` finished); an execution (watched,
or of a watched workflow) has run longer than ``stuck_s``; a watched integration
is unhealthy or its oldest pending event, or the queue's, is older than
``queue_age_s``.  All watches of a profile are evaluated by one statement
(:mod:`console.queries.watches`).  Stored per profile as JSON; no Qt here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from console.links import RowKind

WatchKind = Literal["execution", "workflow", "integration", "queue"]
WATCH_KINDS: tuple[WatchKind, ...] = ("execution", "workflow", "integration", "queue")


@dataclass(frozen=True)
class Thresholds:
    failure_rate: float = 0.5
    min_runs: int = 3
    window_s: int = 3600
    stuck_s: int = 3600
    queue_age_s: int = 900


@dataclass(frozen=True)
class Watch:
    kind: WatchKind
    target: str = ""  # execution_id, workflow or integration name; "" for the queue

    def describe(self) -> str:
        return "the event queue" if self.kind == "queue" else f"{self.kind} {self.target}"


@dataclass(frozen=True)
class Problem:
    key: str  # stable while the problem lasts: one notification per key
    watch: Watch
    title: str
    body: str
    link_kind: RowKind  # what clicking opens
    link_target: str


@dataclass
class WatchList:
    watches: list[Watch] = field(default_factory=list)
    thresholds: Thresholds = field(default_factory=Thresholds)

    def add(self, watch: Watch) -> bool:
        if watch.kind not in WATCH_KINDS:
            raise ValueError(f"unknown watch kind {watch.kind!r}")
        if watch in self.watches:
            return False
        self.watches.append(watch)
        return True

    def remove(self, watch: Watch) -> bool:
        if watch in self.watches:
            self.watches.remove(watch)
            return True
        return False

    def targets(self, kind: WatchKind) -> list[str]:
        return [w.target for w in self.watches if w.kind == kind]

    def to_json(self) -> str:
        return json.dumps(
            {"watches": [asdict(w) for w in self.watches], "thresholds": asdict(self.thresholds)}
        )

    @classmethod
    def from_json(cls, text: str | None) -> WatchList:
        """The stored list; anything unreadable is left out (never an exception)."""
        try:
            data: Any = json.loads(text) if text else {}
        except (TypeError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        watches = []
        for item in data.get("watches") or []:
            if not isinstance(item, dict):
                continue
            kind = next((k for k in WATCH_KINDS if item.get("kind") == k), None)
            if kind is not None:
                watches.append(Watch(kind, str(item.get("target") or "")))
        known = Thresholds.__dataclass_fields__
        raw = data.get("thresholds") if isinstance(data.get("thresholds"), dict) else {}
        values = {}
        for k, v in raw.items():
            if k in known and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0:
                values[k] = type(getattr(Thresholds(), k))(v)
        return cls(list(dict.fromkeys(watches)), Thresholds(**values))
