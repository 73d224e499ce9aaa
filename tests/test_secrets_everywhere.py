"""Known secrets in nested JSON, edited through the real action paths, never reach the audit
trail nor any file the console writes; what the console shows of them is masked."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from console import applog, paths
from console.actions import reads
from console.actions.errors import ActionError
from console.actions.events import requeue_event
from console.actions.integrations import (
    edit_integration_config,
    load_masked_config,
    set_integration_enabled,
)
from console.actions.triggers import edit_trigger_conditions
from console.actions.workflows import edit_action, edit_workflow
from console.cli import main
from console.db.engine import EngineSettings, raw_connect
from console.db.urls import libpq_conninfo
from console.profiles import Profile, ProfileError, ProfileStore
from console.queries import details
from console.secret_policy import MASK, mask
from console.tail.export import export_execution_log
from console.ui import settings
from tests.helpers.actions import (
    ACT,
    INT,
    TRG,
    WF,
    action,
    event,
    execution,
    integration,
    make_ctx,
    row,
    trigger,
    workflow,
)

SECRETS = {
    "token_in_list": "sk-live-1",
    "nested_pass": "pa55-n3sted-auth",
    "webhook_url": "https://hooks.example.com/T0/B0/whsec-0042",
    "endpoint_a": "tok-endpoint-A",
    "endpoint_b": "tok-endpoint-B",
    "api_key_number": "918273645",
    "payload_secret": "evt-s3cret-77",
    "metadata_cookie": "ck-0f-metadata",
    "result_key": "res-key-5150",
    "new_token": "sk-live-2-typed",
}
S = SECRETS


def _read(engine, query, *args):
    with engine.connect() as conn:
        return query(conn, *args)


def _config() -> dict:
    return {
        "channel": "#ops",
        "tokens": [S["token_in_list"]],
        "auth": {"user": "bot", "pass": S["nested_pass"]},
        "webhook": {"url": S["webhook_url"]},
        "api_key": int(S["api_key_number"]),
        "endpoints": [
            {"url": "https://a.example.com", "token": S["endpoint_a"]},
            {"url": "https://b.example.com", "token": S["endpoint_b"]},
        ],
    }


def _audit_text(engine: Engine) -> list[str]:
    """Every audit row, every column, as PostgreSQL prints it."""
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT a::text FROM audit_log a"))]


def _files(*dirs: Path) -> list[Path]:
    return [Path(d) / f for top in dirs for d, _, files in os.walk(top) for f in files]


def test_secrets_never_reach_the_audit_trail_nor_a_file(
    engine: Engine, db_url: str, capsys, isolated_home: Path
) -> None:
    log_file = applog.setup_logging(logging.DEBUG)
    try:
        _exercise(engine, db_url, capsys)
    finally:
        applog.shutdown_logging()
    audit = _audit_text(engine)
    files = _files(paths.config_dir(), paths.data_dir(), paths.log_dir())
    assert log_file in files and len(audit) == 7
    leaks = [
        (name, where)
        for name, secret in SECRETS.items()
        for where in [f"audit row {i}" for i, a in enumerate(audit) if secret in a]
        + [str(p) for p in files if secret.encode() in p.read_bytes()]
    ]
    print(f"audit rows: {len(audit)}, files scanned: {len(files)}, secrets found: {len(leaks)}")
    assert leaks == []
    # The files that may hold a password or a secret are the owner's only.
    for path in (paths.profiles_file(), Path(settings.settings_file())):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def _exercise(engine: Engine, db_url: str, capsys) -> None:
    ctx = make_ctx(engine, "dev", "dev")
    ProfileStore().save(Profile("dev", environment="dev", url=db_url))
    wf = workflow(engine, "deploy", config={"max_retries": 2, **_config()})
    act = action(engine, wf["id"], 0, config=_config(), conditions={"auth": {"pass": "x1"}})
    trg = trigger(engine, wf["id"], conditions={"webhook": {"url": S["webhook_url"]}})
    integ = integration(engine, "slack-ops", type="slack", config=_config())
    ex = execution(
        engine,
        wf["id"],
        "failed",
        trigger_data={"token": S["token_in_list"]},
        result={"private_key": S["result_key"]},
    )
    ev = event(engine, integ["id"], "failed", payload={"secret": S["payload_secret"]})
    with engine.begin() as conn:
        log_id = conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, level, message, log_metadata)"
                " VALUES (:e, 'INFO', 'deployed', CAST(:m AS jsonb)) RETURNING id"
            ),
            {"e": ex["id"], "m": json.dumps({"session": {"cookie": S["metadata_cookie"]}})},
        ).scalar_one()

    # What the detail panes show: every JSON column masked.
    with engine.connect() as conn:
        shown = [
            details.workflow_detail(conn, str(wf["id"])),
            details.execution_detail(conn, str(ex["id"])),
            details.log_detail(conn, str(log_id)),
            details.integration_detail(conn, str(integ["id"])),
            details.event_detail(conn, str(ev["id"])),
        ]
    shown_text = json.dumps(shown, default=str)
    assert not [name for name, secret in SECRETS.items() if secret in shown_text]
    assert shown[0]["actions"][0]["config"]["tokens"] == MASK

    # The editors' paths: load masked, change something else, save; secrets stay.
    masked, seen = load_masked_config(engine, "slack-ops")
    masked["channel"] = "#deploys"
    del masked["endpoints"][0]
    edit_integration_config(ctx, "slack-ops", masked, seen=seen)
    stored = row(engine, INT, integ["id"])["config"]
    assert stored["endpoints"] == [{"url": "https://b.example.com", "token": S["endpoint_b"]}]
    assert stored["tokens"] == [S["token_in_list"]] and stored["auth"]["pass"] == S["nested_pass"]

    wf_doc = mask(_read(engine, reads.workflow_for_edit, str(wf["id"]))["config"])
    wf_doc["max_retries"] = 3
    wf_doc["tokens"] = [S["token_in_list"], S["new_token"]]  # a replaced secret
    edit_workflow(ctx, str(wf["id"]), config=wf_doc)
    stored_wf = row(engine, WF, wf["id"])["config"]
    assert stored_wf["webhook"] == {"url": S["webhook_url"]} and stored_wf["max_retries"] == 3
    assert stored_wf["tokens"] == [S["token_in_list"], S["new_token"]]
    with engine.connect() as conn:
        changes = conn.execute(
            text("SELECT after->'masked_changes' FROM audit_log WHERE action = 'workflow.edit'")
        ).scalar_one()
    assert changes == ["config.tokens"]  # the audit says a secret changed, not what it is

    act_row = _read(engine, reads.actions_of, str(wf["id"]))[0]
    act_doc = mask(act_row["config"])
    act_doc["endpoints"].reverse()
    edit_action(ctx, str(act["id"]), config=act_doc, conditions=mask(act_row["conditions"]))
    assert row(engine, ACT, act["id"])["config"]["endpoints"][0]["token"] == S["endpoint_b"]

    trg_doc = mask(_read(engine, reads.triggers_of, str(wf["id"]))[0]["conditions"])
    edit_trigger_conditions(ctx, str(trg["id"]), {**trg_doc, "branch": "main"})
    assert row(engine, TRG, trg["id"])["conditions"]["webhook"] == {"url": S["webhook_url"]}

    with pytest.raises(ActionError, match="secret itself"):  # ambiguous: refused, not guessed
        edit_action(ctx, str(act["id"]), config={"endpoints": [{"url": "x", "token": MASK}]})

    set_integration_enabled(ctx, "slack-ops", False)
    requeue_event(ctx, str(ev["id"]))

    # The CLI paths: show (masked) and set-config (placeholders keep the secrets).
    assert main(["integration", "show", "-p", "dev", "slack-ops", "--format", "json"]) == 0
    cli_doc = json.loads(capsys.readouterr().out)
    cli_doc["config"]["channel"] = "#cli"
    config_file = paths.data_dir() / "config.json"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(json.dumps(cli_doc["config"], ensure_ascii=False), encoding="utf-8")
    cmd = ["integration", "set-config", "-p", "dev", "slack-ops", "--file", str(config_file)]
    assert main(cmd) == 0
    assert row(engine, INT, integ["id"])["config"]["webhook"] == {"url": S["webhook_url"]}

    # Files: a tail export, remembered filters, profiles (a password= URL is refused).
    export = paths.data_dir() / "exec.jsonl"
    conninfo = libpq_conninfo(make_url(db_url))
    export_execution_log(
        lambda: raw_connect(conninfo, EngineSettings(read_only=True)), ex["id"], export, "jsonl"
    )
    assert json.loads(export.read_text().splitlines()[0])["log_metadata"]["session"] == MASK
    settings.save_filters(
        "dev", "integrations", {"json": json.dumps({"auth": {"pass": S["nested_pass"]}})}
    )
    settings.save_filters("dev", "workflows", {"text": "deploy"})
    assert settings.load_filters("dev", "integrations") == {}
    assert settings.load_filters("dev", "workflows") == {"text": "deploy"}
    with pytest.raises(ProfileError, match="password="):
        ProfileStore().save(Profile("leaky", url=f"{db_url}?password={S['nested_pass']}"))
    logging.getLogger("console.test").info("config was %s", stored)  # logs redact too


def test_profile_urls_holding_password_are_refused(isolated_home: Path, capsys) -> None:
    url = "postgresql://ops@db.example.com/autopr?sslmode=require&password=pw-add-1"
    code = main(["profile", "add", "x", "--environment", "dev", "--url", url, "--no-password"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "password=" in err and "pw-add-1" not in err
    assert not paths.profiles_file().exists()
    for body in (
        'url = "postgresql://ops@db/autopr?password=pw-load-2"',
        'host = "db"\nextra = { password = "pw-load-2" }',
        'url = "postgresql://ops@db/autopr?options=-c%20PASSWORD%3Dpw-load-2"',
    ):
        paths.profiles_file().parent.mkdir(parents=True, exist_ok=True)
        paths.profiles_file().write_text(f"[profiles.leaky]\n{body}\n", encoding="utf-8")
        assert main(["profile", "list"]) == 1
        err = capsys.readouterr().err.strip()
        assert "password=" in err and "pw-load-2" not in err and len(err.splitlines()) == 1
    # An ad-hoc URL (--url, DATABASE_URL) is not saved; what is shown of it hides the password.
    from console.profiles import profile_from_url

    shown = profile_from_url("postgresql://ops@db/autopr?password=pw-adhoc-3").describe()
    assert "pw-adhoc-3" not in shown and "password=***" in shown
