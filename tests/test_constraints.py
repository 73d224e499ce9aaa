"""The database itself refuses bad rows: CHECKs, UNIQUEs and foreign keys, and cascades."""

from __future__ import annotations

import uuid

import pytest
from psycopg import errors
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from models.vocab import (
    EVENT_STATUSES,
    EXECUTION_STATUSES,
    HEALTH_STATUSES,
    INTEGRATION_TYPES,
    LOG_LEVELS,
    TRIGGER_TYPES,
    WORKFLOW_STATUSES,
)


def _workflow(conn: Connection, name: str | None = None) -> uuid.UUID:
    return conn.execute(
        text("INSERT INTO workflows (name) VALUES (:n) RETURNING id"),
        {"n": name or f"wf-{uuid.uuid4().hex[:8]}"},
    ).scalar_one()


def _execution(conn: Connection, workflow_id: uuid.UUID, **cols: object) -> uuid.UUID:
    names = ["workflow_id", *cols]
    sql = (
        f"INSERT INTO workflow_executions ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + n for n in names)}) RETURNING id"
    )
    return conn.execute(text(sql), {"workflow_id": workflow_id, **cols}).scalar_one()


def _action(conn: Connection, workflow_id: uuid.UUID, order_index: int) -> uuid.UUID:
    return conn.execute(
        text(
            "INSERT INTO workflow_actions (workflow_id, action_type, action_name, order_index) "
            "VALUES (:w, 'deploy', 'Deploy', :o) RETURNING id"
        ),
        {"w": workflow_id, "o": order_index},
    ).scalar_one()


def _integration(conn: Connection, **cols: object) -> uuid.UUID:
    values = {"name": f"int-{uuid.uuid4().hex[:8]}", "type": "github", **cols}
    sql = (
        f"INSERT INTO integrations ({', '.join(values)}) "
        f"VALUES ({', '.join(':' + n for n in values)}) RETURNING id"
    )
    return conn.execute(text(sql), values).scalar_one()


def refuse(
    engine: Engine, stmt: str, params: dict, error: type[Exception], constraint: str | None
) -> None:
    """Run ``stmt`` in its own transaction and check the server refused it as expected."""
    with pytest.raises(IntegrityError) as info, engine.begin() as conn:
        conn.execute(text(stmt), params)
    assert isinstance(info.value.orig, error), info.value.orig
    if constraint is not None:
        assert info.value.orig.diag.constraint_name == constraint


@pytest.fixture
def wf(engine: Engine) -> uuid.UUID:
    with engine.begin() as conn:
        return _workflow(conn, "parent")


@pytest.fixture
def integration(engine: Engine) -> uuid.UUID:
    with engine.begin() as conn:
        return _integration(conn)


@pytest.fixture
def execution(engine: Engine, wf: uuid.UUID) -> uuid.UUID:
    with engine.begin() as conn:
        return _execution(conn, wf)


# --------------------------------------------------------------------------- server defaults
def test_insert_naming_only_business_columns_works_for_all_seven_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        wf = (
            conn.execute(text("INSERT INTO workflows (name) VALUES ('w') RETURNING *"))
            .one()
            ._mapping
        )
        assert wf["status"] == "draft" and wf["config"] == {}
        assert wf["created_at"] is not None and wf["updated_at"] is not None
        assert wf["id"] is not None

        ex = (
            conn.execute(
                text("INSERT INTO workflow_executions (workflow_id) VALUES (:w) RETURNING *"),
                {"w": wf["id"]},
            )
            .one()
            ._mapping
        )
        assert ex["status"] == "pending" and ex["retry_count"] == 0
        assert ex["started_at"] is not None and ex["completed_at"] is None
        assert ex["execution_id"].startswith("exec-")

        act = (
            conn.execute(
                text(
                    "INSERT INTO workflow_actions (workflow_id, action_type, action_name, "
                    "order_index) VALUES (:w, 'test', 'Run tests', 0) RETURNING *"
                ),
                {"w": wf["id"]},
            )
            .one()
            ._mapping
        )
        assert act["config"] == {} and act["created_at"] is not None

        log = (
            conn.execute(
                text(
                    "INSERT INTO execution_logs (execution_id, message) VALUES (:e, 'hello') "
                    "RETURNING *"
                ),
                {"e": ex["id"]},
            )
            .one()
            ._mapping
        )
        assert log["level"] == "INFO" and log["created_at"] is not None

        trig = (
            conn.execute(
                text(
                    "INSERT INTO workflow_triggers (workflow_id, trigger_type) "
                    "VALUES (:w, 'manual') RETURNING *"
                ),
                {"w": wf["id"]},
            )
            .one()
            ._mapping
        )
        assert trig["enabled"] is True and trig["conditions"] == {}

        integ = (
            conn.execute(
                text("INSERT INTO integrations (name, type) VALUES ('gh', 'github') RETURNING *")
            )
            .one()
            ._mapping
        )
        assert integ["enabled"] is True and integ["health_status"] == "unknown"
        assert integ["config"] == {}

        ev = (
            conn.execute(
                text(
                    "INSERT INTO integration_events (integration_id, event_type) "
                    "VALUES (:i, 'push') RETURNING *"
                ),
                {"i": integ["id"]},
            )
            .one()
            ._mapping
        )
        assert ev["status"] == "pending" and ev["retry_count"] == 0 and ev["payload"] == {}


