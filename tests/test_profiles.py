"""Connection profiles: the TOML file, validation, overrides, service names, .pgpass, errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from console import paths, secrets
from console.db.connection import ConnectionFailed, open_database
from console.db.embedded import ServerAddress
from console.db.urls import BadURLError, libpq_conninfo
from console.profiles import (
    Profile,
    ProfileError,
    ProfileStore,
    profile_from_url,
    resolve_profile,
)
from tests.helpers.password_server import OPERATOR, OPERATOR_PASSWORD, operator_profile

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_session_passwords() -> Iterator[None]:
    secrets.forget_session_passwords()
    yield
    secrets.forget_session_passwords()


# --------------------------------------------------------------------------- the TOML file
def test_round_trip_through_the_toml_file(isolated_home: Path) -> None:
    store = ProfileStore()
    saved = [
        Profile(
            "ci",
            environment="dev",
            url="postgresql://ci@db.example:6543/autopr_dev?sslmode=require",
        ),
        Profile(
            "stg-eu",
            environment="staging",
            host="db.eu.example",
            port=5433,
            dbname="autopr_staging",
            user="ops",
            sslmode="verify-full",
            connect_timeout_s=9,
            statement_timeout_ms=5_000,
            extra={"target_session_attrs": "read-write"},
        ),
        Profile("prod-svc", environment="prod", service="autopr_prod"),
        Profile("laptop", environment="local", embedded=True, dbname="autopr_dev"),
    ]
    for profile in saved:
        store.save(profile)
    assert store.path == paths.profiles_file() and store.path.is_relative_to(isolated_home)
    loaded = ProfileStore().load()
    for profile in saved:
        assert loaded[profile.name] == profile
    # The built-in four are always there with the documented databases.
    assert {
        n: (p.environment, p.database_name())
        for n, p in loaded.items()
        if n in ("local", "dev", "staging", "prod")
    } == {
        "local": ("local", "autopr_dev"),
        "dev": ("dev", "autopr_dev"),
        "staging": ("staging", "autopr_staging"),
        "prod": ("prod", "autopr_prod"),
    }
    assert store.remove("ci") is True and "ci" not in ProfileStore().load()
    assert store.remove("ci") is False


def test_a_url_password_is_never_written(isolated_home: Path) -> None:
    ProfileStore().save(Profile("x", url="postgresql://u:hunter2-pw@h/db"))
    text_ = paths.profiles_file().read_text()
    assert "hunter2-pw" not in text_
    assert ProfileStore().get("x").url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("name", ["", "-dash", "has space", "x" * 64, "naïve", "a/b", "a:b"])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(ProfileError, match="profile name is 1-63 letters"):
        ProfileStore().save(Profile(name, host="h"))


BAD_FILES = [
    ("[profiles.x]\nurl = 'mysql://a@b/c'\n", "only PostgreSQL URLs"),
    ("[profiles.x]\nurl = 'not a url'\n", "not a database URL"),
    ("[profiles.x]\nurl = 'postgresql://u:pw@h/db'\n", "holds a password"),
    ("[profiles.x]\nhost = 'h'\npasword = 'x'\n", "unknown keys pasword"),
    ("[profiles.x]\nhost = 'h'\nport = 'abc'\n", "port must be a number"),
    ("[profiles.x]\nhost = 'h'\nport = 70000\n", "port must be 1..65535"),
    ("[profiles.x]\nhost = 'h'\nenvironment = 'production'\n", "environment must be one of"),
    ("[profiles.x]\nhost = 'h'\nsslmode = 'always'\n", "sslmode must be one of"),
    ("[profiles.x]\nhost = 'h'\nembedded = 'yes'\n", "embedded must be true or false"),
    ("[profiles.x]\nhost = 'h'\nurl = 'postgresql://h/db'\n", "give one of"),
    ("[profiles.x]\nurl = 'postgresql://h/db'\nuser = 'u'\n", "put host, port, user"),
    ("[profiles.x\n", "is not valid TOML"),
    ("profiles = 3\n", "must be a table"),
    ("[profiles]\nx = 3\n", "is not a table"),
    ("[profiles.'bad name']\nhost = 'h'\n", "profile name"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_a_bad_profiles_file_gives_a_clear_message(content: str, message: str) -> None:
    path = paths.profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    with pytest.raises(ProfileError, match=message):
        ProfileStore().load()
    with pytest.raises(ProfileError, match=message):
        ProfileStore().get("local")


@pytest.mark.parametrize("content", ["[profiles.x\n", "profiles = 3\n"])
def test_saving_into_an_unreadable_file_refuses_and_keeps_it(content: str) -> None:
    path = paths.profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    with pytest.raises(ProfileError):
        ProfileStore().save(Profile("y", host="h"))
    assert path.read_text() == content


def test_cli_reports_a_bad_profiles_file_in_one_line(isolated_home: Path) -> None:
    path = paths.profiles_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[profiles.x]\nurl = 'mysql://a@b/c'\n")
    env = {**os.environ, "AUTOPR_CONSOLE_HOME": str(isolated_home)}
    for args in (["profile", "list"], ["migrate", "--profile", "x"], ["profile", "test", "x"]):
        result = subprocess.run(
            [sys.executable, "-m", "console", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "only PostgreSQL URLs" in result.stderr


# --------------------------------------------------------------------------- resolution
def test_database_url_overrides_the_default_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_profile().name == "local"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@localhost/autopr_staging")
    profile = resolve_profile()
    assert profile.name == "DATABASE_URL" and profile.environment == "staging"
    assert profile.sqlalchemy_url().drivername == "postgresql+psycopg"
    # Explicit choices on the command line still win over the environment.
    assert resolve_profile("dev").name == "dev"
    assert resolve_profile(url="postgresql://u@localhost/autopr_prod").environment == "prod"


def test_url_profiles_guess_their_environment_on_the_safe_side() -> None:
    assert profile_from_url("postgresql://localhost/autopr_prod").is_prod
    assert profile_from_url("postgresql://localhost/autopr_staging").asks_before_migrating
    assert profile_from_url("postgresql://localhost/autopr_dev").environment == "dev"
    assert profile_from_url("postgresql://h/autopr_dev").is_prod  # not this machine
    with pytest.raises(BadURLError):
        profile_from_url("sqlite:///x.db")


def test_service_profile_gives_a_service_conninfo_and_connects(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_url(db_url)
    service_file = tmp_path / "pg_service.conf"
    service_file.write_text(
        f"[autopr_svc]\nhost={url.query['host']}\nport={url.query['port']}\n"
        f"user={url.username}\ndbname={url.database}\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(service_file))
    profile = Profile("svc", environment="dev", service="autopr_svc")
    assert libpq_conninfo(profile.sqlalchemy_url()) == "service=autopr_svc"
    assert profile.describe() == "service=autopr_svc"

    db = open_database(profile)
    try:
        assert db.conninfo() == "service=autopr_svc"
        assert db.database_name == url.database
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM workflows")).scalar() == 0
        with psycopg.connect(db.conninfo()) as raw:  # the live tail's raw connection too
            assert raw.execute("SELECT current_database()").fetchone() == (url.database,)
    finally:
        db.close()


# --------------------------------------------------------------------------- password auth
def test_the_password_server_really_requires_a_password(
    password_server: ServerAddress, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    conninfo = libpq_conninfo(operator_profile(password_server).sqlalchemy_url())
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(conninfo).close()


def test_pgpass_supplies_the_password_of_a_server_profile(
    password_server: ServerAddress, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(
        f"{password_server.socket_dir}:{password_server.port}:autopr_pw:{OPERATOR}:"
        f"{OPERATOR_PASSWORD}\n"
    )
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    profile = operator_profile(password_server)
    assert secrets.get_password(profile.name) is None  # no keyring here, nothing in memory
    db = open_database(profile)
    try:
        assert db.migration.applied  # it connected with the .pgpass password and migrated
        assert OPERATOR_PASSWORD not in db.conninfo()
        with psycopg.connect(db.conninfo()) as raw:
            assert raw.execute("SELECT current_user").fetchone() == (OPERATOR,)
    finally:
        db.close()


def test_wrong_password_is_an_auth_failure_that_never_shows_the_password(
    password_server: ServerAddress, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    wrong = "Wr0ng-pa55word-xyz"
    with pytest.raises(ConnectionFailed) as info:
        open_database(operator_profile(password_server), password=wrong)
    assert info.value.kind == "auth"
    assert wrong not in str(info.value)

    # The same through an ad-hoc URL carrying the password.
    url = (
        f"postgresql://{OPERATOR}:{wrong}@/autopr_pw?host={password_server.socket_dir}"
        f"&port={password_server.port}"
    )
    with pytest.raises(ConnectionFailed) as info:
        open_database(profile_from_url(url))
    assert info.value.kind == "auth"
    assert wrong not in str(info.value) and "***" in str(info.value)

    with pytest.raises(ConnectionFailed) as info:
        open_database(operator_profile(password_server))
    assert info.value.kind == "auth"
    assert info.value.cause == "password"  # libpq's PQconnectionNeedsPassword, not the text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_reported_as_such() -> None:
    pw = "Unreach-pw-123"
    profile = Profile("far", host="127.0.0.1", port=_closed_port(), dbname="x", user="u")
    with pytest.raises(ConnectionFailed) as info:
        open_database(profile, password=pw)
    assert info.value.kind == "unreachable"
    assert "cannot be reached" in str(info.value) and pw not in str(info.value)


def test_missing_database_is_reported_as_such(pg_address: ServerAddress) -> None:
    pw = "Missing-db-pw-456"
    profile = Profile(
        "nodb",
        host=str(pg_address.socket_dir),
        port=pg_address.port,
        dbname="autopr_no_such_db",
        user="postgres",
    )
    with pytest.raises(ConnectionFailed) as info:
        open_database(profile, password=pw)
    assert info.value.kind == "missing-db"
    assert "does not exist" in str(info.value) and pw not in str(info.value)


def test_missing_role_is_not_mistaken_for_a_missing_database(pg_address: ServerAddress) -> None:
    profile = Profile(
        "norole",
        host=str(pg_address.socket_dir),
        port=pg_address.port,
        dbname="postgres",
        user="no_such_role_database",
    )
    with pytest.raises(ConnectionFailed) as info:
        open_database(profile)
    assert info.value.kind == "auth"
    assert "user does not exist" in str(info.value)
