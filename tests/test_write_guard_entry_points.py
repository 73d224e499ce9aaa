"""Every write entry point, found by looking, is refused on a locked prod and changes no row.

The entry points are enumerated, not listed by hand: the action layer's public
functions that reach ``perform``/``run_bulk`` (read from the source), the CLI
commands that take ``--unlock`` (read from the parser), ``demo`` and the
simulator, and the window's three ways in (single row, many rows, editors).  A
new entry point that this test does not know fails it until it is added here.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from console.actions import errors
from console.actions.context import ActionContext
from console.actions.errors import ActionError, BulkItem
from console.actions.guard import WriteGuard
from console.actions.tx import run_bulk
from console.cli import build_parser, main
from console.db.connection import Database, open_database
from console.profiles import Profile, ProfileStore
from tests.helpers.actions import (
    EX,
    action,
    event,
    execution,
    integration,
    make_ctx,
    row,
    trigger,
    workflow,
)

ROOT = Path(__file__).resolve().parents[1]
TABLES = (
    "workflows",
    "workflow_actions",
    "workflow_executions",
    "execution_logs",
    "integrations",
    "integration_events",
    "workflow_triggers",
    "audit_log",
)


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table the console may write, as text."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT t::text FROM {table} t ORDER BY 1")).scalars()
            out[table] = list(rows)
        out["catalog"] = list(
            conn.execute(
                text(
                    "SELECT c.relname || ':' || c.relkind::text FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' ORDER BY 1"
                )
            ).scalars()
        )
    return out


@pytest.fixture
def world(engine: Engine) -> dict[str, Any]:
    wf = workflow(engine, "Deploy to Production", config={"max_retries": 3})
    a0 = action(engine, wf["id"], 0)
    a1 = action(engine, wf["id"], 1)
    running = execution(engine, wf["id"], "running")
    failed = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    integ = integration(engine, "Production Slack", config={"channel": "#ops", "token": "sk-1"})
    trg = trigger(engine, wf["id"], conditions={"branch": "main"})
    ev_failed = event(engine, integ["id"], "failed")
    ev_pending = event(engine, integ["id"], "pending")
    return {
        "wf": wf,
        "actions": [a0, a1],
        "running": running,
        "failed": failed,
        "integ": integ,
        "trigger": trg,
        "ev_failed": ev_failed,
        "ev_pending": ev_pending,
    }


@pytest.fixture
def prod_db(db_url: str) -> Iterator[Database]:
    db = open_database(Profile("prod", environment="prod", url=db_url))
    yield db
    db.close()


# ----------------------------------------------------------------- the action layer


def action_entry_points() -> set[str]:
    """Public functions anywhere in console/ (outside the command line and the window, which
    are enumerated below) that reach perform(), run_bulk() or check_may_write(), transitively
    within their module."""
    found: set[str] = set()
    base = ROOT / "console"
    skip = {("actions", "tx"), ("actions", "context"), ("actions", "guard")}
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        if parts[0] in ("cli", "ui") or parts in skip:
            continue
        tree = ast.parse(path.read_text())
        calls: dict[str, set[str]] = {}
        for name, node in _functions(tree):
            called: set[str] = set()
            for n in ast.walk(node):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                    called.add(n.func.id)
                elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                    called.add(n.func.attr)
            calls[name] = called
        writers = {"perform", "run_bulk", "check_may_write"}
        while True:
            more = {
                name
                for name, called in calls.items()
                if called & {w.split(".")[-1] for w in writers}
            } - writers
            if not more:
                break
            writers |= more
        found |= {
            ".".join((*parts, name))
            for name in writers
            if name in calls and not name.split(".")[-1].startswith("_")
        }
    return found


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    """Module functions by name, and public classes' methods as ``Class.method``."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield f"{node.name}.{item.name}", item


def _fn(qualified: str) -> Callable[..., Any]:
    module, name = qualified.rsplit(".", 1)
    try:
        return getattr(importlib.import_module(f"console.{module}"), name)
    except ModuleNotFoundError:  # Class.method
        module, cls = module.rsplit(".", 1)
        return getattr(getattr(importlib.import_module(f"console.{module}"), cls), name)


def _partition(method: Callable, ctx: ActionContext, _w: dict) -> Any:
    """``Partitioner.run`` on the prod database (its own connection, the primary's)."""
    from console.db.urls import libpq_conninfo
    from console.logstore.partition import Partitioner

    conninfo = libpq_conninfo(ctx.engine.url)
    return method(Partitioner(conninfo, months_ahead=1), ctx, confirmed=True)


