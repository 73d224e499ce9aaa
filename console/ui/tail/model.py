"""A bounded, list-backed table model of tail lines, fed in batches.

Display strings are made once per line (``make_row``, on the tail's thread);
``data()`` only indexes tuples.  The model keeps every line it holds in
``_rows`` (delivery order) and the ones passing the level/text filter in
``_view``; a batch is one ``beginInsertRows``; trimming removes the oldest lines
in one ``beginRemoveRows`` once the count passes the capacity plus a slack.
"""

from __future__ import annotations

import struct
import threading
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.tail.lines import TailLine
from console.ui import theme, timefmt
from console.ui.plain import plain_tip
from models.vocab import LOG_LEVEL_RANK, LOG_LEVELS

DEFAULT_CAPACITY = 100_000

COL_TIME, COL_LEVEL, COL_EXECUTION, COL_STEP, COL_ACTION, COL_MESSAGE = range(6)
HEADERS = ("Time", "Level", "Execution", "Step", "Action", "Message")

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOP_LEFT = int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
_MID_LEFT = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
_HANDLED = frozenset((_DISPLAY, _FOREGROUND, _TOOLTIP, _ALIGN))
_MICROSECOND = timedelta(microseconds=1)
UNPACKED_CACHE = 2048  # rows kept unpacked for painting (a few screens' worth)


# A held line is one ``bytes`` object (``make_row``), unpacked into a ``TailRow``
# tuple only when shown (``unpack``: the ~40 rows a frame paints, a cell's tooltip).
# Bytes are atoms: CPython's cyclic collector never tracks them, so 100,000 held
# lines add nothing to the full collections that run on the GUI thread (a dataclass
# per row walked ~470,000 objects and froze the window for 100-300 ms).  Packed, a
# line costs its text plus ~80 bytes, against ~450 bytes for a tuple of str/datetime
# objects: the 100,000-line buffer went from ~45 to ~14 MiB.
#
# Layout (big-endian): created_at as microseconds since the epoch + 2**63 (8 bytes)
# and the line id (16 bytes) first, so that comparing the first 24 bytes orders rows
# by (created_at, id) as ``row_sort_key`` does; then the execution id (16), the
# created_at tzinfo's slot in ``_ZONES``, the level rank, a flags byte (bit 0: an
# action id follows; bit 1: the level's own text follows), the UTF-8 lengths of
# level (0 unless flagged), and step, the action id (16, when flagged), then level,
# step and message as UTF-8.
#
# Neither the level's name nor the execution's label is held per line: the five
# levels are named by their rank, and the label (``exec-20261201-223000-abc123``,
# the same for every line of an execution) is looked up by the execution id in
# ``_LABELS`` when a row is unpacked.  Together ~32 bytes a line, 3 MiB of a full
# buffer.  ``_LABELS`` is bounded: an execution not seen while ``_MAX_LABELS``
# others were shows its id's first eight characters instead (as a line whose
# execution has no label does), never another execution's label.
_HEAD = struct.Struct(">Q16s16sBBBHH")
_SORT_KEY = 24
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET = 1 << 63
_HAS_ACTION = 1
_OWN_LEVEL = 2
_MAX_LABELS = 65_536
_LABELS: dict[bytes, str] = {}  # execution id (16 bytes) -> its label, newest last
_LABELS_LOCK = threading.Lock()  # rows are made on the tail's and the pager's threads
_ZONES: list[tzinfo | None] = [None, UTC]  # slot 0: naive
_ZONE_SLOTS: dict[tzinfo | None, int] = {None: 0, UTC: 1}
_MAX_ZONES = 255

# The fields of an unpacked row, by index:
(
    R_ID,  # str(uuid) of the log line
    R_EXECUTION_ID,  # str(uuid) of the execution
    R_EXECUTION,  # what the execution column shows
    R_CREATED_AT,  # datetime
    R_LEVEL,  # "INFO", ...
    R_MESSAGE,  # the whole message
    R_STEP,  # step name or ""
    R_ACTION_ID,  # str(uuid) of the action or ""
    R_RANK,  # level rank, for the level filter
    R_MESSAGE_ONE,  # first line + a mark when the message has several lines, else None
) = range(10)
# The time shown is formatted when painted (``clock_time``, once per second of lines),
# not kept per row: 100,000 such strings held ~7 MiB.  A log line's time reads as the
# Logs page's (timefmt.clock); the tooltip has the exact one.

