"""The tail command run as a subprocess, and the lines a table holds."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from sqlalchemy.engine import make_url

from console.db.urls import libpq_conninfo

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def conninfo(db_url: str) -> str:
    return libpq_conninfo(make_url(db_url))


def start_tail(db_url: str, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.Popen(
        [sys.executable, "-m", "console", "--url", db_url, "tail", *args],
        stdout=kw.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
        **kw,
    )


def wait_until_live(proc: subprocess.Popen) -> str:
    """The first stderr line says the tail is following (and in which mode)."""
    line = proc.stderr.readline()
    assert "LISTEN" in line or "polling" in line, line
    return line


def table_ids(conninfo: str, execution: str) -> set[str]:
    with psycopg.connect(conninfo) as conn:
        return {
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM execution_logs WHERE execution_id = %s", (execution,)
            )
        }
