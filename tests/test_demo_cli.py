"""``autopr-console demo``: fills once, refuses staging and prod outright, resets on dev."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from console.cli import main
from console.db.embedded import ServerAddress
from console.db.urls import libpq_conninfo, normalize_url
from tests.helpers.databases import create_database, drop_database


def _count(url: str, table: str = "workflows") -> int:
    with psycopg.connect(libpq_conninfo(normalize_url(url))) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0


@pytest.fixture
def named_db(pg_address: ServerAddress, template_db: str) -> Iterator:
    """Make migrated databases with a chosen name part (prod/staging are guessed from it)."""
    made: list[str] = []

    def make(kind: str) -> str:
        name = f"t_{kind}_{uuid.uuid4().hex[:8]}"
        create_database(pg_address, name, template=template_db)
        made.append(name)
        return pg_address.url(name)

    yield make
    for name in made:
        drop_database(pg_address, name)


def test_demo_fills_once(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", db_url, "--no-simulate"]) == 0
    assert "demo data written" in capsys.readouterr().out
    workflows, logs = _count(db_url), _count(db_url, "execution_logs")
    assert workflows == 30
    assert main(["demo", "--url", db_url, "--no-simulate", "--seed", "9"]) == 0
    assert "already present" in capsys.readouterr().out
    assert (_count(db_url), _count(db_url, "execution_logs")) == (workflows, logs)


@pytest.mark.parametrize("kind", ["prod", "staging"])
def test_demo_refuses_staging_and_prod_outright(
    named_db, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = named_db(kind)
    for extra in ([], ["--reset", "--yes"], ["--scale", "--scale-factor", "0.001"]):
        assert main(["demo", "--url", url, "--no-simulate", *extra]) == 3
        err = capsys.readouterr().err.strip()
        assert f"never write to {kind}" in err and len(err.splitlines()) == 1
        assert _count(url) == 0
    # --unlock is no way around it (there is no such option any more).
    with pytest.raises(SystemExit):
        main(["demo", "--url", url, "--no-simulate", "--unlock", "url"])
    assert _count(url) == 0


def test_demo_refuses_a_server_not_on_this_machine_unless_declared_dev(
    db_url: str, pg_address: ServerAddress, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy.engine import make_url

    from tests.helpers.proxy import CommitCutter

    # The test database named as a remote server (libpq's hostaddr reaches a local proxy).
    proxy = CommitCutter(pg_address.socket_dir / f".s.PGSQL.{pg_address.port}")
    remote = make_url(db_url).set(
        host="demo-db.example.com", port=proxy.port, query={"hostaddr": "127.0.0.1"}
    )
    url = remote.render_as_string(hide_password=False)
    try:
        assert main(["demo", "--url", url, "--no-simulate"]) == 3
        err = capsys.readouterr().err
        assert "prod (assumed: environment not declared)" in err and "--environment dev" in err
        assert _count(db_url) == 0
        assert main(["demo", "--url", url, "--environment", "dev", "--no-simulate"]) == 0
        assert _count(db_url) == 30
    finally:
        proxy.close()


def test_reset_on_dev_needs_no_yes(db_url: str) -> None:
    assert main(["demo", "--url", db_url, "--no-simulate"]) == 0
    with psycopg.connect(libpq_conninfo(normalize_url(db_url))) as conn:
        conn.execute("DELETE FROM execution_logs")
    assert main(["demo", "--url", db_url, "--no-simulate", "--reset"]) == 0
    assert _count(db_url, "execution_logs") > 1000


def test_scale_refuses_filled_tables_then_loads_after_reset(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--url", db_url, "--no-simulate"]) == 0
    capsys.readouterr()
    assert main(["demo", "--url", db_url, "--scale", "--scale-factor", "0.001"]) == 1
    assert "--reset" in capsys.readouterr().err
    assert main(["demo", "--url", db_url, "--scale", "--scale-factor", "0.001", "--reset"]) == 0
    out = capsys.readouterr().out
    assert "rows/s" in out
    assert _count(db_url, "workflow_executions") == 1_000
    assert _count(db_url) == 10


def test_open_simulates_while_the_window_is_open(
    demo_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """demo --open: the real window opens, the simulator runs, closing the window stops it."""
    from tests.helpers.windows import close_windows_when

    conninfo = libpq_conninfo(normalize_url(demo_db_url))
    sim_rows = (
        "SELECT count(*) FROM workflow_executions WHERE trigger_data->>'source' = 'demo-simulator'"
    )
    sim_logs = (
        "SELECT count(*) FROM execution_logs l JOIN workflow_executions e "
        "ON e.id = l.execution_id WHERE e.trigger_data->>'source' = 'demo-simulator'"
    )
    progress: list[int] = []

    def demo_moved(_window) -> bool:
        # log lines come a second or two in: by then the window's event loop runs
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(sim_logs).fetchone()
        if row and row[0] >= 3:
            progress.append(row[0])
        return bool(progress)

    watch = close_windows_when(monkeypatch, demo_moved, timeout_s=60)
    assert main(["demo", "--open", "--url", demo_db_url]) == 0
    watch.timer.stop()
    assert watch.windows_seen >= 1
    assert progress
    with psycopg.connect(conninfo) as conn:
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        assert q(sim_rows) >= 1
        assert q(sim_logs) >= 3
        assert q(sim_rows + " AND status IN ('pending', 'running')") == 0
        assert (
            q(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'autopr-demo-simulator'"
            )
            == 0
        )