TailRow = tuple  # an unpacked row
PackedRow = bytes  # a held row

_COLUMN_FIELD = {
    COL_LEVEL: R_LEVEL,
    COL_EXECUTION: R_EXECUTION,
    COL_STEP: R_STEP,
    COL_MESSAGE: R_MESSAGE,
}


def row_matches(r: TailRow, needle: str) -> bool:
    return needle in r[R_MESSAGE].lower() or needle in r[R_STEP].lower()


_clocks: dict[tuple[datetime, bool, Any], str] = {}


def clock_time(dt: datetime, reference: datetime) -> str:
    """``timefmt.clock(dt, reference)`` (a log line's time), formatting each second once."""
    key = (dt.replace(microsecond=0), timefmt.use_utc(), timefmt.to_display_tz(reference).date())
    text = _clocks.get(key)
    if text is None:
        if len(_clocks) > 10_000:
            _clocks.clear()
        text = _clocks[key] = timefmt.clock(key[0], reference)
    if len(text) == 12 and text[8] == ".":  # today: HH:MM:SS.mmm
        return f"{text[:9]}{dt.microsecond // 1000:03d}"
    return text


def _zone_slot(zone: tzinfo | None) -> int:
    slot = _ZONE_SLOTS.get(zone)
    if slot is None:
        if len(_ZONES) >= _MAX_ZONES:
            return 1  # more zones than slots (never seen): the instant is kept, in UTC
        slot = _ZONE_SLOTS[zone] = len(_ZONES)
        _ZONES.append(zone)
    return slot


def _remember_label(execution: bytes, label: str) -> None:
    with _LABELS_LOCK:
        if _LABELS.get(execution) == label:
            _LABELS[execution] = _LABELS.pop(execution)  # seen again: newest
            return
        _LABELS.pop(execution, None)
        _LABELS[execution] = label
        if len(_LABELS) > _MAX_LABELS:
            del _LABELS[next(iter(_LABELS))]


def _label_of(execution: bytes) -> str:
    label = _LABELS.get(execution)
    return label if label is not None else _uuid_text(execution)[:8]