def _retention_plan(ctx: ActionContext):
    from console.logstore.retention import make_plan, parse_age

    with ctx.engine.connect() as conn:
        return make_plan(conn, parse_age("1h"))


ACTION_CALLS: dict[str, Callable[[Callable, ActionContext, dict], Any]] = {
    "actions.executions.cancel_execution": lambda f, c, w: f(
        c, w["running"]["execution_id"], confirmed=True
    ),
    "actions.executions.retry_execution": lambda f, c, w: f(
        c, w["failed"]["execution_id"], confirmed=True, override_max_retries=True
    ),
    "actions.executions.bulk_cancel": lambda f, c, w: f(
        c, [BulkItem(w["running"]["execution_id"])], confirmed=True
    ),
    "actions.executions.bulk_retry": lambda f, c, w: f(
        c, [BulkItem(w["failed"]["execution_id"])], confirmed=True
    ),
    "actions.workflows.set_workflow_status": lambda f, c, w: f(
        c, w["wf"]["name"], "archived", confirmed=True
    ),
    "actions.workflows.edit_workflow": lambda f, c, w: f(c, w["wf"]["name"], description="changed"),
    "actions.workflows.edit_action": lambda f, c, w: f(
        c, str(w["actions"][0]["id"]), config={"changed": True}
    ),
    "actions.workflows.reorder_actions": lambda f, c, w: f(
        c, w["wf"]["name"], [str(a["id"]) for a in reversed(w["actions"])]
    ),
    "actions.integrations.set_integration_enabled": lambda f, c, w: f(
        c, w["integ"]["name"], False, confirmed=True
    ),
    "actions.integrations.edit_integration_config": lambda f, c, w: f(
        c, w["integ"]["name"], {"channel": "#elsewhere"}
    ),
    "actions.triggers.set_trigger_enabled": lambda f, c, w: f(
        c, str(w["trigger"]["id"]), False, confirmed=True
    ),
    "actions.triggers.edit_trigger_conditions": lambda f, c, w: f(
        c, str(w["trigger"]["id"]), {"branch": "release"}
    ),
    "actions.events.requeue_event": lambda f, c, w: f(c, str(w["ev_failed"]["id"])),
    "actions.events.ignore_event": lambda f, c, w: f(c, str(w["ev_pending"]["id"]), confirmed=True),
    "actions.events.bulk_requeue": lambda f, c, w: f(c, [BulkItem(str(w["ev_failed"]["id"]))]),
    "actions.events.bulk_ignore": lambda f, c, w: f(
        c, [BulkItem(str(w["ev_pending"]["id"]))], confirmed=True
    ),
    "logstore.retention.apply_plan": lambda f, c, w: f(c, _retention_plan(c), confirmed=True),
    "logstore.partition.Partitioner.run": _partition,
}


def test_every_action_entry_point_is_refused_on_a_locked_prod(
    engine: Engine, world: dict, prod_db: Database
) -> None:
    found = action_entry_points()
    assert found == set(ACTION_CALLS), (
        f"write entry points not covered here: {sorted(found - set(ACTION_CALLS))}; "
        f"gone: {sorted(set(ACTION_CALLS) - found)}"
    )
    before = snapshot(engine)
    ctx = ActionContext.for_database(prod_db)  # a locked prod guard
    for name, call in sorted(ACTION_CALLS.items()):
        with pytest.raises(ActionError) as info:
            call(_fn(name), ctx, world)
        assert info.value.kind == errors.LOCKED, name
        assert "locked" in str(info.value), name
        assert snapshot(engine) == before, f"{name} changed a row on a locked prod"
    # The same calls do write once unlocked (so the refusals above were the guard's).
    ctx.guard.unlock("prod")
    ACTION_CALLS["actions.executions.cancel_execution"](
        _fn("actions.executions.cancel_execution"), ctx, world
    )
    assert row(engine, EX, world["running"]["id"])["status"] == "cancelled"
    print(f"write layer: {len(found)} entry points, each refused on a locked prod, rows unchanged")


def test_bulk_asks_the_guard_again_before_every_batch(engine: Engine) -> None:
    """The unlock lapses during the first batch: later batches are refused, not written."""
    from console.actions.executions import cancel_step

    now = [1000.0]
    guard = WriteGuard("prod", "prod", unlock_seconds=60, clock=lambda: now[0])
    ctx = ActionContext(engine, "prod", "prod", guard)
    wf = workflow(engine)
    runs = [execution(engine, wf["id"], "running") for _ in range(5)]
    assert guard.unlock("prod")

    def step_for(item: BulkItem):
        step = cancel_step(item.target)

        def lapse_then(tx):
            now[0] += 31  # two items: the unlock is over when the next batch starts
            return step(tx)

        return lapse_then

    items = [BulkItem(r["execution_id"]) for r in runs]
    summary = run_bulk(ctx, "cancel", items, step_for, confirmed=True, batch_size=2)
    assert len(summary.done) == 2
    assert [err.kind for _t, err in summary.refused] == [errors.LOCKED] * 3
    statuses = [row(engine, EX, r["id"])["status"] for r in runs]
    assert statuses == ["cancelled"] * 2 + ["running"] * 3
    print(f"bulk: unlock lapsed after batch 1: {summary.headline()}")


