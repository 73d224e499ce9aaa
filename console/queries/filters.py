"""Turning a filter dictionary (the pages.py vocabulary) into SQL conditions.

Every value is a bound parameter; only fixed SQL fragments of this module are
pasted into the statement text.  Invalid input raises :class:`FilterError` with
a message meant for the operator.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict, cast

from console.jsonsafe import JsonInputError, loads_for_postgres
from models.vocab import (
    EVENT_STATUSES,
    EXECUTION_STATUSES,
    HEALTH_STATUSES,
    INTEGRATION_TYPES,
    LOG_LEVELS,
    WORKFLOW_STATUSES,
    levels_at_least,
)

TIME_RANGES: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
TIME_RANGE_LABELS: dict[str, str] = {
    "15m": "last 15 min",
    "1h": "last 1 h",
    "24h": "last 24 h",
    "7d": "last 7 days",
}
FILTER_KEYS: tuple[str, ...] = (
    "status",
    "workflow_id",
    "execution_id",
    "integration_id",
    "time_from",
    "time_to",
    "time_range",
    "trigger_type",
    "min_level",
    "integration_type",
    "health",
    "text",
    "json",
)
# What each page filters on (total=False: a missing key does not filter).  Values are
# as the operator or a link gave them; the *_where builders check and convert them.
OneOrMany = str | list[str]  # a multi-choice: one value or several
IdText = str | uuid.UUID  # a row id, as text or a UUID
TimeBound = str | datetime  # ISO text or a datetime


class _TimeFilters(TypedDict, total=False):
    time_range: str  # a key of TIME_RANGES
    time_from: TimeBound
    time_to: TimeBound


class WorkflowFilters(_TimeFilters, total=False):
    status: OneOrMany
    workflow_id: IdText
    text: str  # name or created_by contains it
    json: str  # config contains this JSON


class ExecutionFilters(_TimeFilters, total=False):
    status: OneOrMany
    workflow_id: IdText
    execution_id: IdText
    trigger_type: OneOrMany
    text: str  # an id or the start of an execution_id


class LogFilters(_TimeFilters, total=False):
    min_level: str
    execution_id: IdText
    workflow_id: IdText
    text: str  # an execution id or words of the message


class IntegrationFilters(TypedDict, total=False):
    integration_id: IdText
    integration_type: OneOrMany
    health: OneOrMany
    text: str  # name contains it
    json: str  # config contains this JSON


class EventFilters(_TimeFilters, total=False):
    status: OneOrMany
    integration_id: IdText
    integration_type: OneOrMany
    text: str  # the start of the event type
    json: str  # payload contains this JSON


class TableFilters(
    WorkflowFilters, ExecutionFilters, LogFilters, IntegrationFilters, EventFilters, total=False
):
    """Every filter key of every page (FILTER_KEYS): what generic code (the window query,
    saved filters and views, links) carries; each page's builder reads its own keys."""


# The type each filter value must have (filters saved in console.ini come back as any JSON).
_MULTI = ("status", "trigger_type", "integration_type", "health")
_TYPES: dict[str, tuple[type, ...]] = {
    **{key: (str, list) for key in _MULTI},
    **{key: (str, uuid.UUID) for key in ("workflow_id", "execution_id", "integration_id")},
    "time_from": (str, datetime),
    "time_to": (str, datetime),
    **{key: (str,) for key in ("time_range", "min_level", "text", "json")},
}
# Without an index on the column, a containment or text search reads at most this far back.
UNINDEXED_SEARCH_SPAN = timedelta(hours=24)


class FilterError(ValueError):
    """A filter value the operator has to fix; ``str()`` says what and where."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class Where:
    """SQL conditions (joined by AND), their parameters, and notes for the operator."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "TRUE"


def _new_where(filters: Mapping[str, Any]) -> Where:
    """An empty Where, once the filter values are known to be storable text.

    PostgreSQL text cannot hold NUL, and UTF-8 cannot encode a lone surrogate
    (U+D800-U+DFFF, e.g. from a broken paste); refusing them here gives a message
    instead of a driver error.
    """
    for key, value in filters.items():
        _check_type(key, value)
        items = value if isinstance(value, list | tuple | set) else [value]
        for item in items:
            if not isinstance(item, str):
                continue
            if "\x00" in item:
                raise FilterError(key, "Filters cannot contain the NUL character")
            if _SURROGATE.search(item):
                raise FilterError(key, "Filters cannot contain a lone surrogate (U+D800-U+DFFF)")
    return Where()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_type(key: str, value: Any) -> None:
    allowed = _TYPES.get(key)
    if allowed is None or value is None:
        return
    if isinstance(value, tuple | set) and list in allowed:
        value = list(value)
    wanted = "text or a list of text" if list in allowed else "text"
    if not isinstance(value, allowed) or isinstance(value, bool):
        raise FilterError(key, f"{key} must be {wanted}, not {type(value).__name__}")
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise FilterError(key, f"{key} must be {wanted}, not a list holding other values")


