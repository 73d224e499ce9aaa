"""How times read in the window: relative ("3 min ago"), exact on hover, local or UTC.

The UTC toggle is global: ``set_utc(True)`` switches every exact time to UTC and
emits ``time_events().utc_changed`` so that pages re-format what they show.
One policy for every page:

* how long ago (list columns of things that last: Started, Updated, Received): :func:`relative`
* when, in a stream of events (log lines on the Logs page and the live tail, the audit
  trail): :func:`clock`
* a time next to a live "Elapsed" column (the Overview): :func:`short`
* the marks under a time axis (the Overview's chart): :func:`axis`
* details and every tooltip: :func:`exact` (with milliseconds in tooltips)
* spans of time: :func:`duration`
* copy and export: ISO 8601 with its offset (``datetime.isoformat``), never text like "42 s ago"

Functions take aware ``datetime`` values (``TIMESTAMP WITH TIME ZONE``); naive
values are taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, Signal


class _TimeEvents(QObject):
    utc_changed = Signal(bool)


_events: _TimeEvents | None = None
_use_utc = False


def time_events() -> _TimeEvents:
    """``time_events().utc_changed(bool)`` fires when the UTC toggle changes.

    The emitter lives for the whole process: connect bound methods of QObjects (Qt drops
    them when their object is deleted), never lambdas, which would outlive their widget.
    """
    global _events
    if _events is None:
        _events = _TimeEvents()
    return _events


def use_utc() -> bool:
    return _use_utc


def set_utc(on: bool) -> None:
    global _use_utc
    on = bool(on)
    if on == _use_utc:
        return
    _use_utc = on
    time_events().utc_changed.emit(on)


def now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def to_display_tz(dt: datetime) -> datetime:
    """``dt`` in the zone the operator chose (UTC or the machine's local zone)."""
    dt = _aware(dt)
    try:
        return dt.astimezone(UTC) if _use_utc else dt.astimezone()
    except (OverflowError, ValueError, OSError):
        return dt  # within a day of 0001-01-01 or 9999-12-31: shown in its own zone


def exact(dt: datetime | None, *, millis: bool = False) -> str:
    """``2026-11-25 09:03:12 CET`` (or ``... UTC``); empty for None."""
    if dt is None:
        return ""
    local = to_display_tz(dt)
    text = local.isoformat(sep=" ", timespec="seconds")[:19]  # strftime writes year 1 as "1"
    if millis:
        text += f".{local.microsecond // 1000:03d}"
    zone = "UTC" if _use_utc and local.utcoffset() == timedelta(0) else _zone_name(local)
    return f"{text} {zone}"


def short(dt: datetime | None, reference: datetime | None = None) -> str:
    """A compact absolute time: ``09:03:12`` today, ``Nov 24 09:03`` this year, else the date."""
    if dt is None:
        return ""
    local = to_display_tz(dt)
    ref = to_display_tz(reference or now())
    if local.date() == ref.date():
        return local.strftime("%H:%M:%S")
    if local.year == ref.year:
        return local.strftime("%b %d %H:%M")
    return local.date().isoformat()


def clock(dt: datetime | None, reference: datetime | None = None) -> str:
    """A log line's time, short and ordered: ``09:03:12.345`` today, else ``11-24 09:03:12``
    this year, else the date and time; the full timestamp goes in the tooltip."""
    if dt is None:
        return ""
    local = to_display_tz(dt)
    ref = to_display_tz(reference or now())
    if local.date() == ref.date():
        return f"{local:%H:%M:%S}.{local.microsecond // 1000:03d}"
    text = local.isoformat(sep=" ", timespec="seconds")[:19]
    return text[5:] if local.year == ref.year else text


def axis(dt: datetime, step: timedelta) -> str:
    """A mark on a time axis whose marks are ``step`` apart: ``Nov 24`` for whole days,
    else the time of day ``09:00`` (the first part of :func:`short`'s forms)."""
    local = to_display_tz(dt)
    if step >= timedelta(days=1):
        return local.strftime("%b %d")
    return local.strftime("%H:%M")


def _zone_name(dt: datetime) -> str:
    return dt.tzname() or dt.strftime("%z")


def relative(dt: datetime | None, reference: datetime | None = None) -> str:
    """``just now``, ``42 s ago``, ``3 min ago``, ``5 h ago``, ``2 d ago``, ``in 3 min``; beyond
    30 days the date."""
    if dt is None:
        return ""
    ref = _aware(reference) if reference is not None else now()
    delta = (ref - _aware(dt)).total_seconds()
    future = delta < 0
    secs = abs(delta)
    if secs < 5:
        return "just now"
    if secs < 60:
        amount = f"{int(secs)} s"
    elif secs < 3600:
        amount = f"{int(secs // 60)} min"
    elif secs < 86400:
        amount = f"{int(secs // 3600)} h"
    elif secs < 30 * 86400:
        amount = f"{int(secs // 86400)} d"
    else:
        return to_display_tz(dt).date().isoformat()
    return f"in {amount}" if future else f"{amount} ago"


def duration(value: timedelta | float | None) -> str:
    """``850 ms``, ``12.3 s``, ``4 min 05 s``, ``2 h 03 min``, ``3 d 4 h``; empty for None."""
    if value is None:
        return ""
    secs = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if secs < 0:
        secs = 0.0
    if secs < 1:
        return f"{round(secs * 1000)} ms"
    if secs < 60:
        return f"{secs:.1f} s"
    secs_i = int(secs)
    if secs_i < 3600:
        return f"{secs_i // 60} min {secs_i % 60:02d} s"
    if secs_i < 86400:
        return f"{secs_i // 3600} h {(secs_i % 3600) // 60:02d} min"
    return f"{secs_i // 86400} d {(secs_i % 86400) // 3600} h"


def tooltip(dt: datetime | None) -> str:
    """Exact time with the relative one: for a cell's tooltip."""
    if dt is None:
        return ""
    return f"{exact(dt, millis=True)} ({relative(dt)})"


__all__ = [
    "axis",
    "duration",
    "exact",
    "now",
    "relative",
    "set_utc",
    "short",
    "time_events",
    "to_display_tz",
    "tooltip",
    "use_utc",
]