def make_row(line: TailLine) -> PackedRow:
    """The line packed for holding; its metadata is dropped (the window does not show it)."""
    created = line.created_at
    zone = created.tzinfo
    if zone is None:
        micros = (created.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
    else:
        micros = (created - _EPOCH) // _MICROSECOND
    execution = line.execution_id.bytes
    if line.execution_code:
        _remember_label(execution, line.execution_code)
    rank = LOG_LEVEL_RANK.get(line.level)
    level = b"" if rank is not None and LOG_LEVELS[rank] == line.level else line.level.encode()
    step = (line.step_name or "").encode()
    action = line.action_id.bytes if line.action_id else b""
    head = _HEAD.pack(
        micros + _OFFSET,
        line.id.bytes,
        execution,
        _zone_slot(zone),
        rank or 0,
        (_HAS_ACTION if action else 0) | (_OWN_LEVEL if level else 0),
        len(level),
        len(step),
    )
    return b"".join((head, action, level, step, line.message.encode()))


def _uuid_text(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def unpack(packed: PackedRow) -> TailRow:
    """The display fields of a held row (see the layout above)."""
    micros, line_id, execution_id, zone, rank, flags, n_level, n_step = _HEAD.unpack_from(packed)
    at = _HEAD.size
    action = ""
    if flags & _HAS_ACTION:
        action = _uuid_text(packed[at : at + 16])
        at += 16
    if flags & _OWN_LEVEL:
        level = packed[at : at + n_level].decode()
        at += n_level
    else:
        level = LOG_LEVELS[rank]
    label = _label_of(execution_id)
    step = packed[at : at + n_step].decode()
    message = packed[at + n_step :].decode()
    created = _EPOCH + timedelta(microseconds=micros - _OFFSET)
    tz = _ZONES[zone]
    created = created.replace(tzinfo=None) if tz is None else created.astimezone(tz)
    first, newline, _rest = message.partition("\n")
    return (
        _uuid_text(line_id),
        _uuid_text(execution_id),
        label,
        created,
        level,
        message,
        step,
        action,
        rank,
        first + " ⏎…" if newline else None,
    )


_RANK_AT = 41  # offset of the rank byte in _HEAD


def packed_rank(packed: PackedRow) -> int:
    return packed[_RANK_AT]


def packed_execution_id(packed: PackedRow) -> str:
    return _uuid_text(packed[24:40])


def _sort_prefix(packed: PackedRow) -> bytes:
    """Orders held rows as ``row_sort_key`` orders unpacked ones."""
    return packed[:_SORT_KEY]


def row_sort_key(r: TailRow) -> tuple[datetime, str]:
    return r[R_CREATED_AT], r[R_ID]


class TailTableModel(QAbstractTableModel):
    """The newest ``capacity`` lines of a tail (older ones may be paged in at the top)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, parent=None) -> None:
        super().__init__(parent)
        self._capacity = max(1, capacity)
        self._rows: list[PackedRow] = []
        self._view: list[PackedRow] = []
        self._unpacked: dict[PackedRow, TailRow] = {}
        self._min_rank = 0
        self._needle = ""
        self._relative = False
        self._reference = timefmt.now()
        self._wrap = False
        self._level_colors: dict[int, QColor] = {}
        self.reload_colors()

    # ------------------------------------------------------------- settings
    @property
    def capacity(self) -> int:
        return self._capacity

    def slack(self) -> int:
        return max(1, self._capacity // 50)

    def reload_colors(self) -> None:
        self._level_colors = {
            LOG_LEVEL_RANK[level]: theme.level_color(level) for level in LOG_LEVELS
        }
        if self._view:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._view) - 1, len(HEADERS) - 1)
            )

    def set_filter(self, min_level: str | None, text: str) -> None:
        rank = LOG_LEVEL_RANK.get((min_level or "DEBUG").upper(), 0)
        needle = text.strip().lower()
        if rank == self._min_rank and needle == self._needle:
            return
        self.beginResetModel()
        self._min_rank, self._needle = rank, needle
        self._view = [r for r in self._rows if self._passes(r)]
        self.endResetModel()

    @property
    def needle(self) -> str:
        return self._needle

    def set_relative(self, relative: bool) -> None:
        self._relative = relative
        self.touch_times()

    @property
    def wrapped(self) -> bool:
        return self._wrap

    highlighted_columns = frozenset((COL_MESSAGE, COL_STEP))

    def cell_text(self, r: TailRow, col: int) -> str:
        """What an unwrapped cell shows (the painter's fast path; same as DisplayRole)."""
        if col == COL_MESSAGE:
            one = r[R_MESSAGE_ONE]
            return r[R_MESSAGE] if one is None else one
        if col == COL_TIME:
            if self._relative:
                return timefmt.relative(r[R_CREATED_AT], self._reference)
            return clock_time(r[R_CREATED_AT], self._reference)
        if col == COL_ACTION:
            return r[R_ACTION_ID][:8]
        return r[_COLUMN_FIELD[col]]

    def cell_colour(self, r: TailRow, col: int) -> QColor | None:
        return self._level_colors.get(r[R_RANK]) if col == COL_LEVEL else None

    def set_wrap(self, wrap: bool) -> None:
        self._wrap = wrap
        if self._view:
            last = self.index(len(self._view) - 1, len(HEADERS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def touch_times(self, first: int = 0, last: int | None = None) -> None:
        """Relative times moved on: repaint the time column (of rows first..last)."""
        self._reference = timefmt.now()
        if not self._view:
            return
        last = len(self._view) - 1 if last is None else min(last, len(self._view) - 1)
        self.dataChanged.emit(self.index(first, COL_TIME), self.index(last, COL_TIME))

    def reformat_times(self) -> None:
        """The UTC toggle changed: the times repaint in the other zone."""
        self.touch_times()

    # --------------------------------------------------------------- content
    def _passes(self, p: PackedRow) -> bool:
        if p[_RANK_AT] < self._min_rank:
            return False
        return not self._needle or row_matches(unpack(p), self._needle)

    def total(self) -> int:
        """Lines held (filtered or not)."""
        return len(self._rows)

    def row_at(self, row: int) -> TailRow:
        """The ``row``-th shown line, unpacked (the last few thousand asked for are kept)."""
        packed = self._view[row]
        found = self._unpacked.get(packed)
        if found is None:
            if len(self._unpacked) >= UNPACKED_CACHE:
                self._unpacked.clear()
            found = self._unpacked[packed] = unpack(packed)
        return found

    def rows(self) -> list[TailRow]:
        """Every line held, unpacked, in delivery order."""
        return [unpack(p) for p in self._rows]

    def packed_rows(self) -> list[PackedRow]:
        """Every line held, as held."""
        return list(self._rows)

    def execution_ids(self) -> set[str]:
        """The executions of the lines held."""
        return {packed_execution_id(p) for p in self._rows}

    def append_rows(self, rows: list[PackedRow]) -> None:
        """Add a batch at the bottom (one insert), then trim the oldest if over capacity."""
        if not rows:
            return
        self._rows.extend(rows)
        shown = [r for r in rows if self._passes(r)] if (self._min_rank or self._needle) else rows
        if shown:
            start = len(self._view)
            self.beginInsertRows(QModelIndex(), start, start + len(shown) - 1)
            self._view.extend(shown)
            self.endInsertRows()
        if len(self._rows) > self._capacity + self.slack():
            self.trim()

    def prepend_rows(self, rows: list[PackedRow]) -> None:
        """Older lines paged in at the top (oldest first)."""
        if not rows:
            return
        self._rows[:0] = rows
        shown = [r for r in rows if self._passes(r)]
        if shown:
            self.beginInsertRows(QModelIndex(), 0, len(shown) - 1)
            self._view[:0] = shown
            self.endInsertRows()

    def trim(self) -> int:
        """Drop the oldest lines down to the capacity; returns how many view rows went."""
        excess = len(self._rows) - self._capacity
        if excess <= 0:
            return 0
        # The view is the filtered rows in the same order: the first ``gone`` of it go.
        if self._min_rank or self._needle:
            gone = sum(1 for r in self._rows[:excess] if self._passes(r))
        else:
            gone = excess
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            del self._view[:gone]
            del self._rows[:excess]
            self.endRemoveRows()
        else:
            del self._rows[:excess]
        return gone

    def replace_rows(self, rows: list[PackedRow]) -> None:
        """Start over with ``rows`` (the newest lines after a long pause)."""
        self.beginResetModel()
        self._rows = []
        self._view = []
        self._unpacked.clear()
        self.endResetModel()
        self.append_rows(rows[-self._capacity :])

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._view = []
        self._unpacked.clear()
        self.endResetModel()

    def oldest(self) -> TailRow | None:
        """The row with the smallest (created_at, id) held: where paging older starts."""
        if not self._rows:
            return None
        return unpack(min(self._rows, key=_sort_prefix))

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._view)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        role = int(role)
        if role not in _HANDLED:
            return None
        r = self.row_at(index.row())
        col = index.column()
        if role == _DISPLAY:
            if col == COL_MESSAGE and self._wrap:
                return r[R_MESSAGE]
            return self.cell_text(r, col)
        if role == _ALIGN:
            return _TOP_LEFT if self._wrap else _MID_LEFT
        if role == _FOREGROUND:
            return self._level_colors.get(r[R_RANK]) if col == COL_LEVEL else None
        # tooltip
        if col == COL_TIME:
            return timefmt.tooltip(r[R_CREATED_AT])
        # database text: a tooltip Qt would take for rich text if it starts with a tag
        if col == COL_ACTION and r[R_ACTION_ID]:
            return plain_tip(r[R_ACTION_ID])
        if col == COL_EXECUTION:
            return plain_tip(r[R_EXECUTION_ID])
        if col == COL_MESSAGE and r[R_MESSAGE_ONE] is not None:
            return plain_tip(r[R_MESSAGE][:4000])
        return None