def usable_filters(
    filters: Any, where: Callable[[TableFilters], Where]
) -> tuple[TableFilters, list[tuple[str, str]]]:
    """The filters ``where`` accepts, and (key, message) for each one it had to drop.

    For filters read back from settings: a hand-edited or outdated entry loses only
    its own key, never the page (``where`` is the page's condition builder).
    """
    if not isinstance(filters, dict):
        return {}, [("filters", f"not a set of filters: {str(filters)[:40]!r}")]
    kept = normalized(filters)
    dropped: list[tuple[str, str]] = []
    while True:
        try:
            where(kept)
        except FilterError as exc:
            if exc.field not in kept:
                dropped.extend((key, str(exc)) for key in kept)
                return {}, dropped
            kept.pop(exc.field)  # type: ignore[misc]  # exc.field is a key of the vocabulary
            dropped.append((exc.field, str(exc)))
            continue
        return kept, dropped


def escape_like(text: str) -> str:
    """Escape ``\\``, ``%`` and ``_`` for a LIKE pattern using the default escape ``\\``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """Bounds ``[lo, hi)`` of the strings starting with ``prefix`` in code-point order.

    The range lets a plain btree index (``uq_execution_id``) serve a prefix search,
    which LIKE alone cannot outside the C collation.  The LIKE stays next to it, so
    the answer is never wrong; under a linguistic collation the range may miss rows.
    ``hi`` skips the surrogates (U+D800-U+DFFF cannot be sent as UTF-8) and is
    ``None`` when there is no string above the prefix (every character U+10FFFF).
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return prefix, "".join(chars)
        chars.pop()
    return prefix, None


def parse_json_filter(text: str) -> Any:
    """Parse the JSON of a containment filter; the error names line and column."""
    try:
        return loads_for_postgres(text)
    except JsonInputError as exc:
        if exc.line is not None:
            raise FilterError(
                "json", f"Invalid JSON at line {exc.line}, column {exc.column}: {exc.message}"
            ) from None
        raise FilterError("json", f"Invalid JSON: {exc.message}") from None


def as_uuid(value: Any, field_name: str) -> str:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise FilterError(field_name, f"Not an id: {str(value)[:60]!r}") from None


def looks_like_uuid(text: str) -> bool:
    try:
        uuid.UUID(text.strip())
    except ValueError:
        return False
    return True


def as_datetime(value: Any, field_name: str) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise FilterError(field_name, f"Not a date and time: {str(value)[:60]!r}") from None
    return local_aware(dt)


def local_aware(dt: datetime) -> datetime:
    """``dt`` as typed: naive means the machine's local time.

    ``astimezone()`` looks the zone up a day either side and fails near
    0001-01-01 and 9999-12-31; there the zone's offset of today is used.
    """
    if dt.tzinfo is not None:
        return dt
    try:
        return dt.astimezone()
    except (OverflowError, ValueError, OSError):
        return dt.replace(tzinfo=datetime.now().astimezone().tzinfo)


