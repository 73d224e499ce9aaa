"""``tail --watch``: the followed execution joins the profile's watches; its failure is said."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy.engine import make_url

from console.db.urls import libpq_conninfo
from console.ui.watch_manager import load_watches
from tests.helpers.loadgen import finish_execution, insert_line, make_execution

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tail(db_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "console", "--url", db_url, "tail", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": REPO},
        cwd=REPO,
        timeout=60,
    )


def test_tail_watch_keeps_the_watch_and_says_the_failure(db_url) -> None:
    conninfo = libpq_conninfo(make_url(db_url))
    a, code = make_execution(conninfo)
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "boom", level="ERROR")
    finish_execution(conninfo, a, "failed")
    done = tail(db_url, "--execution", code, "--watch")
    assert done.returncode == 0, done.stderr
    assert f"watching execution {code} on url" in done.stderr
    assert f"WATCH: execution {code} failed on url" in done.stderr
    assert load_watches("url").targets("execution") == [code]


def test_tail_watch_without_an_execution_is_refused_in_one_line(db_url) -> None:
    done = tail(db_url, "--running", "--watch")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "autopr-console: --watch needs --execution ID (the execution to watch)"
    )
