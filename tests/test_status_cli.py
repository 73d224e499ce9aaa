"""``autopr-console status``: the Overview's figures for scripts, on ours and the engine's."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import create_database, drop_database
from engine_schema import build, fill
from sqlalchemy.engine import make_url

from console.db.urls import libpq_conninfo

ROOT = Path(__file__).resolve().parents[1]


def status(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "status", "--url", url, "--environment", "dev", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def engine_url(pg_address):
    name = f"t_engine_st_{uuid.uuid4().hex[:8]}"
    create_database(pg_address, name)
    url = pg_address.url(name)
    build(libpq_conninfo(make_url(url)))
    fill(libpq_conninfo(make_url(url)))
    yield url
    drop_database(pg_address, name)


def test_status_json_on_the_engines_database(engine_url: str) -> None:
    out = status(engine_url, "--since", "24h", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    print(json.dumps({k: doc[k] for k in ("executions", "failure_rate", "queue")}))
    by = doc["executions"]["by_status"]
    assert doc["executions"]["total"] == 12
    assert (by["completed"], by["failed"], by["timeout"], by["running"]) == (3, 3, 3, 3)
    assert doc["failure_rate"] == pytest.approx(6 / 9)
    assert doc["timeout_rate"] == pytest.approx(3 / 9)
    assert doc["running_now"] == 3
    assert doc["queue"]["pending"] == 1
    assert 29 * 60 <= doc["queue"]["oldest_pending_age_seconds"] <= 40 * 60
    assert [i["health"] for i in doc["integrations"]] == ["healthy"]
    assert doc["window_seconds"] == 86400


def test_status_text_and_window(engine_url: str, demo_db_url: str) -> None:
    out = status(engine_url, "--since", "150m")
    assert out.returncode == 0, out.stderr
    print(out.stdout)
    assert "executions started: 6 (" in out.stdout  # the 2 h timeouts and the running ones
    assert "running now: 3" in out.stdout
    assert "GitHub App (github): healthy" in out.stdout
    ours = status(demo_db_url, "--format", "json")
    assert ours.returncode == 0, ours.stderr
    doc = json.loads(ours.stdout)
    assert doc["executions"]["total"] > 0 and doc["integrations"]


@pytest.mark.parametrize("since", ["yesterday", "0m", "400d"])
def test_bad_windows_are_one_line(engine_url: str, since: str) -> None:
    out = status(engine_url, "--since", since)
    assert out.returncode == 2
    assert "--since" in out.stderr.strip().splitlines()[-1]
