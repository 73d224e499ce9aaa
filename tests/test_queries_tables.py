"""Query layer of the table pages against a real PostgreSQL: filters, keyset windows, counts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text

from console.queries import counts, details, keyset, specs
from console.queries.filters import FilterError, escape_like, prefix_range
from console.queries.keyset import Sort, WindowQuery, fetch_window, window_sql
from console.queries.position import position_map
from console.secret_policy import MASK
from console.secret_policy import mask as mask_secrets
from tests.helpers.seeding import seed_engine


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_engine(engine)
    return engine


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(r["id"]) for r in rows]


def sql_ids(engine: Engine, sql: str, **params: Any) -> list[str]:
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(text(sql), params)]


def read_all(engine: Engine, key: str, filters: dict[str, Any], sort: Sort | None = None) -> list:
    q = WindowQuery.make(specs.SPECS[key], filters, sort)
    with engine.connect() as conn:
        return fetch_window(conn, q, "top", 100_000)


def workflow_id(engine: Engine, name: str) -> str:
    return sql_ids(engine, "SELECT id FROM workflows WHERE name = :n", n=name)[0]


# ------------------------------------------------------------------ filters vs SQL


def test_execution_filters_match_sql(seeded: Engine) -> None:
    wf = workflow_id(seeded, "workflow-004")
    got = read_all(
        seeded,
        "executions",
        {"status": ["failed", "timeout"], "workflow_id": wf, "trigger_type": ["event", "manual"]},
    )
    expected = sql_ids(
        seeded,
        "SELECT id FROM workflow_executions WHERE status IN ('failed', 'timeout')"
        " AND workflow_id = :wf AND trigger_type IN ('event', 'manual')"
        " ORDER BY started_at DESC, id DESC",
        wf=wf,
    )
    assert expected and ids(got) == expected


def test_execution_time_range_and_id_prefix(seeded: Engine) -> None:
    got = read_all(seeded, "executions", {"time_range": "1h"})
    expected = sql_ids(
        seeded,
        "SELECT id FROM workflow_executions WHERE started_at >= now() - interval '1 hour'"
        " ORDER BY started_at DESC, id DESC",
    )
    assert expected and ids(got) == expected
    got = read_all(seeded, "executions", {"text": "exec-0000002"})
    assert sorted(r["execution_id"] for r in got) == [f"exec-000000{n}" for n in range(20, 30)]


def test_log_filters_match_sql(seeded: Engine) -> None:
    ex = sql_ids(seeded, "SELECT id FROM workflow_executions WHERE execution_id = 'exec-00000007'")[
        0
    ]
    got = read_all(seeded, "logs", {"min_level": "ERROR", "execution_id": ex})
    expected = sql_ids(
        seeded,
        "SELECT id FROM execution_logs WHERE level IN ('ERROR', 'CRITICAL')"
        " AND execution_id = :ex ORDER BY created_at DESC, id DESC",
        ex=ex,
    )
    assert len(expected) == 2 and ids(got) == expected
    by_label = read_all(seeded, "logs", {"text": "exec-00000007"})
    assert {r["execution_id"] for r in by_label} == {uuid.UUID(ex)}
    wf = workflow_id(seeded, "workflow-005")
    got = read_all(seeded, "logs", {"workflow_id": wf, "min_level": "CRITICAL"})
    expected = sql_ids(
        seeded,
        "SELECT l.id FROM execution_logs l JOIN workflow_executions e ON e.id = l.execution_id"
        " WHERE e.workflow_id = :wf AND l.level = 'CRITICAL'"
        " ORDER BY l.created_at DESC, l.id DESC",
        wf=wf,
    )
    assert expected and ids(got) == expected


def test_integration_and_event_filters_match_sql(seeded: Engine) -> None:
    got = read_all(seeded, "integrations", {"health": ["degraded", "unhealthy"]})
    expected = sql_ids(
        seeded,
        "SELECT id FROM integrations WHERE health_status IN ('degraded', 'unhealthy')"
        " ORDER BY name, id",
    )
    assert expected and ids(got) == expected
    got = read_all(
        seeded, "events", {"status": ["pending", "failed"], "integration_type": ["slack", "jira"]}
    )
    expected = sql_ids(
        seeded,
        "SELECT v.id FROM integration_events v JOIN integrations i ON i.id = v.integration_id"
        " WHERE v.status IN ('pending', 'failed') AND i.type IN ('slack', 'jira')"
        " ORDER BY v.created_at DESC, v.id DESC",
    )
    assert expected and ids(got) == expected


def test_event_payload_containment_is_bounded_and_said(seeded: Engine) -> None:
    q = WindowQuery.make(specs.EVENTS, {"json": '{"repository": "repo-3"}'})
    assert any("24 h" in note for note in q.where().notes)
    got = read_all(seeded, "events", {"json": '{"repository": "repo-3"}'})
    expected = sql_ids(
        seeded,
        'SELECT id FROM integration_events WHERE payload @> \'{"repository": "repo-3"}\''
        " AND created_at >= now() - interval '24 hours' ORDER BY created_at DESC, id DESC",
    )
    assert expected and ids(got) == expected


# ------------------------------------------------------------------ JSON filter


def test_workflow_json_filter_uses_gin_index(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workflows (name, config) SELECT 'wf-' || g,"
                " jsonb_build_object('tier', g % 50, 'owner', 'team-' || (g % 7))"
                " FROM generate_series(1, 5000) g"
            )
        )
    # VACUUM merges the GIN pending list, as autovacuum does on a live server.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE workflows"))
    q = WindowQuery.make(specs.WORKFLOWS, {"json": '{"tier": 7, "owner": "team-3"}'})
    sql, params = window_sql(q, "top", 200)
    with engine.connect() as conn:
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql), params).scalars())
        rows = fetch_window(conn, q, "top", 200)
        expected = conn.execute(
            text(
                "SELECT count(*) FROM workflows"
                " WHERE config->>'tier' = '7' AND config->>'owner' = 'team-3'"
            )
        ).scalar()
    assert "idx_workflows_config" in plan
    assert len(rows) == expected > 0


@pytest.mark.parametrize(
    ("bad", "where"),
    [('{"a": 1', "line 1, column 8"), ('{\n  "a": tru\n}', "line 2, column 8"), ("{'a': 1}", "")],
)
def test_invalid_json_is_refused_with_line_and_column(bad: str, where: str) -> None:
    q = WindowQuery.make(specs.WORKFLOWS, {"json": bad})
    with pytest.raises(FilterError) as info:
        q.where()
    assert info.value.field == "json"
    assert str(info.value).startswith("Invalid JSON at line")
    assert where in str(info.value)


def test_unknown_vocabulary_is_refused() -> None:
    with pytest.raises(FilterError, match="Unknown status"):
        WindowQuery.make(specs.EXECUTIONS, {"status": ["exploded"]}).where()
    with pytest.raises(FilterError, match="log level"):
        WindowQuery.make(specs.LOGS, {"min_level": "LOUD"}).where()
    with pytest.raises(FilterError, match="Not an id"):
        WindowQuery.make(specs.LOGS, {"execution_id": "1; DROP TABLE x"}).where()


# ------------------------------------------------------------------ quoting and wildcards


def test_text_filters_treat_quotes_backslashes_and_wildcards_literally(engine: Engine) -> None:
    names = ["a%b", "a_b", "axb", "aXXb", "o'brien", "back\\slash", "backXslash", "x'); --"]
    with engine.begin() as conn:
        for name in names:
            conn.execute(text("INSERT INTO workflows (name) VALUES (:n)"), {"n": name})
    for needle, expected in [
        ("a%b", ["a%b"]),
        ("a_b", ["a_b"]),
        ("o'brien", ["o'brien"]),
        ("back\\slash", ["back\\slash"]),
        ("'); --", ["x'); --"]),
        ("'; DROP TABLE workflows; --", []),
    ]:
        got = [r["name"] for r in read_all(engine, "workflows", {"text": needle})]
        assert got == expected, needle
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workflows")).scalar() == len(names)


def test_like_escaping_and_prefix_range() -> None:
    assert escape_like("50%_\\x") == "50\\%\\_\\\\x"
    assert prefix_range("exec-2025") == ("exec-2025", "exec-2026")
    assert prefix_range("a\ud7ff") == ("a\ud7ff", "a\ue000")  # past the surrogates
    assert prefix_range("a\U0010ffff") == ("a\U0010ffff", "b")
    assert prefix_range("\U0010ffff") == ("\U0010ffff", None)


def test_execution_id_prefix_is_served_by_the_unique_index(engine: Engine) -> None:
    seed_engine(engine, workflows=3, executions=20000, logs_per_execution=0, events=0)
    q = WindowQuery.make(specs.EXECUTIONS, {"text": "exec-0001999"})
    sql, params = window_sql(q, "top", 200)
    with engine.connect() as conn:
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql), params).scalars())
        rows = fetch_window(conn, q, "top", 200)
    assert "uq_execution_id" in plan
    assert sorted(r["execution_id"] for r in rows) == [f"exec-0001999{d}" for d in range(10)]


# ------------------------------------------------------------------ keyset windows


@pytest.mark.parametrize(
    ("key", "sort"),
    [
        ("logs", None),
        ("executions", None),
        ("executions", Sort("execution_id", False)),
        ("workflows", Sort("created_at", True)),
    ],
)
def test_paging_forward_and_backward_visits_every_row_once(
    seeded: Engine, key: str, sort: Sort | None
) -> None:
    q = WindowQuery.make(specs.SPECS[key], {}, sort)
    everything = read_all(seeded, key, {}, sort)
    with seeded.connect() as conn:
        pages = fetch_window(conn, q, "top", 37)
        while True:
            more = fetch_window(conn, q, "after", 37, anchor=keyset.sort_value(pages[-1], q))
            pages += more
            if len(more) < 37:
                break
        back = fetch_window(conn, q, "bottom", 41)
        while True:
            more = fetch_window(conn, q, "before", 41, anchor=keyset.sort_value(back[0], q))
            back = more + back
            if len(more) < 41:
                break
    assert ids(pages) == ids(everything) == ids(back)
    assert len(set(ids(pages))) == len(pages)


def test_bottom_is_the_last_rows_and_seek_lands_at_the_value(seeded: Engine) -> None:
    q = WindowQuery.make(specs.LOGS, {"min_level": "WARNING"})
    everything = read_all(seeded, "logs", {"min_level": "WARNING"})
    with seeded.connect() as conn:
        assert ids(fetch_window(conn, q, "bottom", 25)) == ids(everything[-25:])
        pm = position_map(conn, q)
        value = pm.value_at(0.5)
        rows = fetch_window(conn, q, "seek", 10, value=value)
    assert pm.first == everything[0]["created_at"] and pm.last == everything[-1]["created_at"]
    assert everything[-1]["created_at"] <= value <= everything[0]["created_at"]
    first = next(i for i, r in enumerate(everything) if r["created_at"] <= value)
    assert ids(rows) == ids(everything[first : first + 10])
    assert 0.3 < first / len(everything) < 0.7  # about half-way down


# ------------------------------------------------------------------ counts


def test_estimates_and_exact_counts(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts, "SMALL_ROWS", 0)  # as if large: estimates, not counts
    with seeded.connect() as conn:
        plain = counts.estimate_rows(conn, WindowQuery.make(specs.LOGS, {}))
        filtered_q = WindowQuery.make(specs.EXECUTIONS, {"status": ["failed"]})
        filtered = counts.estimate_rows(conn, filtered_q)
        exact = counts.exact_count(conn, filtered_q)
        true_count = conn.execute(
            text("SELECT count(*) FROM workflow_executions WHERE status = 'failed'")
        ).scalar()
        reltuples = conn.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'execution_logs'")
        ).scalar()
    assert not plain.exact and plain.rows == int(reltuples) == 1500
    assert plain.note is None  # analysed after seeding: fresh statistics say nothing
    assert not filtered.exact and 0.5 * true_count <= filtered.rows <= 2 * true_count
    assert exact.exact and exact.rows == true_count
    monkeypatch.setattr(counts, "SMALL_ROWS", 200_000)
    with seeded.connect() as conn:  # small tables are counted exactly
        assert counts.estimate_rows(conn, filtered_q) == counts.RowTotal(true_count, True)


# ------------------------------------------------------------------ details and secrets


def test_secret_looking_values_are_masked() -> None:
    doc = {
        "channel": "#ops",
        "api_token": "xoxb-123",
        "webhook_url": "https://hooks.slack.com/services/T0/B0/abc",
        "endpoint": "https://bot:pw@api.example.com/v1",
        "plain_url": "https://api.example.com/v1",
        "query": "https://api.example.com/v1?access_token=abc&page=2",
        "nested": {"password": "p", "region": "eu", "keys": ["a", "b"]},
        "Signing-Secret": 42,
        "enabled": True,
    }
    masked = mask_secrets(doc)
    assert masked["channel"] == "#ops" and masked["plain_url"] == "https://api.example.com/v1"
    assert masked["api_token"] == MASK and masked["Signing-Secret"] == MASK
    assert masked["webhook_url"] == MASK  # under a secret-named key: masked whole
    assert masked["endpoint"] == f"https://bot:{MASK}@api.example.com/v1"
    assert masked["query"] == f"https://api.example.com/v1?{MASK}"
    assert masked["nested"]["password"] == MASK and masked["nested"]["region"] == "eu"
    assert masked["nested"]["keys"] == MASK
    assert "xoxb" not in repr(masked) and "pw@" not in repr(masked)


def test_integration_detail_masks_config_and_never_reads_credentials(seeded: Engine) -> None:
    """Run every table and detail query as a role that may not read credentials_encrypted."""
    role = f"ro_{uuid.uuid4().hex[:8]}"
    with seeded.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"REVOKE SELECT ON integrations FROM {role}"))
        conn.execute(
            text(
                "GRANT SELECT (id, name, type, config, enabled, health_status, last_health_check,"
                f" created_at, updated_at) ON integrations TO {role}"
            )
        )
    with seeded.connect() as conn:
        conn.execute(text(f"SET ROLE {role}"))
        with pytest.raises(Exception, match="permission denied"):
            conn.execute(text("SELECT credentials_encrypted FROM integrations")).all()
        conn.rollback()
        conn.execute(text(f"SET ROLE {role}"))
        for key, spec in specs.SPECS.items():
            q = WindowQuery.make(spec, {})
            assert fetch_window(conn, q, "top", 50), key
            counts.estimate_rows(conn, q)
        integration = str(
            fetch_window(conn, WindowQuery.make(specs.INTEGRATIONS, {}), "top", 1)[0]["id"]
        )
        detail = details.integration_detail(conn, integration)
        event = str(fetch_window(conn, WindowQuery.make(specs.EVENTS, {}), "top", 1)[0]["id"])
        assert details.event_detail(conn, event) is not None
    assert detail is not None and "credentials_encrypted" not in detail
    assert detail["config"]["api_token"] == MASK
    assert detail["config"]["nested"]["password"] == MASK
    assert detail["config"]["channel"].startswith("#ops-")
    assert MASK in detail["config"]["endpoint"] and "pw-" not in detail["config"]["endpoint"]
    assert sum(detail["queue"].values()) > 0


def test_workflow_and_execution_details(seeded: Engine) -> None:
    wf = workflow_id(seeded, "workflow-002")
    ex = sql_ids(seeded, "SELECT id FROM workflow_executions WHERE execution_id = 'exec-00000010'")[
        0
    ]
    with seeded.connect() as conn:
        w = details.workflow_detail(conn, wf)
        e = details.execution_detail(conn, ex)
        log_id = str(fetch_window(conn, WindowQuery.make(specs.LOGS, {}), "top", 1)[0]["id"])
        log_row = details.log_detail(conn, log_id)
        assert details.execution_detail(conn, str(uuid.uuid4())) is None
    assert w is not None and [a["order_index"] for a in w["actions"]] == [0, 1, 2]
    assert w["actions"][2]["conditions"] == {"branch": "main"}
    assert len(w["triggers"]) == 1
    started = [r["started_at"] for r in w["recent_executions"]]
    assert started == sorted(started, reverse=True) and len(started) == 20
    assert e is not None
    assert [a["execution_id"] for a in e["ancestors"]] == ["exec-00000004"]
    assert [(d["execution_id"], d["retry_count"]) for d in e["descendants"]] == [
        ("exec-00000016", 2)
    ]
    assert e["retry_count"] == 1 and e["duration_s"] is not None
    assert log_row is not None and log_row["message"].startswith("line ")
