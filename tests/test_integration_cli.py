"""``integration show`` / ``integration set-config``: masked, restored by identity, guarded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func

from console.cli import main
from console.profiles import Profile, ProfileStore
from console.secret_policy import MASK
from tests.helpers.actions import INT, audit_rows, integration, row

CONFIG = {
    "channel": "#ops",
    "tokens": ["sk-live-1"],
    "auth": {"user": "bot", "pass": "pa55-auth"},
    "webhook": {"url": "https://hooks.example.com/T0/B0/whsec-42"},
    "endpoints": [
        {"url": "https://a.example.com", "token": "tok-A"},
        {"url": "https://b.example.com", "token": "tok-B"},
    ],
}
SECRETS = ("sk-live-1", "pa55-auth", "whsec-42", "tok-A", "tok-B")


@pytest.fixture
def profiles(db_url: str) -> None:
    store = ProfileStore()
    for env in ("prod", "dev"):
        store.save(Profile(env, environment=env, url=db_url))


def _show_json(capsys, profile: str = "dev") -> dict:
    assert main(["integration", "show", "-p", profile, "slack-ops", "--format", "json"]) == 0
    out = capsys.readouterr().out
    for secret in SECRETS:
        assert secret not in out
    return json.loads(out)


def test_show_masks_every_secret_in_both_formats(engine: Engine, profiles, capsys) -> None:
    integration(engine, "slack-ops", type="slack", config=CONFIG, credentials_encrypted="opaque")
    doc = _show_json(capsys)
    assert doc["name"] == "slack-ops" and doc["type"] == "slack" and doc["enabled"] is True
    assert doc["config"]["tokens"] == MASK and doc["config"]["auth"] == MASK
    assert doc["config"]["webhook"] == MASK
    assert doc["config"]["endpoints"][0] == {"url": "https://a.example.com", "token": MASK}
    assert "credentials_encrypted" not in doc and "opaque" not in json.dumps(doc)
    assert main(["integration", "show", "-p", "dev", "slack-ops"]) == 0
    text = capsys.readouterr().out
    assert "name:" in text and '"channel": "#ops"' in text and MASK in text
    assert not any(secret in text for secret in SECRETS)
    assert main(["integration", "show", "-p", "dev", "nope"]) == 1
    assert "no integration named 'nope'" in capsys.readouterr().err


def test_set_config_keeps_masked_secrets_by_identity_and_is_audited(
    engine: Engine, profiles, capsys, tmp_path: Path
) -> None:
    integ = integration(engine, "slack-ops", type="slack", config=CONFIG)
    config = _show_json(capsys)["config"]
    config["channel"] = "#deploys"
    del config["endpoints"][0]  # by position, B would get A's token
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    code = main(["integration", "set-config", "-p", "dev", "slack-ops", "--file", str(path)])
    out = capsys.readouterr().out
    print(out.strip())
    assert code == 0 and out.startswith("done     edited the config of integration slack-ops")
    stored = row(engine, INT, integ["id"])["config"]
    assert stored == {
        **CONFIG,
        "channel": "#deploys",
        "endpoints": [{"url": "https://b.example.com", "token": "tok-B"}],
    }
    audit = audit_rows(engine)[-1]
    assert (audit["action"], audit["profile"]) == ("integration.edit_config", "dev")
    assert audit["after"]["config"]["channel"] == "#deploys"
    text = json.dumps([audit["before"], audit["after"]])
    assert not any(secret in text for secret in SECRETS)


def test_set_config_refuses_an_ambiguous_list_and_writes_nothing(
    engine: Engine, profiles, capsys, tmp_path: Path
) -> None:
    twins = {"hooks": [{"token": "t-1"}, {"token": "t-2"}]}
    integ = integration(engine, "slack-ops", type="slack", config=twins)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"hooks": [{"token": MASK}]}), encoding="utf-8")
    code = main(["integration", "set-config", "-p", "dev", "slack-ops", "--file", str(path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "hooks[0]" in captured.err and "secret itself" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert row(engine, INT, integ["id"])["config"] == twins
    assert audit_rows(engine) == []


def test_set_config_goes_through_the_write_guard(
    engine: Engine, profiles, capsys, tmp_path: Path
) -> None:
    integ = integration(engine, "slack-ops", type="slack", config=CONFIG)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"channel": "#x", "tokens": MASK}), encoding="utf-8")
    code = main(["integration", "set-config", "-p", "prod", "slack-ops", "--file", str(path)])
    assert code == 3 and "--unlock prod" in capsys.readouterr().err
    assert row(engine, INT, integ["id"])["config"] == CONFIG
    unlocked = ["-p", "prod", "--unlock", "prod", "slack-ops", "--file", str(path)]
    code = main(["integration", "set-config", *unlocked])
    assert code == 0
    assert row(engine, INT, integ["id"])["config"] == {"channel": "#x", "tokens": ["sk-live-1"]}
    audit = audit_rows(engine)[-1]
    assert audit["profile"] == "prod"
    assert audit["after"]["masked_changes"] == ["config.auth", "config.webhook"]  # removed


def test_set_config_bad_input_is_one_line(engine: Engine, profiles, capsys, tmp_path: Path):
    integration(engine, "slack-ops", type="slack", config=CONFIG)
    path = tmp_path / "config.json"
    path.write_text('{\n  "channel": "#x",\n  "tokens": }', encoding="utf-8")
    code = main(["integration", "set-config", "-p", "dev", "slack-ops", "--file", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "line 3" in err
    code = main(["integration", "set-config", "-p", "dev", "slack-ops", "--file", "/nonexistent"])
    assert code == 2 and "cannot read /nonexistent" in capsys.readouterr().err
    path.write_text("[1, 2]", encoding="utf-8")
    assert main(["integration", "set-config", "-p", "dev", "slack-ops", "--file", str(path)]) == 2
    assert "JSON object" in capsys.readouterr().err


def test_set_config_refuses_when_the_row_changed_since_it_was_read(
    engine: Engine, profiles, capsys, tmp_path: Path
) -> None:
    integ = integration(engine, "slack-ops", type="slack", config=CONFIG)
    shown = _show_json(capsys)
    read_at = shown["updated_at"]
    config = dict(shown["config"], channel="#mine")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    # Someone else (the engine, another console) writes the row after it was read.
    with engine.begin() as conn:
        conn.execute(
            INT.update()
            .where(INT.c.id == integ["id"])
            .values(config={**CONFIG, "channel": "#theirs"}, updated_at=func.now())
        )
    audits = len(audit_rows(engine))
    args = ["integration", "set-config", "-p", "dev", "slack-ops", "--file", str(path)]
    code = main([*args, "--if-unchanged-since", read_at])
    captured = capsys.readouterr()
    assert code == 1
    assert "changed meanwhile: updated_at is now" in captured.out + captured.err
    assert row(engine, INT, integ["id"])["config"]["channel"] == "#theirs"  # nothing written
    assert len(audit_rows(engine)) == audits
    # read again: the check passes and the write goes through the same guard and audit
    fresh = _show_json(capsys)["updated_at"]
    assert main([*args, "--if-unchanged-since", fresh]) == 0
    assert row(engine, INT, integ["id"])["config"]["channel"] == "#mine"
    assert len(audit_rows(engine)) == audits + 1
    capsys.readouterr()
    for bad in ("yesterday", "2026-11-25T10:00:00"):  # not a time; no offset
        assert main([*args, "--if-unchanged-since", bad]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "integration show" in err
