"""A password never lands on disk: not in profiles.toml, not in logs, not anywhere in our dirs."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from console import paths, secrets
from console.cli import main
from console.db.connection import ConnectionFailed, open_database
from console.db.embedded import ServerAddress
from console.db.migrator import SchemaState
from tests.helpers.password_server import OPERATOR_PASSWORD, operator_profile
from tests.helpers.secrets_check import files_holding, run_on_a_terminal

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Zq7-never-on-disk-Pw"


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps secrets in this process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture(autouse=True)
def no_session_passwords() -> Iterator[None]:
    secrets.forget_session_passwords()
    yield
    secrets.forget_session_passwords()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(fail.Keyring())


@pytest.fixture
def failing_keyring() -> Iterator[None]:
    keyring.set_keyring(fail.Keyring())
    yield


@pytest.fixture
def log_to_file() -> Iterator[Path]:
    """Everything logged at any level goes to a file in the log dir, as a console would."""
    log_dir = paths.log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_dir / "console.log", encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield log_dir / "console.log"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def our_dirs() -> list[Path]:
    return [paths.config_dir(), paths.data_dir(), paths.log_dir()]


def _add(*args: str, stdin: str) -> tuple[int, str]:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        out = io.StringIO()
        old_out, sys.stdout = sys.stdout, out
        try:
            code = main(["profile", "add", *args, "--environment", "dev"])
        finally:
            sys.stdout = old_out
    finally:
        sys.stdin = old
    return code, out.getvalue()


def test_the_scan_finds_a_secret_when_there_is_one(isolated_home: Path) -> None:
    paths.log_dir().mkdir(parents=True)
    (paths.log_dir() / "deep.bin").write_bytes(b"\x00xx" + PASSWORD.encode() + b"\xff")
    assert files_holding(PASSWORD, *our_dirs()) == [paths.log_dir() / "deep.bin"]


def test_profile_add_without_a_keyring_says_so_and_writes_nothing(isolated_home: Path) -> None:
    # A real headless run: the subprocess gets keyring's failing backend from the environment.
    env = {**os.environ, "AUTOPR_CONSOLE_HOME": str(isolated_home)}
    assert env["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "console", "profile", "add", "srv", "--environment", "dev"),
            *("--host", "db.example", "--user", "ops", "--dbname", "autopr_dev"),
            "--password-stdin",
        ],
        cwd=ROOT,
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "password was not stored" in result.stdout
    assert "once per session" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert paths.profiles_file().exists()
    assert files_holding(PASSWORD, *our_dirs()) == []


def test_profile_add_with_a_keyring_stores_it_there_only(
    isolated_home: Path, memory_keyring: MemoryKeyring
) -> None:
    code, out = _add("srv", "--host", "db.example", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0
    assert "stored in the OS keyring" in out
    assert memory_keyring.items == {(secrets.KEYRING_SERVICE, "srv"): PASSWORD}
    secrets.forget_session_passwords()
    assert secrets.get_password("srv") == PASSWORD  # read back from the keyring
    assert files_holding(PASSWORD, *our_dirs()) == []

    assert main(["profile", "remove", "srv"]) == 0
    assert memory_keyring.items == {}


@pytest.mark.parametrize("keyring_kind", ["failing", "memory"])
def test_a_password_typed_into_a_url_goes_to_the_keyring_not_the_file(
    isolated_home: Path, request: pytest.FixtureRequest, keyring_kind: str
) -> None:
    backend = request.getfixturevalue(f"{keyring_kind}_keyring")
    url = f"postgresql://ops:{PASSWORD}@db.example:5432/autopr_dev"
    code, out = _add("srv", "--url", url, stdin="")
    assert code == 0
    assert PASSWORD not in out
    assert PASSWORD not in paths.profiles_file().read_text()
    assert files_holding(PASSWORD, *our_dirs()) == []
    if keyring_kind == "memory":
        assert backend.items == {(secrets.KEYRING_SERVICE, "srv"): PASSWORD}
    else:
        assert "not stored" in out


@pytest.mark.expects_log_warnings(r"^console: connect failed: wrong or missing password")
def test_connecting_with_a_keyring_password_logs_and_writes_nothing(
    isolated_home: Path,
    memory_keyring: MemoryKeyring,
    password_server: ServerAddress,
    log_to_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    profile = operator_profile(password_server)
    secrets.store_password(profile.name, OPERATOR_PASSWORD)
    secrets.forget_session_passwords()  # must come from the keyring
    db = open_database(profile)
    try:
        assert db.migration.state is SchemaState.CURRENT
        assert not db.read_only
    finally:
        db.close()

    wrong = "Wrong-" + OPERATOR_PASSWORD
    with pytest.raises(ConnectionFailed) as info:
        open_database(profile, password=wrong)
    logging.getLogger("console").warning("connect failed: %s", info.value)

    assert log_to_file.stat().st_size > 0  # the log did get written
    for secret in (OPERATOR_PASSWORD, wrong):
        assert files_holding(secret, *our_dirs()) == []


@pytest.mark.parametrize("name", ["url", "DATABASE_URL", "Url"])
def test_ad_hoc_profile_names_cannot_be_saved(isolated_home: Path, name: str) -> None:
    code, _out = _add(name, "--host", "db.example", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2
    assert not paths.profiles_file().exists()


def test_an_ad_hoc_url_never_borrows_a_stored_password(
    memory_keyring: MemoryKeyring,
    password_server: ServerAddress,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.profiles import profile_from_url, resolve_profile

    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    # Stored passwords under the ad-hoc names (planted directly: profile add refuses them).
    memory_keyring.set_password(secrets.KEYRING_SERVICE, "url", OPERATOR_PASSWORD)
    memory_keyring.set_password(secrets.KEYRING_SERVICE, "DATABASE_URL", OPERATOR_PASSWORD)
    url = (
        f"postgresql://operator@/autopr_pw?host={password_server.socket_dir}"
        f"&port={password_server.port}"
    )
    monkeypatch.setenv("DATABASE_URL", url)
    for profile in (profile_from_url(url), resolve_profile()):
        with pytest.raises(ConnectionFailed) as info:
            open_database(profile)
        assert info.value.kind == "auth"


PROMPT = b"Password for profile"


def _profile_test_on_a_terminal(answer: str | None) -> str:
    """``profile test srv`` on a terminal; ``answer`` its password prompt (None: none may come)."""
    run = run_on_a_terminal(
        ["-m", "console", "profile", "test", "srv"],
        [(PROMPT, answer)] if answer is not None else [],
        refuse=PROMPT if answer is None else None,
    )
    assert run.unanswered == [] and run.exit_code == 0, run.text
    return run.text


@pytest.mark.parametrize("kind", ["host", "url"])
def test_without_a_keyring_the_cli_asks_once_per_session_and_keeps_nothing(
    isolated_home: Path,
    password_server: ServerAddress,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    from console.profiles import Profile, ProfileStore

    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    profile = operator_profile(password_server)
    if kind == "url":
        url = (
            f"postgresql://operator@/autopr_pw?host={password_server.socket_dir}"
            f"&port={password_server.port}"
        )
        profile = Profile("srv", environment="dev", url=url)
    ProfileStore().save(profile)
    out = _profile_test_on_a_terminal(OPERATOR_PASSWORD)
    assert "kept for this session only" in out
    assert "ok: srv (dev) autopr_pw" in out
    assert OPERATOR_PASSWORD not in out  # not echoed
    assert files_holding(OPERATOR_PASSWORD, *our_dirs()) == []


def test_with_pgpass_the_cli_does_not_ask(
    isolated_home: Path,
    password_server: ServerAddress,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.profiles import ProfileStore

    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:operator:{OPERATOR_PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    ProfileStore().save(operator_profile(password_server))
    out = _profile_test_on_a_terminal(None)
    assert "ok: srv (dev) autopr_pw" in out
