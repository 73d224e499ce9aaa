"""A held tail line is one packed ``bytes`` object: every field the window shows survives."""

from __future__ import annotations

import random
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from console.tail.lines import TailLine
from console.ui.tail.model import (
    R_ACTION_ID,
    R_CREATED_AT,
    R_EXECUTION,
    R_EXECUTION_ID,
    R_ID,
    R_LEVEL,
    R_MESSAGE,
    R_MESSAGE_ONE,
    R_RANK,
    R_STEP,
    TailTableModel,
    make_row,
    row_sort_key,
    unpack,
)
from models.vocab import LOG_LEVEL_RANK


def _line(rng: random.Random, i: int, **over) -> TailLine:
    fields = {
        "id": uuid.UUID(int=rng.getrandbits(128)),
        "execution_id": uuid.UUID(int=rng.getrandbits(128)),
        "execution_code": f"exec-20261201-1200{i % 60:02d}-a1b2c3",
        "created_at": datetime(2026, 12, 1, tzinfo=UTC)
        + timedelta(microseconds=rng.getrandbits(40)),
        "level": rng.choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
        "message": f"step processed {i} items",
        "step_name": rng.choice(("build", "lint", None, "déploiement ✓")),
        "action_id": uuid.UUID(int=rng.getrandbits(128)) if i % 2 else None,
        "log_metadata": {"k": i},
    }
    fields.update(over)
    return TailLine(**fields)


def _expected(line: TailLine) -> tuple:
    first, newline, _ = line.message.partition("\n")
    return (
        str(line.id),
        str(line.execution_id),
        line.execution_code or str(line.execution_id)[:8],
        line.created_at,
        line.level,
        line.message,
        line.step_name or "",
        str(line.action_id) if line.action_id else "",
        LOG_LEVEL_RANK.get(line.level, 0),
        first + " ⏎…" if newline else None,
    )


def test_every_field_round_trips() -> None:
    rng = random.Random(14)
    lines = [_line(rng, i) for i in range(500)]
    lines += [
        _line(rng, 1, message="first\nsecond\r\nthird", execution_code=None),
        _line(rng, 2, message="", step_name=""),
        _line(rng, 3, message="emoji 🚀 and NUL \x00 and 中文" * 50),
        _line(rng, 4, level="TRACE"),  # not a contract level: rank 0
        _line(rng, 5, created_at=datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        _line(rng, 6, created_at=datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))),
        _line(
            rng, 7, created_at=datetime(2026, 12, 1, 9, 30, tzinfo=timezone(-timedelta(hours=3)))
        ),
        _line(rng, 8, created_at=datetime(2026, 12, 1, 9, 30, 0, 17)),  # naive
        _line(rng, 9, step_name="s" * 300, execution_code="e" * 300),
    ]
    for line in lines:
        got = unpack(make_row(line))
        assert got == _expected(line)
        assert got[R_CREATED_AT].tzinfo == line.created_at.tzinfo  # same zone, not only instant
        assert got[R_CREATED_AT].utcoffset() == line.created_at.utcoffset()


def test_fields_by_name() -> None:
    line = _line(random.Random(1), 3, message="a\nb", step_name="build")
    row = unpack(make_row(line))
    assert row[R_ID] == str(line.id) and row[R_EXECUTION_ID] == str(line.execution_id)
    assert row[R_EXECUTION] == line.execution_code and row[R_STEP] == "build"
    assert row[R_LEVEL] == line.level and row[R_RANK] == LOG_LEVEL_RANK[line.level]
    assert row[R_MESSAGE] == "a\nb" and row[R_MESSAGE_ONE] == "a ⏎…"
    assert row[R_ACTION_ID] == str(line.action_id)


def test_a_packed_row_is_an_untracked_atom_smaller_than_its_fields() -> None:
    line = _line(random.Random(2), 1, message="bench line 12345")
    packed = make_row(line)
    assert isinstance(packed, bytes)
    unpacked = unpack(packed)
    fields = sys.getsizeof(unpacked) + sum(sys.getsizeof(v) for v in unpacked[:8])
    assert sys.getsizeof(packed) < fields / 2


def test_the_model_finds_the_oldest_row_and_executions_as_unpacked_rows_would() -> None:
    rng = random.Random(3)
    lines = [_line(rng, i) for i in range(300)]
    same_time = lines[0].created_at
    lines += [_line(rng, 900 + i, created_at=same_time) for i in range(5)]  # id breaks ties
    model = TailTableModel(capacity=1000)
    model.append_rows([make_row(x) for x in lines])
    assert model.oldest() == min((_expected(x) for x in lines), key=row_sort_key)
    assert model.execution_ids() == {str(x.execution_id) for x in lines}
    assert model.rows() == [_expected(x) for x in lines]