def checked_list(filters: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> list[str]:
    raw = filters.get(key)
    if raw is None or raw == "" or raw == []:
        return []
    values = [raw] if isinstance(raw, str) else list(raw)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise FilterError(key, f"Unknown {key.replace('_', ' ')}: {', '.join(map(str, bad))}")
    return values


def free_list(filters: Mapping[str, Any], key: str, max_len: int = 255) -> list[str]:
    """Values of a free-text column (``trigger_type``: the engine may write any)."""
    raw = filters.get(key)
    if raw is None or raw == "" or raw == []:
        return []
    values = [raw] if isinstance(raw, str) else list(raw)
    bad = [v for v in values if not isinstance(v, str) or not v or len(v) > max_len]
    if bad:
        raise FilterError(key, f"Not a {key.replace('_', ' ')}: {str(bad[0])[:40]!r}")
    return values


def normalized(filters: Mapping[str, Any]) -> TableFilters:
    """Drop empty values and unknown keys (pages ignore keys that do not apply).

    The values are not checked here (the page's builder does): the result is typed as
    the vocabulary's keys, each holding what the caller gave.
    """
    out: dict[str, Any] = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None or value == "" or value == [] or value == ():
            continue
        out[key] = list(value) if isinstance(value, tuple | set) else value
    return cast(TableFilters, out)


def time_conditions(where: Where, filters: _TimeFilters, column: str) -> bool:
    """Time range on ``column``; True when some bound was set."""
    bounded = False
    time_range = filters.get("time_range")
    if time_range:
        if time_range not in TIME_RANGES:
            raise FilterError("time_range", f"Unknown time range: {time_range!r}")
        where.add(f"{column} >= now() - :tr_span", tr_span=TIME_RANGES[time_range])
        bounded = True
    if filters.get("time_from"):
        where.add(f"{column} >= :t_from", t_from=as_datetime(filters["time_from"], "time_from"))
        bounded = True
    if filters.get("time_to"):
        where.add(f"{column} < :t_to", t_to=as_datetime(filters["time_to"], "time_to"))
        bounded = True
    return bounded


def _in(where: Where, column: str, name: str, values: list[str]) -> None:
    if values:
        where.add(f"{column} = ANY(:{name})", **{name: values})


EXEC_ID_RE = re.compile(r"^exec-[0-9A-Za-z_-]*$")


def workflows_where(filters: WorkflowFilters, a: str = "w") -> Where:
    where = _new_where(filters)
    _in(where, f"{a}.status", "f_status", checked_list(filters, "status", WORKFLOW_STATUSES))
    if filters.get("workflow_id"):
        where.add(f"{a}.id = :f_wf", f_wf=as_uuid(filters["workflow_id"], "workflow_id"))
    time_conditions(where, filters, f"{a}.created_at")
    text = str(filters.get("text") or "").strip()
    if text:
        where.add(
            f"({a}.name ILIKE :f_text OR {a}.created_by ILIKE :f_text)",
            f_text=f"%{escape_like(text)}%",
        )
    if filters.get("json"):
        doc = parse_json_filter(str(filters["json"]))
        where.add(f"CAST({a}.config AS jsonb) @> CAST(:f_json AS jsonb)", f_json=json.dumps(doc))
    return where


def executions_where(filters: ExecutionFilters, a: str = "e") -> Where:
    where = _new_where(filters)
    _in(where, f"{a}.status", "f_status", checked_list(filters, "status", EXECUTION_STATUSES))
    if filters.get("workflow_id"):
        where.add(f"{a}.workflow_id = :f_wf", f_wf=as_uuid(filters["workflow_id"], "workflow_id"))
    if filters.get("execution_id"):
        where.add(f"{a}.id = :f_exec", f_exec=as_uuid(filters["execution_id"], "execution_id"))
    _in(
        where,
        f"{a}.trigger_type",
        "f_trigger",
        free_list(filters, "trigger_type"),
    )
    time_conditions(where, filters, f"{a}.started_at")
    text = str(filters.get("text") or "").strip()
    if text:
        if looks_like_uuid(text):
            where.add(f"{a}.id = :f_text_id", f_text_id=as_uuid(text, "text"))
        else:
            lo, hi = prefix_range(text)
            where.add(
                f"{a}.execution_id LIKE :f_text AND {a}.execution_id >= :f_lo",
                f_text=f"{escape_like(text)}%",
                f_lo=lo,
            )
            if hi is not None:
                where.add(f"{a}.execution_id < :f_hi", f_hi=hi)
    return where


def _execution_ids(where: Where, text: str) -> str:
    """SQL for the ids of executions whose ``execution_id`` starts with ``text``
    (the range lets ``uq_execution_id`` serve it; see :func:`prefix_range`)."""
    lo, hi = prefix_range(text)
    where.params.update(f_exec_like=f"{escape_like(text)}%", f_exec_lo=lo)
    cond = "execution_id LIKE :f_exec_like AND execution_id >= :f_exec_lo"
    if hi is not None:
        where.params["f_exec_hi"] = hi
        cond += " AND execution_id < :f_exec_hi"
    return f"ARRAY(SELECT id FROM workflow_executions WHERE {cond})"


def logs_where(filters: LogFilters, a: str = "l") -> Where:
    where = _new_where(filters)
    level = filters.get("min_level")
    if level:
        if str(level).upper() not in LOG_LEVELS:
            raise FilterError("min_level", f"Unknown log level: {level!r}")
        levels = list(levels_at_least(str(level)))
        if len(levels) < len(LOG_LEVELS):
            where.add(f"{a}.level = ANY(:f_levels)", f_levels=levels)
    if filters.get("execution_id"):
        where.add(
            f"{a}.execution_id = :f_exec", f_exec=as_uuid(filters["execution_id"], "execution_id")
        )
    if filters.get("workflow_id"):
        where.add(
            f"{a}.execution_id IN (SELECT id FROM workflow_executions WHERE workflow_id = :f_wf)",
            f_wf=as_uuid(filters["workflow_id"], "workflow_id"),
        )
    bounded = time_conditions(where, filters, f"{a}.created_at")
    text = str(filters.get("text") or "").strip()
    if text:
        if looks_like_uuid(text):
            where.add(f"{a}.execution_id = :f_text_id", f_text_id=as_uuid(text, "text"))
        elif EXEC_ID_RE.match(text):
            where.add(f"{a}.execution_id = ANY({_execution_ids(where, text)})")
        elif not any(ch.isspace() for ch in text):
            # One token: an execution id of any format (the engine's
            # ``pr-review_2026-12-01T14:51:25.318347``), exact or prefix, or a word of a
            # message.  ANY(ARRAY(...)) and the created_at range each use an index.
            message = f"{a}.message ILIKE :f_text"
            if not bounded:
                message = f"({a}.created_at >= now() - :f_span AND {message})"
                where.params["f_span"] = UNINDEXED_SEARCH_SPAN
                where.notes.append(
                    "searching execution ids, and messages of the last 24 h (no index on message)"
                )
            where.add(
                f"({a}.execution_id = ANY({_execution_ids(where, text)}) OR {message})",
                f_text=f"%{escape_like(text)}%",
            )
        else:
            if not bounded:
                where.add(f"{a}.created_at >= now() - :f_span", f_span=UNINDEXED_SEARCH_SPAN)
                where.notes.append("message search covers the last 24 h (no index on message)")
            where.add(f"{a}.message ILIKE :f_text", f_text=f"%{escape_like(text)}%")
    return where


def integrations_where(filters: IntegrationFilters, a: str = "i") -> Where:
    where = _new_where(filters)
    if filters.get("integration_id"):
        where.add(f"{a}.id = :f_int", f_int=as_uuid(filters["integration_id"], "integration_id"))
    _in(
        where,
        f"{a}.type",
        "f_itype",
        checked_list(filters, "integration_type", INTEGRATION_TYPES),
    )
    _in(where, f"{a}.health_status", "f_health", checked_list(filters, "health", HEALTH_STATUSES))
    text = str(filters.get("text") or "").strip()
    if text:
        where.add(f"{a}.name ILIKE :f_text", f_text=f"%{escape_like(text)}%")
    if filters.get("json"):
        doc = parse_json_filter(str(filters["json"]))
        where.add(f"CAST({a}.config AS jsonb) @> CAST(:f_json AS jsonb)", f_json=json.dumps(doc))
    return where


def events_where(filters: EventFilters, a: str = "v") -> Where:
    where = _new_where(filters)
    _in(where, f"{a}.status", "f_status", checked_list(filters, "status", EVENT_STATUSES))
    if filters.get("integration_id"):
        where.add(
            f"{a}.integration_id = :f_int",
            f_int=as_uuid(filters["integration_id"], "integration_id"),
        )
    itypes = checked_list(filters, "integration_type", INTEGRATION_TYPES)
    if itypes:
        where.add(
            f"{a}.integration_id IN (SELECT id FROM integrations WHERE type = ANY(:f_itype))",
            f_itype=itypes,
        )
    bounded = time_conditions(where, filters, f"{a}.created_at")
    text = str(filters.get("text") or "").strip()
    if text:
        where.add(f"{a}.event_type LIKE :f_text", f_text=f"{escape_like(text)}%")
    if filters.get("json"):
        doc = parse_json_filter(str(filters["json"]))
        if not bounded:
            where.add(f"{a}.created_at >= now() - :f_span", f_span=UNINDEXED_SEARCH_SPAN)
            where.notes.append("payload search covers the last 24 h (payload has no index)")
        where.add(f"CAST({a}.payload AS jsonb) @> CAST(:f_json AS jsonb)", f_json=json.dumps(doc))
    return where