def test_generated_execution_ids_are_distinct(engine: Engine, wf: uuid.UUID) -> None:
    with engine.begin() as conn:
        ids = conn.execute(
            text(
                "INSERT INTO workflow_executions (workflow_id) "
                "SELECT :w FROM generate_series(1, 500) RETURNING execution_id"
            ),
            {"w": wf},
        ).scalars()
        ids = list(ids)
    assert len(set(ids)) == 500
    assert all(len(i) == len("exec-20251122-150000-abc123") for i in ids)


# --------------------------------------------------------------------------- CHECKs
ENUM_COLUMNS = [
    # (table, column, constraint, vocabulary)
    ("workflows", "status", "chk_workflow_status", WORKFLOW_STATUSES),
    ("workflow_executions", "status", "chk_execution_status", EXECUTION_STATUSES),
    ("execution_logs", "level", "chk_log_level", LOG_LEVELS),
    ("integrations", "type", "chk_integration_type", INTEGRATION_TYPES),
    ("integrations", "health_status", "chk_integration_health", HEALTH_STATUSES),
    ("integration_events", "status", "chk_event_status", EVENT_STATUSES),
    ("workflow_triggers", "trigger_type", "chk_trigger_type", TRIGGER_TYPES),
]


def _insert_with(table: str, column: str) -> str:
    """An INSERT of one row of ``table`` with ``column`` = :v (parents from the fixtures)."""
    base = {
        "workflows": ("name", "'w-' || gen_random_uuid()"),
        "workflow_executions": ("workflow_id", ":wf"),
        "execution_logs": ("execution_id, message", ":ex, 'm'"),
        "integrations": (
            "name" + (", type" if column != "type" else ""),
            "'i-' || gen_random_uuid()" + (", 'github'" if column != "type" else ""),
        ),
        "integration_events": ("integration_id, event_type", ":integ, 'push'"),
        "workflow_triggers": ("workflow_id", ":wf"),
    }[table]
    return f"INSERT INTO {table} ({base[0]}, {column}) VALUES ({base[1]}, :v)"


@pytest.mark.parametrize(("table", "column", "constraint", "values"), ENUM_COLUMNS)
def test_enum_check_accepts_its_vocabulary_and_refuses_anything_else(
    engine: Engine,
    wf: uuid.UUID,
    execution: uuid.UUID,
    integration: uuid.UUID,
    table: str,
    column: str,
    constraint: str,
    values: tuple[str, ...],
) -> None:
    stmt = _insert_with(table, column)
    params = {"wf": wf, "ex": execution, "integ": integration}
    with engine.begin() as conn:
        for value in values:
            conn.execute(text(stmt), {**params, "v": value})
    for bad in ("bogus", values[0].upper() if values[0].islower() else values[0].lower(), ""):
        refuse(engine, stmt, {**params, "v": bad}, errors.CheckViolation, constraint)


