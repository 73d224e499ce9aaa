"""The action commands: same layer, same rules, one-line reasons and exit codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from console.cli import main
from console.profiles import Profile, ProfileStore
from tests.helpers.actions import (
    EV,
    EX,
    INT,
    TRG,
    WF,
    audit_rows,
    event,
    execution,
    integration,
    row,
    trigger,
    workflow,
)


@pytest.fixture
def profiles(db_url: str) -> None:
    store = ProfileStore()
    for env in ("prod", "staging", "dev"):
        store.save(Profile(env, environment=env, url=db_url))


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    return err[0]


def test_cancel_on_dev_prints_a_line_per_item(engine: Engine, profiles, capsys) -> None:
    wf = workflow(engine)
    a, b = (execution(engine, wf["id"], "running") for _ in range(2))
    code = main(["execution", "cancel", "-p", "dev", a["execution_id"], str(b["id"])])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(out) == 2 and all(line.startswith("done") for line in out)
    assert row(engine, EX, a["id"])["status"] == row(engine, EX, b["id"])["status"] == "cancelled"


def test_prod_refuses_without_unlock(engine: Engine, profiles, capsys) -> None:
    ex = execution(engine, workflow(engine)["id"], "running")
    code = main(["execution", "cancel", "-p", "prod", "--yes", ex["execution_id"]])
    assert code == 3
    assert "--unlock prod" in _err_line(capsys)
    code = main(["execution", "cancel", "-p", "prod", "--yes", "--unlock", "staging", "x"])
    assert code == 3
    assert "does not match" in _err_line(capsys)
    assert row(engine, EX, ex["id"])["status"] == "running"
    code = main(["execution", "cancel", "-p", "prod", "--yes", "--unlock", "prod", str(ex["id"])])
    assert code == 0
    assert row(engine, EX, ex["id"])["status"] == "cancelled"
    assert audit_rows(engine)[0]["profile"] == "prod"


def test_staging_needs_yes(engine: Engine, profiles, capsys) -> None:
    wf = workflow(engine, "nightly", status="active")
    code = main(["workflow", "set-status", "-p", "staging", "nightly", "archived"])
    assert code == 3
    assert "--yes" in _err_line(capsys)
    assert row(engine, WF, wf["id"])["status"] == "active"
    assert main(["workflow", "set-status", "-p", "staging", "--yes", "nightly", "archived"]) == 0
    assert row(engine, WF, wf["id"])["status"] == "archived"
    # Activating is not destructive: no --yes needed.
    assert main(["workflow", "set-status", "-p", "staging", "nightly", "active"]) == 0


def test_retry_max_retries_and_override(engine: Engine, profiles, capsys) -> None:
    wf = workflow(engine, config={"max_retries": 1})
    ex = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC), retry_count=1)
    code = main(["execution", "retry", "-p", "dev", ex["execution_id"]])
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("refused")
    assert "--override-max-retries" in captured.err and len(captured.err.splitlines()) == 1
    code = main(["execution", "retry", "-p", "dev", "--override-max-retries", ex["execution_id"]])
    assert code == 0
    assert "retried" in capsys.readouterr().out


def test_mixed_items_exit_1_with_summary(engine: Engine, profiles, capsys) -> None:
    integ = integration(engine)
    failed = event(engine, integ["id"], "failed")
    done = event(engine, integ["id"], "completed")
    code = main(["event", "requeue", "-p", "dev", str(failed["id"]), str(done["id"])])
    assert code == 1
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["done", "refused"]
    assert "1 of 2 refused" in captured.err
    assert row(engine, EV, failed["id"])["status"] == "pending"


def test_integration_and_trigger_toggles(engine: Engine, profiles, capsys) -> None:
    integ = integration(engine, "gh-main", enabled=True)
    trg = trigger(engine, workflow(engine)["id"], enabled=False)
    assert main(["integration", "disable", "-p", "dev", "gh-main"]) == 0
    assert row(engine, INT, integ["id"])["enabled"] is False
    assert main(["trigger", "enable", "-p", "dev", str(trg["id"])]) == 0
    assert row(engine, TRG, trg["id"])["enabled"] is True
    assert main(["trigger", "enable", "-p", "dev", str(trg["id"])]) == 1
    assert "already enabled" in _err_line(capsys)
    assert main(["integration", "enable", "-p", "dev", "no-such"]) == 1
    assert "no longer exists" in _err_line(capsys)


def test_event_ignore_bulk_on_staging_needs_yes(engine: Engine, profiles, capsys) -> None:
    integ = integration(engine)
    ids = [str(event(engine, integ["id"], "failed")["id"]) for _ in range(3)]
    assert main(["event", "ignore", "-p", "staging", *ids]) == 3
    assert "--yes" in _err_line(capsys)
    assert main(["event", "ignore", "-p", "staging", "--yes", *ids]) == 0
    assert len(audit_rows(engine)) == 3