# ----------------------------------------------------------------- every SQL writer, by looking

WRITE_SQL = re.compile(
    r"\b(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE|COPY\s+\w+\s+FROM"
    r"|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|DATABASE|EXTENSION|FUNCTION|TRIGGER|OR\s+REPLACE)"
    r"|ALTER\s+(TABLE|INDEX)|DROP\s+(TABLE|INDEX|TRIGGER|DATABASE|FUNCTION)"
    r"|(DETACH|ATTACH)\s+PARTITION)\b",
    re.IGNORECASE,
)
SQLALCHEMY_WRITES = {"insert", "update", "delete"}

# Every module holding SQL that writes, and the guard that stands before it.  A module
# that starts writing and is not here fails the census until its guard is named (and
# tested above or in the test named here).
SQL_WRITERS: dict[str, str] = {
    "actions.executions": "steps run by perform/run_bulk (the action entry points above)",
    "actions.simple": "steps run by perform/run_bulk (the action entry points above)",
    "actions.workflows": "steps run by perform/run_bulk (the action entry points above)",
    "actions.tx": "perform/run_bulk themselves: the guard is asked before every transaction",
    "logstore.retention": "apply_plan: the guard, then perform (entry point above)",
    "logstore.partition": "Partitioner.run asks the guard first (entry point above)",
    "db.migrator": "migrations: confirm_migrations built on WriteGuard (test_migrate_... below)",
    "db.embedded": "CREATE DATABASE on the console's own embedded server only",
    "demo.dataset": "demo: demo_guard refuses staging/prod (CLI test above)",
    "demo.scale": "demo --scale: demo_guard refuses staging/prod (CLI test above)",
    "demo.schema_snapshot": "used by demo.scale only (demo_guard)",
    "demo.simulator": "DemoSimulator.start: check_demo (test_demo_simulator_... below)",
    "selftest_data": "selftest: its own throw-away embedded database",
}