def test_completed_before_started_is_refused(engine: Engine, wf: uuid.UUID) -> None:
    stmt = (
        "INSERT INTO workflow_executions (workflow_id, started_at, completed_at) "
        "VALUES (:w, :s, :c)"
    )
    refuse(
        engine,
        stmt,
        {"w": wf, "s": "2025-11-22T15:00:00Z", "c": "2025-11-22T14:59:59Z"},
        errors.CheckViolation,
        "chk_completed_at_after_started",
    )
    with engine.begin() as conn:  # equal and later are fine, so is NULL
        conn.execute(
            text(stmt), {"w": wf, "s": "2025-11-22T15:00:00Z", "c": "2025-11-22T15:00:00Z"}
        )
        conn.execute(text(stmt), {"w": wf, "s": "2025-11-22T15:00:00Z", "c": None})
    # An UPDATE cannot sneak past it either.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("UPDATE workflow_executions SET completed_at = started_at - interval '1 second'")
        )


def test_negative_order_index_is_refused(engine: Engine, wf: uuid.UUID) -> None:
    stmt = (
        "INSERT INTO workflow_actions (workflow_id, action_type, action_name, order_index) "
        "VALUES (:w, 'deploy', 'Deploy', :o)"
    )
    refuse(engine, stmt, {"w": wf, "o": -1}, errors.CheckViolation, "chk_order_index_positive")
    with engine.begin() as conn:
        conn.execute(text(stmt), {"w": wf, "o": 0})


def test_required_columns_refuse_null(engine: Engine, wf: uuid.UUID) -> None:
    refuse(
        engine,
        "INSERT INTO workflows (name, status) VALUES ('x', NULL)",
        {},
        errors.NotNullViolation,
        None,
    )
    refuse(
        engine,
        "INSERT INTO workflow_actions (workflow_id, action_type, action_name) "
        "VALUES (:w, 'deploy', 'Deploy')",
        {"w": wf},
        errors.NotNullViolation,
        None,
    )


# --------------------------------------------------------------------------- UNIQUEs
def test_uniques_refuse_duplicates(engine: Engine) -> None:
    with engine.begin() as conn:
        w1 = _workflow(conn, "same")
        w2 = _workflow(conn, "other")
        _execution(conn, w1, execution_id="exec-20251122-150000-abc123")
        _action(conn, w1, 0)
        _action(conn, w2, 0)  # the same order index in another workflow is fine
        _integration(conn, name="Production Slack", type="slack")
    refuse(
        engine,
        "INSERT INTO workflows (name) VALUES ('same')",
        {},
        errors.UniqueViolation,
        "uq_workflow_name",
    )
    refuse(
        engine,
        "INSERT INTO workflow_executions (workflow_id, execution_id) "
        "VALUES (:w, 'exec-20251122-150000-abc123')",
        {"w": w2},
        errors.UniqueViolation,
        "uq_execution_id",
    )
    refuse(
        engine,
        "INSERT INTO workflow_actions (workflow_id, action_type, action_name, order_index) "
        "VALUES (:w, 'notify', 'Notify', 0)",
        {"w": w1},
        errors.UniqueViolation,
        "uq_workflow_action_order",
    )
    refuse(
        engine,
        "INSERT INTO integrations (name, type) VALUES ('Production Slack', 'teams')",
        {},
        errors.UniqueViolation,
        "uq_integration_name",
    )


# --------------------------------------------------------------------------- foreign keys
def _count(conn: Connection, table: str) -> int:
    return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_deleting_a_workflow_cascades_to_executions_actions_triggers_and_logs(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        keep = _workflow(conn, "keep")
        gone = _workflow(conn, "gone")
        for w in (keep, gone):
            ex = _execution(conn, w)
            _action(conn, w, 0)
            conn.execute(
                text(
                    "INSERT INTO workflow_triggers (workflow_id, trigger_type) "
                    "VALUES (:w, 'manual')"
                ),
                {"w": w},
            )
            conn.execute(
                text("INSERT INTO execution_logs (execution_id, message) VALUES (:e, 'm')"),
                {"e": ex},
            )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM workflows WHERE id = :w"), {"w": gone})
    with engine.connect() as conn:
        for table in ("workflow_executions", "workflow_actions", "workflow_triggers"):
            rows = conn.execute(text(f"SELECT workflow_id FROM {table}")).scalars().all()
            assert rows == [keep], table
        assert _count(conn, "execution_logs") == 1


def test_deleting_an_execution_cascades_to_its_logs(engine: Engine, wf: uuid.UUID) -> None:
    with engine.begin() as conn:
        ex = _execution(conn, wf)
        conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, message) "
                "SELECT :e, 'line ' || g FROM generate_series(1, 10) g"
            ),
            {"e": ex},
        )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM workflow_executions WHERE id = :e"), {"e": ex})
    with engine.connect() as conn:
        assert _count(conn, "execution_logs") == 0


