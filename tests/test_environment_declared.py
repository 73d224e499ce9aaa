"""The environment is declared; when it is not, the console assumes the stricter one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from console.cli import main
from console.db.connection import open_database
from console.environments import ASSUMED_NOTE
from console.profiles import ProfileError, ProfileStore, profile_from_url, resolve_profile
from tests.helpers.actions import EX, audit_rows, execution, row, workflow

ROOT = Path(__file__).resolve().parents[1]
ASSUMED_PROD = f"prod ({ASSUMED_NOTE})"

# (url, environment assumed when nobody declares it)
UNDECLARED = [
    ("postgresql://u@prod-db.example.com/autopr", "prod"),
    ("postgresql://u@db.example.com/autopr_dev", "prod"),  # a dev-looking name elsewhere
    ("postgresql://u@10.0.0.5:5432/autopr_dev", "prod"),
    ("postgresql://u@localhost/autopr_dev", "dev"),
    ("postgresql://u@LOCALHOST/autopr_dev", "dev"),
    ("postgresql://u@127.0.0.1/autopr_dev", "dev"),
    ("postgresql://u@127.8.9.10/autopr_dev", "dev"),
    ("postgresql://u@[::1]:5433/autopr_dev", "dev"),
    ("postgresql://u@/autopr_dev?host=/var/run/postgresql", "dev"),
    ("postgresql://u@/autopr_dev", "dev"),  # libpq's default socket
    ("postgresql://u@localhost/autopr_staging", "staging"),
    ("postgresql://u@localhost/autopr_prod", "prod"),
    ("postgresql://u@localhost/Production", "prod"),
    ("postgresql://u@localhost/app_prd", "prod"),
    ("postgresql://u@localhost/LiveOrders", "prod"),
    # libpq connects to hostaddr and names the server by host: both must be local.
    ("postgresql://u@prod-db.example.com/autopr_dev?hostaddr=127.0.0.1", "prod"),
    ("postgresql://u@localhost/autopr_dev?hostaddr=10.1.2.3", "prod"),
    ("postgresql://u@localhost,db2.example.com/autopr_dev", "prod"),
    ("postgresql://u@/autopr_dev?service=autopr", "prod"),  # the service file decides
]


@pytest.mark.parametrize(("url", "expected"), UNDECLARED)
def test_an_undeclared_url_is_prod_unless_its_server_is_on_this_machine(
    url: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTOPR_ENVIRONMENT", raising=False)
    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGSERVICE", raising=False)
    profile = profile_from_url(url)
    assert profile.environment == expected
    assert profile.environment_assumed
    assert profile.environment_label == f"{expected} ({ASSUMED_NOTE})"


def test_pghost_decides_for_a_url_without_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "prod-db.example.com")
    assert profile_from_url("postgresql://u@/autopr_dev").environment == "prod"
    monkeypatch.setenv("PGHOST", "/tmp")
    assert profile_from_url("postgresql://u@/autopr_dev").environment == "dev"


def test_a_declaration_wins_and_is_not_an_assumption(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = "postgresql://u@prod-db.example.com/autopr"
    declared = profile_from_url(remote, environment="dev")
    assert (declared.environment, declared.environment_assumed) == ("dev", False)
    monkeypatch.setenv("AUTOPR_ENVIRONMENT", "staging")
    assert resolve_profile(url=remote).environment == "staging"
    assert resolve_profile(url=remote, environment="dev").environment == "dev"  # option wins
    monkeypatch.setenv("DATABASE_URL", remote)
    assert resolve_profile().environment_label == "staging"
    monkeypatch.setenv("AUTOPR_ENVIRONMENT", "production")
    with pytest.raises(ProfileError, match="AUTOPR_ENVIRONMENT must be one of"):
        resolve_profile(url=remote)
    # A named profile declares its own environment; --environment may not contradict it.
    monkeypatch.delenv("AUTOPR_ENVIRONMENT")
    with pytest.raises(ProfileError, match="declares --url and DATABASE_URL only"):
        resolve_profile("prod", environment="dev")
    assert resolve_profile("prod", environment="prod").is_prod


def test_profile_add_needs_an_environment_unless_the_name_is_one(capsys) -> None:
    def add(*args: str) -> int:
        return main(["profile", "add", *args, "--host", "db.example.com", "--no-password"])

    for name in ("prod-eu", "production", "Prod", "live-orders", "reporting"):
        assert add(name) == 2
        err = capsys.readouterr().err.strip()
        assert "add --environment" in err and len(err.splitlines()) == 1
    assert not ProfileStore().path.exists()  # nothing was written
    assert add("staging") == 0
    assert add("reporting", "--environment", "dev") == 0
    assert (
        main(["--environment", "prod", "profile", "add", "eu", "--host", "h", "--no-password"]) == 0
    )
    assert add("prod-eu", "--environment", "dev") == 0
    out = capsys.readouterr().out
    assert "note: the name 'prod-eu' reads like production, but it is declared dev" in out
    profiles = ProfileStore().load()
    assert profiles["staging"].environment == "staging"
    assert profiles["reporting"].environment == "dev"
    assert profiles["eu"].environment == "prod"


def test_a_stored_profile_without_an_environment_is_taken_as_prod(capsys) -> None:
    store = ProfileStore()
    store.path.parent.mkdir(parents=True, exist_ok=True)  # settings may have made it
    store.path.write_text(
        '[profiles.production]\nhost = "db.example.com"\n'
        '[profiles.laptop]\nhost = "localhost"\n'
        '[profiles.dev]\nhost = "localhost"\n'
    )
    profiles = store.load()
    assert profiles["production"].environment_label == ASSUMED_PROD
    assert profiles["laptop"].environment_label == ASSUMED_PROD
    assert (profiles["dev"].environment, profiles["dev"].environment_assumed) == ("dev", False)
    assert main(["profile", "list"]) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert ASSUMED_PROD in listed["production"] and ASSUMED_PROD in listed["laptop"]
    # Saving such a profile again never writes the assumption down as a declaration.
    assert "environment" not in profiles["laptop"].to_toml()


@pytest.fixture
def remote_url(db_url: str, pg_address) -> Iterator[str]:
    """The test database as an operator would name a remote one: host prod-db.example.com.

    libpq's ``hostaddr`` sends the connection to a local TCP proxy in front of the
    test server, so the URL names a server that is not this machine but really connects.
    """
    from tests.helpers.proxy import CommitCutter

    proxy = CommitCutter(pg_address.socket_dir / f".s.PGSQL.{pg_address.port}")
    url = make_url(db_url).set(
        host="prod-db.example.com", port=proxy.port, query={"hostaddr": "127.0.0.1"}
    )
    yield url.render_as_string(hide_password=False)
    proxy.close()


def test_database_url_to_a_remote_host_needs_the_unlock(
    engine: Engine, remote_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's reproduction: DATABASE_URL=…prod-db… execution cancel wrote unlocked."""
    ex = execution(engine, workflow(engine)["id"], "running")
    env = {k: v for k, v in os.environ.items() if k != "AUTOPR_ENVIRONMENT"}
    env["DATABASE_URL"] = remote_url

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "console", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = cli("execution", "cancel", "--yes", ex["execution_id"])
    assert refused.returncode == 3
    line = refused.stderr.strip()
    assert line == (
        f"autopr-console: profile 'DATABASE_URL' is {ASSUMED_PROD} and read-only; repeat "
        "with --unlock DATABASE_URL to write (or declare its environment with --environment "
        "/ AUTOPR_ENVIRONMENT)"
    )
    assert row(engine, EX, ex["id"])["status"] == "running"
    assert audit_rows(engine) == []
    print(line)
    done = cli("execution", "cancel", "--yes", "--unlock", "DATABASE_URL", ex["execution_id"])
    assert done.returncode == 0, done.stderr
    assert row(engine, EX, ex["id"])["status"] == "cancelled"
    assert audit_rows(engine)[0]["profile"] == "DATABASE_URL"


def test_the_banner_says_prod_assumed_and_writes_stay_locked(
    qtbot, engine: Engine, remote_url: str, tmp_path: Path
) -> None:
    from console.ui.main_window import build_main_window

    ex = execution(engine, workflow(engine)["id"], "running")
    db = open_database(profile_from_url(remote_url))
    assert db.read_only  # the server enforces read-only sessions, as on any prod
    window = build_main_window(db=db, specs=[], remember=False)
    qtbot.addWidget(window)
    window.resize(1100, 300)
    window.show()
    try:
        banner = window.banner
        assert banner.env_label.text() == "PROD (assumed: environment not declared)"
        assert banner.lock_label.text() == "writes: locked (read-only)"
        assert banner.unlock_button.isVisible()
        assert window.guard is not None and not window.guard.may_write()
        assert ASSUMED_PROD in window.windowTitle()
        banner.grab().save(str(tmp_path / "banner_prod_assumed.png"))
        print(f"banner: {banner.env_label.text()} · {banner.lock_label.text()}")
    finally:
        window.close()
    assert row(engine, EX, ex["id"])["status"] == "running"
