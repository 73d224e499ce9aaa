"""Bad input, tried systematically: every filter and JSON path either answers or says why.

Each generated value goes through the same code the pages use (filter dict →
validated WHERE → keyset window on a real database).  The only acceptable
outcomes are rows, or a ``FilterError`` / ``JsonProblem`` / ``ProfileError``
with a message; a driver error reaching the caller is a failure.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from console.actions.schemas import SHAPES, JsonProblem, parse_and_check
from console.db.urls import BadURLError, normalize_url, redact
from console.profiles import ProfileError, profile_from_url, validate_name
from console.queries import specs
from console.queries.filters import FilterError
from console.queries.keyset import WindowQuery, fetch_window

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


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
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
        ]
    ),
    st.text(max_size=30),
)


@SETTINGS
@given(doc=st.one_of(json_values.map(json.dumps), broken_json), index=st.sampled_from([0, 3, 4]))
def test_json_containment_filters_answer_or_explain(seeded, doc, index):
    answer = _answer_or_explain(seeded, TABLE_SPECS[index], {"json": doc}, f"json {doc[:80]!r}")
    assert isinstance(answer, list | FilterError)


def test_json_filter_matches_by_containment(seeded):
    rows = _window(seeded, specs.WORKFLOWS, {"json": '{"a": 1}'})
    assert [r["name"] for r in rows] == ["it's \\ 100% _done_"]


@SETTINGS
@given(
    doc=st.one_of(json_values.map(json.dumps), broken_json), kind=st.sampled_from(sorted(SHAPES))
)
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