def sql_writing_modules() -> dict[str, set[str]]:
    """Modules of console/ whose functions hold write SQL (text or SQLAlchemy insert/update/
    delete), with those functions."""
    found: dict[str, set[str]] = {}
    base = ROOT / "console"
    for path in sorted(base.rglob("*.py")):
        module = ".".join(path.relative_to(base).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        # functions, and the module itself (SQL kept in a module constant counts too)
        scopes = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for node in [*scopes, tree]:
            if node is tree:
                node = ast.Module(
                    body=[n for n in tree.body if isinstance(n, ast.Assign | ast.AnnAssign)],
                    type_ignores=[],
                )
                node.name = "<module constants>"  # type: ignore[attr-defined]
            for n in ast.walk(node):
                writes = (
                    (
                        isinstance(n, ast.Constant)
                        and isinstance(n.value, str)
                        and WRITE_SQL.search(n.value) is not None
                    )
                    or (
                        isinstance(n, ast.Call)
                        and isinstance(n.func, ast.Name)
                        and n.func.id in SQLALCHEMY_WRITES
                    )
                    or (  # sa.insert(t), or a table constant's AUDIT.insert() / WF.update()
                        isinstance(n, ast.Call)
                        and isinstance(n.func, ast.Attribute)
                        and n.func.attr in SQLALCHEMY_WRITES
                        and isinstance(n.func.value, ast.Name)
                        and (n.func.value.id in ("sa", "sqlalchemy") or n.func.value.id.isupper())
                    )
                )
                if writes:
                    found.setdefault(module, set()).add(node.name)
                    break
    return found


def test_every_module_that_writes_sql_names_its_guard() -> None:
    found = sql_writing_modules()
    unknown = {m: sorted(f) for m, f in found.items() if m not in SQL_WRITERS}
    assert not unknown, f"SQL writers without a named guard (add them to SQL_WRITERS): {unknown}"
    gone = set(SQL_WRITERS) - set(found)
    assert not gone, f"no longer write SQL (remove from SQL_WRITERS): {sorted(gone)}"
    total = sum(len(f) for f in found.values())
    print(f"SQL census: {total} writing functions in {len(found)} modules, each behind a guard")


# Connections that write whatever the environment (console.db.engine.maintenance_connect,
# and console.logstore.layout.connect built on it): read-write even on prod, so only a
# module whose writes stand behind a named guard (SQL_WRITERS) may open one.
MAINTENANCE_OPENERS = {"maintenance_connect", "layout.connect"}


def maintenance_connection_users() -> dict[str, set[str]]:
    """Modules of console/ calling a maintenance opener, with the openers they call."""
    found: dict[str, set[str]] = {}
    base = ROOT / "console"
    for path in sorted(base.rglob("*.py")):
        module = ".".join(path.relative_to(base).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        imported = {  # local name -> "<its module's last part>.<name>"
            alias.asname or alias.name: f"{(node.module or '').split('.')[-1]}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        for n in ast.walk(tree):
            if isinstance(n, ast.Call):
                name = ast.unparse(n.func)
                opener = imported.get(name, name)
                if opener.endswith("maintenance_connect") or opener in MAINTENANCE_OPENERS:
                    found.setdefault(module, set()).add(opener)
    return found


def test_maintenance_connections_open_only_behind_a_named_guard() -> None:
    users = maintenance_connection_users()
    assert "demo.simulator" in users and "logstore.partition" in users  # the census sees them
    unguarded = {m: sorted(o) for m, o in users.items() if m not in SQL_WRITERS}
    unguarded.pop("logstore.layout", None)  # layout.connect itself (its callers are checked)
    assert not unguarded, f"read-write maintenance connections without a guard: {unguarded}"
    print(f"maintenance connections opened by: {sorted(users)}")


# ----------------------------------------------------------------- the command line


def cli_write_commands() -> set[tuple[str, ...]]:
    """Every sub-command path whose parser takes --unlock (the writing commands)."""
    found: set[tuple[str, ...]] = set()

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for act in parser._actions:
            if isinstance(act, argparse._SubParsersAction):
                for name, sub in act.choices.items():
                    walk(sub, (*path, name))
            elif "--unlock" in act.option_strings:
                found.add(path)

    walk(build_parser(), ())
    return found


def _config_file(tmp: Path) -> str:
    path = tmp / "config.json"
    path.write_text(json.dumps({"channel": "#elsewhere"}))
    return str(path)


CLI_TARGETS: dict[tuple[str, ...], Callable[[dict, Path], list[str]]] = {
    ("execution", "cancel"): lambda w, t: [w["running"]["execution_id"]],
    ("execution", "retry"): lambda w, t: ["--override-max-retries", w["failed"]["execution_id"]],
    ("workflow", "set-status"): lambda w, t: [w["wf"]["name"], "archived"],
    ("integration", "enable"): lambda w, t: [w["integ"]["name"]],
    ("integration", "disable"): lambda w, t: [w["integ"]["name"]],
    ("integration", "set-config"): lambda w, t: [w["integ"]["name"], "--file", _config_file(t)],
    ("trigger", "enable"): lambda w, t: [str(w["trigger"]["id"])],
    ("trigger", "disable"): lambda w, t: [str(w["trigger"]["id"])],
    ("event", "requeue"): lambda w, t: [str(w["ev_failed"]["id"])],
    ("event", "ignore"): lambda w, t: [str(w["ev_pending"]["id"])],
    ("logs", "partition"): lambda w, t: [],
    ("logs", "retain"): lambda w, t: ["--older-than", "1h"],
}


# Writing commands with their own test (their rows to write need another database).
CLI_OWN_TESTS = {("migrate",)}


def test_every_cli_write_command_is_refused_on_a_locked_prod(
    engine: Engine, world: dict, db_url: str, tmp_path: Path, capsys
) -> None:
    store = ProfileStore()
    store.save(Profile("prod", environment="prod", url=db_url))
    store.save(Profile("staging", environment="staging", url=db_url))
    found = cli_write_commands()
    known = set(CLI_TARGETS) | CLI_OWN_TESTS
    assert found == known, f"writing commands not covered here: {sorted(found - known)}"
    before = snapshot(engine)
    for path, targets in sorted(CLI_TARGETS.items()):
        argv = [*path, "-p", "prod", "--yes", *targets(world, tmp_path)]
        assert main(argv) == 3, path
        err = capsys.readouterr().err.strip()
        assert "--unlock prod" in err and len(err.splitlines()) == 1, (path, err)
        assert snapshot(engine) == before, f"{' '.join(path)} changed a row on a locked prod"
    # demo: refused outright on prod (even unlocked: there is no --unlock) and on staging.
    for profile in ("prod", "staging"):
        assert main(["demo", "-p", profile, "--no-simulate"]) == 3
        assert "demo data and the simulator never write" in capsys.readouterr().err
        assert snapshot(engine) == before
    print(
        f"command line: {len(CLI_TARGETS)} writing commands refused (exit 3) on a locked prod "
        f"(+ {len(CLI_OWN_TESTS)} tested on its own), "
        "demo refused on prod and staging, rows unchanged"
    )


def test_migrate_on_a_locked_prod_applies_nothing(empty_db_url: str, capsys) -> None:
    """``migrate`` (the schema's writer) has pending work only on a database behind us."""
    from sqlalchemy import create_engine, inspect

    ProfileStore().save(Profile("prod", environment="prod", url=empty_db_url))
    ProfileStore().save(Profile("stg", environment="staging", url=empty_db_url))
    refusals = {
        ("-p", "prod", "--yes"): "--unlock prod",  # --yes is no unlock
        ("-p", "prod", "--unlock", "nope"): "does not match the profile name",
        ("-p", "stg"): "apply with --yes",  # staging: a confirmation
    }
    eng = create_engine(empty_db_url)
    try:
        for argv, says in refusals.items():
            # exit 3 like every other refused write: the same guard, not a copy of its rule
            assert main(["migrate", *argv]) == 3, argv
            err = capsys.readouterr().err.strip()
            assert says in err and len(err.splitlines()) == 1, (argv, err)
            assert inspect(eng).get_table_names() == []  # nothing was created
    finally:
        eng.dispose()
    print(
        "migrate: refused with exit 3 on a locked prod (--yes, a wrong name) and unconfirmed "
        "staging; no table created"
    )


# ----------------------------------------------------------------- the window


def test_every_window_way_in_asks_for_the_unlock_first(
    qtbot, engine: Engine, world: dict, prod_db: Database
) -> None:
    from PySide6.QtWidgets import QWidget

    from console.actions.executions import bulk_cancel, cancel_execution
    from console.actions.workflows import edit_workflow
    from console.ui.actions.controller import ActionController
    from console.ui.actions.editors import open_json_editor
    from console.ui.banner import UnlockDialog
    from console.ui.tasks import TaskRunner

    runner = TaskRunner()
    host = QWidget()
    qtbot.addWidget(host)
    controller = ActionController(host, runner, prod_db)
    target = world["running"]["execution_id"]
    before = snapshot(engine)
    ways = {
        "single": lambda: controller.single(
            "cancel", target, lambda ctx, ok: cancel_execution(ctx, target, confirmed=ok)
        ),
        "bulk": lambda: controller.bulk(
            "cancel",
            "execution",
            [BulkItem(target)],
            lambda ctx, items, ok: bulk_cancel(ctx, items, confirmed=ok),
        ),
        "editor": lambda: open_json_editor(
            controller,
            "Edit config",
            "workflow.config",
            {"max_retries": 1},
            lambda v: edit_workflow(controller.ctx, world["wf"]["name"], config=v),
        ),
    }
    for name, start in ways.items():
        controller.dialog = None
        start()
        assert isinstance(controller.dialog, UnlockDialog), name
        controller.dialog.name_edit.setText("not-prod")
        assert not controller.dialog.try_unlock()
        controller.dialog.reject()
        runner.wait_idle()
        assert snapshot(engine) == before, f"the window's {name} path wrote on a locked prod"
    runner.wait_idle()
    print("window: single, bulk and editor all stop at the unlock dialog; rows unchanged")


def test_demo_simulator_is_an_entry_point_refused_on_prod(demo_db_url: str) -> None:
    from console.db.urls import libpq_conninfo, normalize_url
    from console.demo.simulator import DemoSimulator

    guard = WriteGuard("prod", "prod")
    guard.unlock("prod")  # unlocked or not: demo rows never go to prod
    sim = DemoSimulator(libpq_conninfo(normalize_url(demo_db_url)), guard=guard)
    eng_before = open_database(Profile("d", environment="dev", url=demo_db_url))
    try:
        before = snapshot(eng_before.engine)
        with pytest.raises(ActionError, match="never write to prod"):
            sim.start()
        assert snapshot(eng_before.engine) == before
    finally:
        eng_before.close()


def test_dev_writes_without_ceremony(engine: Engine, world: dict) -> None:
    """The guard lets local/dev write without ceremony (the refusals are not blanket)."""
    from console.actions.executions import cancel_execution

    cancel_execution(make_ctx(engine, "dev"), world["running"]["execution_id"])
    assert row(engine, EX, world["running"]["id"])["status"] == "cancelled"
