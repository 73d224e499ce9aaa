"""autopr:// links: format/parse round trips for every kind, profile matching, bad input."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.links import (
    KINDS,
    LOG_FILTERS,
    Link,
    LinkError,
    ProfileIdentity,
    format_link,
    match_profile,
    parse_link,
)

ROOT = Path(__file__).resolve().parent.parent
text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
maybe = st.one_of(st.none(), text)


@st.composite
def links(draw) -> Link:
    kind = draw(st.sampled_from(KINDS))
    params: tuple[tuple[str, str], ...] = ()
    target = ""
    if kind == "logs":
        keys = draw(st.lists(st.sampled_from([k for k, _ in LOG_FILTERS]), unique=True))
        params = tuple((k, draw(text)) for k, _ in LOG_FILTERS if k in keys)
    else:
        target = draw(text)
    return Link(draw(text), kind, target, params, draw(maybe), draw(maybe))


@given(links())
def test_every_link_survives_format_then_parse(link: Link) -> None:
    assert parse_link(format_link(link)) == link


@given(links())
def test_a_link_is_one_token_of_ascii(link: Link) -> None:
    out = format_link(link)
    assert out.isascii() and " " not in out and "\n" not in out
    assert out.startswith("autopr://")


def test_engine_execution_ids_keep_their_punctuation() -> None:
    engine_id = "pr-review_2026-12-01T14:51:25.318347"
    out = format_link(Link("prod", "execution", engine_id))
    assert out == "autopr://prod/execution/pr-review_2026-12-01T14%3A51%3A25.318347"
    assert parse_link(out).target == engine_id
    logs = parse_link("autopr://dev/logs?execution=exec-1&level=ERROR&host=db1&db=autopr")
    assert logs.query == {"execution": "exec-1", "level": "ERROR"}
    assert (logs.host, logs.dbname) == ("db1", "autopr")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("https://example.com/x", "not an autopr://"),
        ("autopr://", "no profile"),
        ("autopr://prod/teapot/1", "unknown link kind"),
        ("autopr://prod/execution", "ends with the execution"),
        ("autopr://prod/execution/", "ends with the execution"),
        ("autopr://prod/workflow/a/b", "ends with the workflow"),
        ("autopr://prod/logs/extra", "filters in the query"),
        ("autopr://prod/execution/%ff%fe", "not readable"),
        ("autopr://prod/execution/" + "x" * 5000, "too long"),
    ],
)
def test_bad_links_get_one_line_reasons(bad: str, says: str) -> None:
    with pytest.raises(LinkError) as err:
        parse_link(bad)
    assert says in str(err.value)
    assert "\n" not in str(err.value)


PROFILES = [
    ProfileIdentity("prod", "db.example.com", "autopr_prod"),
    ProfileIdentity("staging", "db.example.com", "autopr_staging"),
    ProfileIdentity("local", "embedded", "autopr_dev"),
]


def test_the_named_profile_wins_when_its_database_agrees() -> None:
    assert match_profile(parse_link("autopr://prod/event/x"), PROFILES) == "prod"
    link = parse_link("autopr://prod/event/x?host=DB.example.com&db=autopr_prod")
    assert match_profile(link, PROFILES) == "prod"


def test_a_colleagues_profile_name_is_matched_by_host_and_database() -> None:
    link = parse_link("autopr://production-eu/execution/e1?host=db.example.com&db=autopr_staging")
    assert match_profile(link, PROFILES) == "staging"


def test_a_same_named_profile_on_another_database_is_not_used() -> None:
    link = parse_link("autopr://prod/execution/e1?host=db.example.com&db=autopr_staging")
    assert match_profile(link, PROFILES) == "staging"
    link = parse_link("autopr://prod/execution/e1?host=other&db=autopr_prod")
    with pytest.raises(LinkError, match="another database"):
        match_profile(link, PROFILES)


def test_unknown_and_ambiguous_profiles_are_refused_with_a_reason() -> None:
    with pytest.raises(LinkError, match="no profile named nope"):
        match_profile(parse_link("autopr://nope/workflow/w"), PROFILES)
    with pytest.raises(LinkError, match="several profiles"):
        match_profile(parse_link("autopr://x/workflow/w?host=db.example.com"), PROFILES)


def test_the_desktop_entry_registers_the_scheme() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment]
    entry.read(ROOT / "resources/app/autopr-console.desktop")
    section = entry["Desktop Entry"]
    assert "x-scheme-handler/autopr" in section["MimeType"].split(";")
    assert "%U" in section["Exec"] or "%u" in section["Exec"]
    iss = (ROOT / "packaging/windows/autopr-console.iss").read_text()
    assert 'Subkey: "Software\\Classes\\autopr\\shell\\open\\command"' in iss
    spec = (ROOT / "packaging/autopr-console.spec").read_text()
    assert '"CFBundleURLSchemes": ["autopr"]' in spec


def test_a_bare_link_on_the_command_line_is_the_open_command(capsys) -> None:
    from console.cli import main

    assert main(["autopr://prod/teapot/1"]) == 2
    assert "unknown link kind" in capsys.readouterr().err
