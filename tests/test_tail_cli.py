"""``autopr-console tail`` as an operator runs it: a real process, a real server."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from console.cli.tail_cmd import parse_since
from tests.helpers.loadgen import WriterPlan, finish_execution, insert_line, make_execution
from tests.helpers.loadgen import run_writer as write
from tests.helpers.tail import start_tail, table_ids, wait_until_live

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_execution_jsonl_prints_every_committed_line_once_and_exits_0(db_url, conninfo):
    a, code = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "history line", step_name="prepare")
    proc = start_tail(db_url, "--execution", code, "--format", "jsonl")
    wait_until_live(proc)
    plans = [
        WriterPlan(conninfo, (a,), transactions=30, long_share=0.1, long_s=1.0, seed=s)
        for s in range(3)
    ]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(write, plans)
    finish_execution(conninfo, a)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    objects = [json.loads(line) for line in out.splitlines()]
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids))
    assert set(ids) == table_ids(conninfo, a)
    first = objects[0]
    assert first["message"] == "history line" and first["step_name"] == "prepare"
    for key in ("id", "execution_id", "created_at", "level", "message", "step_name", "action_id"):
        assert key in first
    assert first["execution_id"] == a
    assert "completed in" in err
    assert "Traceback" not in err


def test_text_format_level_filter_by_uuid_and_already_finished(db_url, conninfo):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "quiet", level="DEBUG")
        insert_line(conn, a, "multi\nline", level="ERROR", step_name="deploy")
    finish_execution(conninfo, a, "failed")
    proc = start_tail(db_url, "--execution", a, "--level", "warning")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert "ERROR" in lines[0] and "deploy: multi" in lines[0]
    assert lines[1] == "    line"
    assert "execution failed" in err


def test_unknown_execution_is_one_line_and_exit_1(db_url):
    proc = start_tail(db_url, "--execution", "exec-nope")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.strip() == "autopr-console: no execution 'exec-nope'"


def test_running_merged_ctrl_c_exits_130_quietly(db_url, conninfo):
    a, code_a = make_execution(conninfo)
    b, code_b = make_execution(conninfo)
    proc = start_tail(db_url, "--running")
    wait_until_live(proc)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "from a")
        insert_line(conn, b, "from b")
    got = [proc.stdout.readline(), proc.stdout.readline()]
    assert any(f"[{code_a}]" in g and "from a" in g for g in got)
    assert any(f"[{code_b}]" in g and "from b" in g for g in got)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_broken_pipe_exits_quietly(db_url, conninfo):
    a, _ = make_execution(conninfo)
    read_end, write_end = os.pipe()
    proc = start_tail(db_url, "--execution", a, "--no-listen", "--poll", "0.05", stdout=write_end)
    os.close(write_end)
    mode = wait_until_live(proc)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "one")
        with os.fdopen(read_end) as reader:
            assert "one" in reader.readline()  # what `| head -n 1` reads before it closes
        for i in range(50):
            insert_line(conn, a, f"more {i}")
            time.sleep(0.01)
    rc = proc.wait(timeout=30)
    err = proc.stderr.read()
    assert rc == 0
    assert "polling every 0.05 s" in mode
    assert "Traceback" not in err and "Broken pipe" not in err


def test_parse_since():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_since("10m", now) == now - timedelta(minutes=10)
    assert parse_since("90", now) == now - timedelta(seconds=90)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("2026-11-25T10:00:00Z", now) == datetime(2026, 11, 25, 10, tzinfo=UTC)
    with pytest.raises(Exception, match="not a duration"):
        parse_since("yesterday", now)


def test_since_limits_history(db_url, conninfo):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO execution_logs (execution_id, level, message, created_at)"
            " VALUES (%s, 'INFO', 'ancient', now() - interval '2 hours'),"
            " (%s, 'INFO', 'recent', now() - interval '1 minute')",
            (a, a),
        )
    finish_execution(conninfo, a)
    proc = start_tail(db_url, "--execution", a, "--since", "10m", "--format", "jsonl")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert [json.loads(x)["message"] for x in out.splitlines()] == ["recent"]
    assert uuid.UUID(json.loads(out.splitlines()[0])["id"])
    # Longer ago than year 1 (OverflowError in datetime arithmetic): the whole log, no traceback.
    proc = start_tail(db_url, "--execution", a, "--since", "10000000d", "--format", "jsonl")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert [json.loads(x)["message"] for x in out.splitlines()] == ["ancient", "recent"]
    print(f"--since 10000000d: exit {proc.returncode}, {len(out.splitlines())} lines")
