"""Bad input, tried systematically: every filter and JSON path either answers or says why.

Each generated value goes through the same code the pages use (filter dict →
validated WHERE → keyset window on a real database).  The only acceptable
outcomes are rows, or a ``FilterError`` / ``JsonProblem`` / ``ProfileError``
with a message; a driver error reaching the caller is a failure.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.actions.schemas import SHAPES, JsonProblem, parse_and_check
from console.cli.tail_cmd import parse_since
from console.db.urls import BadURLError, normalize_url, redact
from console.profiles import ProfileError, profile_from_url, validate_name
from console.queries import specs
from console.queries.filters import FILTER_KEYS, FilterError, normalized, usable_filters
from console.queries.keyset import WindowQuery, fetch_window
from console.ui.tables.filterbar import chip_labels
from tests.helpers.time_zone import local_zone

TABLE_SPECS = [specs.WORKFLOWS, specs.EXECUTIONS, specs.LOGS, specs.INTEGRATIONS, specs.EVENTS]
NASTY = [
    "'",
    "''",
    '"',
    "\\",
    "\\'",
    "%",
    "_",
    "%_%",
    "\x00",
    "a\x00b",
    "😀",
    "👩‍👩‍👧",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "שָׁלוֹם",
    "'; DROP TABLE workflows; --",
    "exec-2025",
    "exec-%",
    "\t\n",
    " ",
    "\ud7ff",
    "\ud800",
    "x\udfffy",
    "\U0010ffff",
]
nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=40),
    st.text(alphabet=st.sampled_from(["'", "\\", "%", "_", "\x00", "😀", "\u202e"]), max_size=20),
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _window(engine, spec, filters):
    q = WindowQuery.make(spec, filters)
    with engine.connect() as conn:
        return fetch_window(conn, q, "top", 50)


def _answer_or_explain(engine, spec, filters: dict, what: str) -> list | FilterError:
    """The page's rows for ``filters``, or the FilterError that explains them; never a
    value that reaches the driver (a server error, or text UTF-8 cannot encode)."""
    try:
        return _window(engine, spec, filters)
    except FilterError as exc:
        assert str(exc)
        return exc
    except (DBAPIError, UnicodeError) as exc:  # pragma: no cover - what these tests exist for
        pytest.fail(f"{spec.key}: {what} reached the driver: {getattr(exc, 'orig', exc)!r}")


@pytest.fixture
def seeded(engine):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workflows (name, config) VALUES "
                "('it''s \\ 100% _done_', '{\"a\": 1}'), ('😀 plain', '{}')"
            )
        )
        conn.execute(text("INSERT INTO workflow_executions (workflow_id) SELECT id FROM workflows"))
        conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, message) "
                "SELECT id, 'quote '' and \\ and % and _' FROM workflow_executions"
            )
        )
    return engine


@SETTINGS
@given(value=nasty_text, index=st.integers(min_value=0, max_value=len(TABLE_SPECS) - 1))
def test_free_text_filters_answer_or_explain(seeded, value, index):
    answer = _answer_or_explain(seeded, TABLE_SPECS[index], {"text": value}, f"text {value!r}")
    assert isinstance(answer, list | FilterError)


def test_quotes_and_wildcards_match_literally(seeded):
    rows = _window(seeded, specs.WORKFLOWS, {"text": "100% _done_"})
    assert [r["name"] for r in rows] == ["it's \\ 100% _done_"]
    assert _window(seeded, specs.WORKFLOWS, {"text": "%"}) == _window(
        seeded, specs.WORKFLOWS, {"text": "100%"}
    )
    assert _window(seeded, specs.WORKFLOWS, {"text": "_"}) != []
    assert _window(seeded, specs.WORKFLOWS, {"text": "x_x"}) == []


def test_ten_kilobyte_filter_text(seeded):
    for spec in TABLE_SPECS:
        try:
            assert _window(seeded, spec, {"text": "ab'\\%" * 2_500}) == []
        except FilterError as exc:
            assert str(exc)


HUGE = "\ue000huge"  # stands for an integer too long for Python's int() (json.dumps refuses it)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.just("\\u0000")
    | st.just(HUGE),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
broken_json = st.one_of(
    st.sampled_from(
        [
            "{",
            "}",
            "[1,",
            '{"a": }',
            "{'a': 1}",
            '{"a": 1,}',
            "nul",
            "NaN",
            "1e999",
            '{"a": "\\u0000"}',
            '"\\ud800"',
            "\x00",
            "[" * 5_000 + "]" * 5_000,
            "",
            '{"a": 1} trailing',
            "\u202e{}",
            "😀",
            "1" * 5_000,
            '{"max_retries": -%s}' % ("9" * 4_301),
            '{"a": "\\\\u0000"}',
        ]
    ),
    st.text(max_size=30),
)


def _render(value, digits: int) -> str:
    """JSON text of ``value`` with every HUGE leaf written as an integer of ``digits`` digits."""
    return json.dumps(value).replace(json.dumps(HUGE), "-" + "9" * digits)


json_docs = st.one_of(
    st.builds(_render, json_values, st.integers(min_value=4_290, max_value=4_400)), broken_json
)


@SETTINGS
@given(doc=json_docs, index=st.sampled_from([0, 3, 4]))
def test_json_containment_filters_answer_or_explain(seeded, doc, index):
    answer = _answer_or_explain(seeded, TABLE_SPECS[index], {"json": doc}, f"json {doc[:80]!r}")
    assert isinstance(answer, list | FilterError)


storable_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8
)
storable_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**4299), max_value=10**4299)
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text
    | st.sampled_from(["\\u0000", "\\", "C:\\u0000x", 10**4_299]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(storable_text, children, max_size=4)
    ),
    max_leaves=12,
)


@SETTINGS
@given(value=storable_values, index=st.sampled_from([0, 3, 4]))
def test_json_that_jsonb_stores_is_never_refused(seeded, value, index):
    """No false refusals: what jsonb accepts gets rows (the six characters \\u0000 included)."""
    doc = json.dumps(value)
    answer = _answer_or_explain(seeded, TABLE_SPECS[index], {"json": doc}, f"json {doc[:80]!r}")
    assert isinstance(answer, list), answer
    assert parse_and_check("action.config", json.dumps({"k": value})) == {"k": value}


def test_json_filter_matches_by_containment(seeded):
    rows = _window(seeded, specs.WORKFLOWS, {"json": '{"a": 1}'})
    assert [r["name"] for r in rows] == ["it's \\ 100% _done_"]


@SETTINGS
@given(doc=json_docs, kind=st.sampled_from(sorted(SHAPES)))
def test_json_editor_checks_answer_or_explain(doc, kind):
    try:
        value = parse_and_check(kind, doc)
    except JsonProblem as exc:
        assert str(exc)
        return
    assert value is None or isinstance(value, dict)


def test_json_editor_points_at_line_and_column():
    with pytest.raises(JsonProblem) as info:
        parse_and_check("workflow.config", '{\n  "max_retries": 3,\n  "x": }')
    assert (info.value.line, info.value.column) == (3, 8)
    with pytest.raises(JsonProblem, match="max_retries"):
        parse_and_check("workflow.config", '{"max_retries": -1}')


def test_json_integer_over_python_digit_limit_is_explained(seeded):
    doc = '{"a": %s}' % ("9" * 5_000)
    with pytest.raises(FilterError, match="5000 digits"):
        _window(seeded, specs.WORKFLOWS, {"json": doc})
    with pytest.raises(JsonProblem, match="5000 digits"):
        parse_and_check("workflow.config", '{"max_retries": %s}' % ("9" * 5_000))
    # 4,300 digits still fit: such a number is compared by PostgreSQL, not refused
    assert _window(seeded, specs.WORKFLOWS, {"json": '{"a": %s}' % ("9" * 4_300)}) == []


def test_backslash_u0000_text_is_not_nul(seeded):
    """Six characters '\u0000' are legal text and legal jsonb; only the JSON escape is NUL."""
    six = "\\u0000"
    with seeded.begin() as conn:
        conn.execute(
            text("INSERT INTO workflows (name, config) VALUES (:n, CAST(:c AS jsonb))"),
            {"n": f"path C:{six}x", "c": json.dumps({"note": six})},
        )
    assert [r["name"] for r in _window(seeded, specs.WORKFLOWS, {"text": six})] == [
        f"path C:{six}x"
    ]
    rows = _window(seeded, specs.WORKFLOWS, {"json": json.dumps({"note": six})})
    assert [r["name"] for r in rows] == [f"path C:{six}x"]
    assert parse_and_check("action.config", json.dumps({"note": six})) == {"note": six}
    with pytest.raises(FilterError, match="jsonb cannot store") as refused:
        _window(seeded, specs.WORKFLOWS, {"json": '{"note": "\\u0000"}'})
    print(f"text and JSON filters match {six!r}; the JSON escape: {refused.value}")


EXTREME_DATES = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
]
ZONES = ["UTC", "Pacific/Kiritimati", "America/Los_Angeles", "Pacific/Pago_Pago"]
dates = st.one_of(
    st.sampled_from(EXTREME_DATES),
    st.datetimes().map(datetime.isoformat),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-12))])).map(
        datetime.isoformat
    ),
)


@SETTINGS
@given(
    start=dates,
    end=st.none() | dates,
    zone=st.sampled_from(ZONES),
    index=st.integers(min_value=0, max_value=len(TABLE_SPECS) - 1),
)
@example(start="0001-01-01", end="9999-12-31", zone="UTC", index=1)
@example(start="0001-01-01", end="9999-12-31T23:59:59", zone="America/Los_Angeles", index=2)
def test_extreme_dates_answer_or_explain(seeded, start, end, zone, index):
    filters = {"time_from": start, "time_to": end}
    with local_zone(zone):
        answer = _answer_or_explain(seeded, TABLE_SPECS[index], filters, f"{filters} in {zone}")
        labels = chip_labels(normalized(filters))
    assert isinstance(answer, list | FilterError)
    assert labels and all(label for _, label in labels)


def test_first_and_last_day_cover_everything(seeded):
    for zone in ZONES:
        with local_zone(zone):
            for spec in TABLE_SPECS:
                everything = _window(seeded, spec, {})
                wide = {"time_from": "0001-01-01", "time_to": "9999-12-31"}
                assert _window(seeded, spec, wide) == everything, (zone, spec.key)


saved_values = st.one_of(
    json_values.filter(lambda v: HUGE not in json.dumps(v)), st.sampled_from(EXTREME_DATES)
)
saved_filters = st.dictionaries(st.sampled_from(FILTER_KEYS), saved_values, max_size=5)


@SETTINGS
@given(filters=saved_filters, index=st.integers(min_value=0, max_value=len(TABLE_SPECS) - 1))
@example(filters={"status": 5}, index=0)
@example(filters={"time_range": {"a": 1}}, index=1)
@example(filters={"status": [["x"]], "text": 3}, index=3)
def test_wrongly_typed_filters_answer_or_explain(seeded, filters, index):
    """Saved filters come back from console.ini as any JSON: each one works or is explained."""
    spec = TABLE_SPECS[index]
    answer = _answer_or_explain(seeded, spec, normalized(filters), f"filters {filters!r}")
    assert isinstance(answer, list | FilterError)
    kept, dropped = usable_filters(filters, lambda f: spec.where(f, spec.alias))
    assert _window(seeded, spec, kept) is not None
    assert all(k in filters and why for k, why in dropped)
    assert set(kept) | {k for k, _ in dropped} >= set(normalized(filters))


@settings(max_examples=100, deadline=None)
@given(
    amount=st.one_of(
        st.integers(min_value=0, max_value=10**30).map(str),
        st.sampled_from(["10000000", "1e3", "9" * 400, "99999999999999.5"]),
    ),
    unit=st.sampled_from(["", "s", "m", "h", "d", "w", "D"]),
)
@example(amount="10000000", unit="d")
def test_tail_since_any_duration_is_a_time(amount, unit):
    now = datetime.now(UTC)
    try:
        when = parse_since(f"{amount}{unit}", now)
    except argparse.ArgumentTypeError as exc:
        assert "duration" in str(exc)
        return
    assert when.tzinfo is not None and when <= now


ids = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "not-a-uuid",
            "550e8400-e29b-41d4-a716-44665544000",
            "'; --",
            "\x00",
            "😀" * 10,
            "550e8400-e29b-41d4-a716-446655440000x",
        ]
    ),
)


@SETTINGS
@given(value=ids, key=st.sampled_from(["workflow_id", "execution_id", "integration_id"]))
def test_ids_that_are_not_uuids_are_refused_with_a_message(seeded, value, key):
    spec = {
        "workflow_id": specs.EXECUTIONS,
        "execution_id": specs.LOGS,
        "integration_id": specs.EVENTS,
    }[key]
    answer = _answer_or_explain(seeded, spec, {key: value}, f"{key}={value!r}")
    if isinstance(answer, FilterError):
        assert answer.field == key
    else:
        assert answer == [] or value.strip() == ""


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=80))
@example("DATABASE_URL")
@example("url")
def test_profile_names_are_validated(name):
    try:
        assert validate_name(name) == name
    except ProfileError as exc:
        assert "profile name" in str(exc)


@settings(max_examples=200, deadline=None)
@given(
    url=st.one_of(
        st.text(max_size=60),
        st.sampled_from(
            [
                "postgresql://",
                "mysql://u@h/db",
                "postgresql://u:p@h:notaport/db",
                "http://x",
                "postgresql://u:s3cret@host/db?sslmode=bogus",
                "://",
                "postgresql://[::1/db",
            ]
        ),
    )
)
def test_profile_urls_are_validated_without_echoing_passwords(url):
    try:
        profile = profile_from_url(url)
    except (BadURLError, ProfileError, ValueError) as exc:
        assert "s3cret" not in str(exc)
        return
    assert "s3cret" not in redact(normalize_url(profile.url or url))
