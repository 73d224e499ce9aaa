"""A throw-away embedded server where a role logs in with a password (scram-sha-256)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from console.db.embedded import EmbeddedServer, ServerAddress
from console.profiles import Profile

OPERATOR = "operator"
OPERATOR_PASSWORD = "S3cret-Pw!for-operator"


@pytest.fixture(scope="module")
def password_server() -> Iterator[ServerAddress]:
    """A throw-away embedded cluster where a role needs a password (scram-sha-256)."""
    # Outside pytest's basetemp: see tests/test_embedded.py:server_home.
    home = Path(tempfile.mkdtemp(prefix="autopr-pw-"))
    root = home / "srv"
    server = EmbeddedServer(root)
    address = server.start()
    with psycopg.connect(address.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {OPERATOR} LOGIN PASSWORD '{OPERATOR_PASSWORD}'")
        conn.execute(f"CREATE DATABASE autopr_pw OWNER {OPERATOR}")
        hba = root / "pgdata" / "pg_hba.conf"
        hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
        conn.execute("SELECT pg_reload_conf()")
    yield address
    server.stop(force=True)
    shutil.rmtree(home, ignore_errors=True)


def operator_profile(address: ServerAddress, **kw) -> Profile:
    """Profile ``srv`` of the password-protected role on ``password_server``."""
    return Profile(
        "srv",
        environment="dev",
        host=str(address.socket_dir),
        port=address.port,
        dbname="autopr_pw",
        user=OPERATOR,
        **kw,
    )