def test_deleting_an_integration_cascades_to_its_events(
    engine: Engine, integration: uuid.UUID
) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO integration_events (integration_id, event_type) "
                "SELECT :i, 'push' FROM generate_series(1, 5)"
            ),
            {"i": integration},
        )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM integrations WHERE id = :i"), {"i": integration})
    with engine.connect() as conn:
        assert _count(conn, "integration_events") == 0


def test_a_parent_execution_with_retries_cannot_be_deleted(engine: Engine, wf: uuid.UUID) -> None:
    with engine.begin() as conn:
        parent = _execution(conn, wf, status="failed")
        _execution(conn, wf, parent_execution_id=parent, retry_count=1)
    refuse(
        engine,
        "DELETE FROM workflow_executions WHERE id = :p",
        {"p": parent},
        errors.ForeignKeyViolation,
        "workflow_executions_parent_execution_id_fkey",
    )


def test_deleting_an_action_keeps_its_logs_without_it(
    engine: Engine, wf: uuid.UUID, execution: uuid.UUID
) -> None:
    """``execution_logs.action_id`` is ON DELETE SET NULL (revision 0004): the log
    lines outlive an action that is removed, so the document's cascade holds."""
    with engine.begin() as conn:
        action = _action(conn, wf, 0)
        conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, action_id, message) VALUES (:e, :a, 'm')"
            ),
            {"e": execution, "a": action},
        )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM workflow_actions WHERE id = :a"), {"a": action})
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT action_id FROM execution_logs WHERE execution_id = :e"),
            {"e": execution},
        ).all()
    assert [row.action_id for row in kept] == [None]


def test_children_need_an_existing_parent(engine: Engine) -> None:
    missing = uuid.uuid4()
    for stmt, constraint in (
        (
            "INSERT INTO workflow_executions (workflow_id) VALUES (:m)",
            "workflow_executions_workflow_id_fkey",
        ),
        (
            "INSERT INTO integration_events (integration_id, event_type) VALUES (:m, 'push')",
            "integration_events_integration_id_fkey",
        ),
        (
            "INSERT INTO execution_logs (execution_id, message) VALUES (:m, 'm')",
            "execution_logs_execution_id_fkey",
        ),
    ):
        refuse(engine, stmt, {"m": missing}, errors.ForeignKeyViolation, constraint)


# --------------------------------------------------------------------------- ORM
def test_orm_relationships_work_both_ways_and_match_the_server_defaults(engine: Engine) -> None:
    from sqlalchemy.orm import Session

    from models import (
        ExecutionLog,
        Integration,
        IntegrationEvent,
        Workflow,
        WorkflowAction,
        WorkflowExecution,
        WorkflowTrigger,
    )

    with Session(engine) as session:
        wf = Workflow(name="Deploy to Production", config={"max_retries": 3})
        act = WorkflowAction(action_type="deploy", action_name="Deploy", order_index=0)
        wf.actions.append(act)
        wf.triggers.append(WorkflowTrigger(trigger_type="manual"))
        first = WorkflowExecution(status="failed")
        retry = WorkflowExecution(status="completed", retry_count=1, parent=first)
        wf.executions.extend([first, retry])
        retry.logs.append(ExecutionLog(message="done", action=act))
        integ = Integration(name="Production Slack", type="slack")
        integ.events.append(IntegrationEvent(event_type="deployment.completed"))
        session.add_all([wf, integ])
        session.commit()
        ids = (wf.id, retry.id)

    with Session(engine) as session:
        wf = session.get(Workflow, ids[0])
        assert wf is not None and wf.status == "draft"
        assert [a.action_name for a in wf.actions] == ["Deploy"]
        assert wf.actions[0].workflow is wf and wf.triggers[0].workflow is wf
        retry = session.get(WorkflowExecution, ids[1])
        assert retry is not None and retry.workflow is wf
        assert retry.parent is not None and retry.parent.retries == [retry]
        assert retry.execution_id.startswith("exec-")  # the server's default
        log = retry.logs[0]
        assert log.execution is retry and log.action is wf.actions[0]
        assert log.action.logs == [log]
        integ = session.query(Integration).one()
        assert integ.events[0].integration is integ and integ.events[0].status == "pending"
        assert integ.health_status == "unknown" and integ.enabled is True
