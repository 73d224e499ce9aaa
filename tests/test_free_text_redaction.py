"""Free-text error messages pass the secrets policy wherever they are shown, copied,
exported, notified or audited: a connection URL's password and ``password=``/``token=``
pairs are redacted, the rest of the message stays readable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, text

from console.actions.tx import Tx
from console.queries import details, specs
from console.queries.keyset import Sort, WindowQuery, fetch_offset, fetch_window
from console.queries.watches import evaluate
from console.ui.tables import columns, export
from console.watches import Watch, WatchList
from tests.helpers.actions import event, execution, integration, make_ctx, workflow
from tests.helpers.loadgen import finish_execution, insert_line, make_execution
from tests.helpers.tail import start_tail

PASSWORD, TOKEN, URL_PASSWORD = "hunter2-pw", "tok-abc123", "S3cret-url-pw"
ERROR = (
    f"could not connect to postgresql://app:{URL_PASSWORD}@db.internal:5432/jobs;"
    f" retried with password={PASSWORD} token={TOKEN}: connection refused"
)
SECRETS = (PASSWORD, TOKEN, URL_PASSWORD)


def no_secret(value: Any) -> bool:
    text = json.dumps(value, default=str)
    return not any(s in text for s in SECRETS)


def readable(message: str) -> bool:
    return "db.internal:5432/jobs" in message and "connection refused" in message


def test_error_messages_are_redacted_everywhere(engine: Engine, tmp_path: Path) -> None:
    wf = workflow(engine)
    ex = execution(engine, wf["id"], "failed", execution_id="exec-redact-1", error_message=ERROR)
    integ = integration(engine, "gh")
    ev = event(engine, integ["id"], "failed", error_message=ERROR)

    with engine.connect() as conn:
        for key in ("executions", "events"):
            q = WindowQuery.make(specs.SPECS[key], {})
            for rows in (fetch_window(conn, q, "top", 50), fetch_offset(conn, q, 0, 50)):
                (shown,) = [r for r in rows if r["error_message"]]
                assert no_secret(shown) and readable(shown["error_message"]), key
        grouped = WindowQuery.make(specs.EXECUTIONS, {}, Sort("status", False))
        assert no_secret(fetch_window(conn, grouped, "top", 50))
        ex_detail = details.execution_detail(conn, str(ex["id"]))
        ev_detail = details.event_detail(conn, str(ev["id"]))
        why = details.integration_detail(conn, str(integ["id"]))
        problems = evaluate(conn, WatchList([Watch("execution", "exec-redact-1")]), "dev")
    assert ex_detail is not None and ev_detail is not None and why is not None
    assert no_secret(ex_detail) and readable(ex_detail["error_message"])
    assert no_secret(ev_detail) and no_secret(why["recent_failures"])
    assert problems and no_secret([p.body for p in problems]) and readable(problems[0].body)

    # exported (and copied: the same rows) as CSV and JSON
    for fmt in export.FORMATS:
        q = WindowQuery.make(specs.EXECUTIONS, {})
        path = tmp_path / f"executions.{fmt}"
        export.write_rows(
            path, fmt, columns.EXECUTIONS, export.batches(engine, q), 1, lambda d, t: True
        )
        written = path.read_text(encoding="utf-8")
        assert not any(s in written for s in SECRETS) and "db.internal:5432/jobs" in written

    # audited: whatever a change records of a row, its error message is redacted
    with engine.begin() as conn:
        Tx(conn, make_ctx(engine, "dev", "dev")).audit(
            "execution.note", "workflow_executions", str(ex["id"]), {"error_message": ERROR}, None
        )
    with engine.connect() as conn:
        audit = [r[0] for r in conn.execute(text("SELECT a::text FROM audit_log a"))]
    assert audit and "db.internal:5432/jobs" in audit[-1]
    assert not any(s in row for row in audit for s in SECRETS)


def test_a_secret_cut_by_a_truncated_read_is_masked(engine: Engine) -> None:
    """Table windows read ``left(error_message, 300)``, watch notifications 200 characters:
    a URL password or a bearer token standing across the cut must not show its first
    characters either."""
    wf = workflow(engine)
    url = "postgresql://app:" + URL_PASSWORD + "@db.internal/jobs"

    def across(cut: int, prefix: str, secret: str) -> str:  # 4 letters before the cut
        return "x" * (cut - 1 - len(prefix) - 4) + " " + prefix + secret

    cases = {
        "exec-cut-1": across(300, "postgresql://app:", url[len("postgresql://app:") :]),
        "exec-cut-2": across(300, "Bearer ", TOKEN + "-long-enough"),
        "exec-cut-3": across(200, "postgresql://app:", url[len("postgresql://app:") :]),
    }
    for execution_id, message in cases.items():
        execution(engine, wf["id"], "failed", execution_id=execution_id, error_message=message)
    with engine.connect() as conn:
        rows = fetch_window(conn, WindowQuery.make(specs.EXECUTIONS, {}), "top", 50)
        (problem,) = evaluate(conn, WatchList([Watch("execution", "exec-cut-3")]), "dev")
    shown = {r["execution_id"]: r["error_message"] for r in rows}
    assert shown["exec-cut-1"].endswith("postgresql://app:***")
    assert shown["exec-cut-2"].endswith("Bearer ***")
    assert "postgresql://app:*** (on dev)" in problem.body
    assert URL_PASSWORD[:4] not in shown["exec-cut-1"] + problem.body
    assert TOKEN[:4] not in shown["exec-cut-2"]


def test_log_messages_are_redacted_in_pages_details_and_the_tail(
    engine: Engine, db_url: str, conninfo: str
) -> None:
    """A log line's message is free text from the engine too: the Logs page, its detail and
    ``autopr-console tail`` (the tail's one line constructor, shared with the window)."""
    a, _code = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, ERROR, level="ERROR", step_name="connect")
        insert_line(conn, a, "plain progress line 42", step_name="build")
    finish_execution(conninfo, a, "failed")

    with engine.connect() as conn:
        rows = fetch_window(conn, WindowQuery.make(specs.LOGS, {}), "top", 50)
        mine = [r for r in rows if r["execution_id"] == a or str(r.get("execution_id")) == a]
        shown = {r["message"] for r in rows}
        (secret_row,) = [r for r in rows if "db.internal" in r["message"]]
        detail = details.log_detail(conn, str(secret_row["id"]))
    assert mine and "plain progress line 42" in shown  # harmless text unchanged
    assert no_secret(rows) and readable(secret_row["message"])
    assert detail is not None and no_secret(detail) and readable(detail["message"])

    proc = start_tail(db_url, "--execution", a, "--format", "jsonl")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    messages = [json.loads(line)["message"] for line in out.splitlines()]
    assert len(messages) == 2 and "plain progress line 42" in messages
    assert not any(s in out for s in SECRETS)
    assert any(readable(m) for m in messages)
