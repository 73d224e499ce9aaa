"""A database as the AutoPR Engine builds it, and rows as the engine writes them.

The DDL is written from what is known of the engine's own schema code (its ORM
``create_all`` and its Alembic history): the eleven document columns are ``json``
(not ``jsonb``; the one GIN index PostgreSQL refuses for json is left out), the
UNIQUE constraints are unnamed (PostgreSQL's ``*_key`` names), the health CHECK is
``chk_health_status``, ``workflows.status`` defaults to ``active``, ids have no
server default (the engine makes them in Python), there is an extra index
``idx_workflow_executions_execution_id``, two extra tables, and the engine's own
``alembic_version`` at ``9a1b2c3d4e5f``.

The rows: execution ids ``{workflow name}_{ISO time}``, statuses completed /
failed / timeout / running, trigger types outside event/schedule/webhook/manual,
and ``started_at`` stamped by an engine host whose clock runs ahead.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

ENGINE_REVISION = "9a1b2c3d4e5f"
SKEW = timedelta(minutes=7)  # the engine host's clock runs this far ahead of the server's

ENGINE_DDL = """
CREATE TABLE workflows (
    id uuid PRIMARY KEY,
    name varchar(255) NOT NULL UNIQUE,
    description text,
    status varchar(50) NOT NULL DEFAULT 'active',
    config json NOT NULL,
    created_by varchar(255),
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT chk_workflow_status CHECK (status IN ('active', 'inactive', 'archived', 'draft'))
);
CREATE INDEX idx_workflows_status ON workflows (status);
CREATE INDEX idx_workflows_created_at ON workflows (created_at);

CREATE TABLE workflow_executions (
    id uuid PRIMARY KEY,
    workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    execution_id varchar(255) NOT NULL UNIQUE,
    status varchar(50) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    result json,
    error_message text,
    retry_count integer NOT NULL,
    parent_execution_id uuid REFERENCES workflow_executions(id),
    trigger_type varchar(100),
    trigger_data json,
    CONSTRAINT chk_execution_status CHECK (
        status IN ('pending', 'running', 'completed', 'failed', 'timeout', 'cancelled')),
    CONSTRAINT chk_completed_at_after_started CHECK (
        completed_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX idx_workflow_executions_workflow_id ON workflow_executions (workflow_id);
CREATE INDEX idx_workflow_executions_status ON workflow_executions (status);
CREATE INDEX idx_workflow_executions_started_at ON workflow_executions (started_at);
CREATE INDEX idx_workflow_executions_trigger_type ON workflow_executions (trigger_type);
CREATE INDEX idx_workflow_executions_composite
    ON workflow_executions (workflow_id, status, started_at);
CREATE INDEX idx_workflow_executions_execution_id ON workflow_executions (execution_id);

CREATE TABLE workflow_actions (
    id uuid PRIMARY KEY,
    workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    action_type varchar(100) NOT NULL,
    action_name varchar(255) NOT NULL,
    config json NOT NULL,
    order_index integer NOT NULL,
    conditions json,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, order_index),
    CONSTRAINT chk_order_index_positive CHECK (order_index >= 0)
);
CREATE INDEX idx_workflow_actions_workflow_id ON workflow_actions (workflow_id);
CREATE INDEX idx_workflow_actions_type ON workflow_actions (action_type);
CREATE INDEX idx_workflow_actions_order ON workflow_actions (workflow_id, order_index);

CREATE TABLE execution_logs (
    id uuid PRIMARY KEY,
    execution_id uuid NOT NULL REFERENCES workflow_executions(id) ON DELETE CASCADE,
    level varchar(20) NOT NULL,
    message text NOT NULL,
    log_metadata json,
    action_id uuid REFERENCES workflow_actions(id),
    step_name varchar(255),
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT chk_log_level CHECK (level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'))
);
CREATE INDEX idx_execution_logs_execution_id ON execution_logs (execution_id);
CREATE INDEX idx_execution_logs_level ON execution_logs (level);
CREATE INDEX idx_execution_logs_created_at ON execution_logs (created_at);
CREATE INDEX idx_execution_logs_composite ON execution_logs (execution_id, level, created_at);

CREATE TABLE integrations (
    id uuid PRIMARY KEY,
    name varchar(255) NOT NULL UNIQUE,
    type varchar(100) NOT NULL,
    config json NOT NULL,
    enabled boolean NOT NULL,
    health_status varchar(50) NOT NULL,
    last_health_check timestamp with time zone,
    credentials_encrypted text,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT chk_integration_type CHECK (type IN ('github', 'linear', 'slack', 'axolo',
        'teams', 'discord', 'jira', 'sentry', 'datadog')),
    CONSTRAINT chk_health_status CHECK (
        health_status IN ('healthy', 'degraded', 'unhealthy', 'unknown'))
);
CREATE INDEX idx_integrations_type ON integrations (type);
CREATE INDEX idx_integrations_enabled ON integrations (enabled);
CREATE INDEX idx_integrations_health ON integrations (health_status);

CREATE TABLE integration_events (
    id uuid PRIMARY KEY,
    integration_id uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    event_type varchar(100) NOT NULL,
    event_id varchar(255),
    payload json NOT NULL,
    status varchar(50) NOT NULL,
    processed_at timestamp with time zone,
    error_message text,
    retry_count integer NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT chk_event_status CHECK (
        status IN ('pending', 'processing', 'completed', 'failed', 'ignored'))
);
CREATE INDEX idx_integration_events_integration_id ON integration_events (integration_id);
CREATE INDEX idx_integration_events_status ON integration_events (status);
CREATE INDEX idx_integration_events_type ON integration_events (event_type);
CREATE INDEX idx_integration_events_created_at ON integration_events (created_at);
CREATE INDEX idx_integration_events_queue ON integration_events (status, created_at)
    WHERE status IN ('pending', 'processing');

CREATE TABLE workflow_triggers (
    id uuid PRIMARY KEY,
    workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    trigger_type varchar(100) NOT NULL,
    conditions json NOT NULL,
    enabled boolean NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT now(),
    updated_at timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT chk_trigger_type CHECK (trigger_type IN ('event', 'schedule', 'webhook', 'manual'))
);
CREATE INDEX idx_workflow_triggers_workflow_id ON workflow_triggers (workflow_id);
CREATE INDEX idx_workflow_triggers_type ON workflow_triggers (trigger_type);
CREATE INDEX idx_workflow_triggers_enabled ON workflow_triggers (enabled);

CREATE TABLE allowed_commenters (
    id serial PRIMARY KEY,
    github_username varchar(255) NOT NULL UNIQUE,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamp with time zone NOT NULL DEFAULT now()
);
CREATE TABLE comment_filter_settings (
    id serial PRIMARY KEY,
    enabled boolean NOT NULL DEFAULT false,
    auto_add_commenters boolean NOT NULL DEFAULT false,
    updated_at timestamp with time zone NOT NULL DEFAULT now()
);

CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('9a1b2c3d4e5f');
"""

WORKFLOWS = ("pr-review", "deploy-prod", "issue-triage")


def engine_execution_id(workflow: str, started: datetime) -> str:
    """``{workflow name}_{ISO time}``, as the engine names its executions."""
    return f"{workflow}_{started.replace(tzinfo=None).isoformat()}"


def build(conninfo: str) -> None:
    """Create the engine's tables in an empty database."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(ENGINE_DDL)


def fill(conninfo: str) -> dict[str, object]:
    """Engine-style rows; returns handles the tests name things by."""
    now = datetime.now(UTC)
    ids: dict[str, object] = {"executions": {}}
    with psycopg.connect(conninfo) as conn:
        for n, name in enumerate(WORKFLOWS):
            wf = uuid.uuid4()
            ids[name] = wf
            config = {"max_retries": 3, "timeout_seconds": 600, "token": f"sk-live-{n}"}
            conn.execute(
                "INSERT INTO workflows (id, name, config, created_by) "
                "VALUES (%s, %s, %s, 'engine')",
                (wf, name, json.dumps(config)),
            )
            action = uuid.uuid4()
            ids[f"{name}/action"] = action
            conn.execute(
                "INSERT INTO workflow_actions (id, workflow_id, action_type, action_name, config, "
                "order_index) VALUES (%s, %s, 'comment', 'Post review', %s, 0)",
                (action, wf, json.dumps({"template": "review.md"})),
            )
            second = uuid.uuid4()
            ids[f"{name}/action2"] = second
            conn.execute(
                "INSERT INTO workflow_actions (id, workflow_id, action_type, action_name, config, "
                "order_index, conditions) VALUES (%s, %s, 'notify', 'Ping the author', %s, 1, %s)",
                (second, wf, json.dumps({"channel": "#reviews"}), json.dumps({"on": "failure"})),
            )
            trigger = uuid.uuid4()
            ids[f"{name}/trigger"] = trigger
            conn.execute(
                "INSERT INTO workflow_triggers (id, workflow_id, trigger_type, conditions, "
                "enabled) VALUES (%s, %s, 'event', %s, true)",
                (trigger, wf, json.dumps({"event_type": "pull_request.opened"})),
            )
            plan = [
                ("completed", "pull_request", timedelta(hours=5)),
                ("failed", "issue_comment", timedelta(hours=3)),
                ("timeout", "github_webhook", timedelta(hours=2)),
                ("running", "pull_request", -SKEW),  # the engine's clock is ahead of ours
            ]
            for status, trigger, ago in plan:
                started = now - ago + timedelta(microseconds=n * 1000 + len(status))
                ex = uuid.uuid4()
                exec_id = engine_execution_id(name, started)
                ids["executions"][(name, status)] = (ex, exec_id)  # type: ignore[index]
                done = started + timedelta(minutes=3) if status != "running" else None
                conn.execute(
                    "INSERT INTO workflow_executions (id, workflow_id, execution_id, status, "
                    "started_at, completed_at, result, error_message, retry_count, "
                    "trigger_type, trigger_data) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s)",
                    (
                        ex,
                        wf,
                        exec_id,
                        status,
                        started,
                        done,
                        json.dumps({"comments": 2}) if status == "completed" else None,
                        "step crashed" if status == "failed" else None,
                        trigger,
                        json.dumps({"repository": "acme/app", "pr": 100 + n}),
                    ),
                )
                for i in range(3):
                    conn.execute(
                        "INSERT INTO execution_logs (id, execution_id, level, message, "
                        "log_metadata, action_id, step_name, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, 'review', %s)",
                        (
                            uuid.uuid4(),
                            ex,
                            "ERROR" if status == "failed" and i == 2 else "INFO",
                            f"{name} {status} step {i}",
                            json.dumps({"step": i, "repo": "acme/app"}),
                            action,
                            started + timedelta(seconds=i),
                        ),
                    )
        integ = uuid.uuid4()
        ids["integration"] = integ
        conn.execute(
            "INSERT INTO integrations (id, name, type, config, enabled, health_status) "
            "VALUES (%s, 'GitHub App', 'github', %s, true, 'healthy')",
            (integ, json.dumps({"app_id": 42, "private_key": "-----BEGIN KEY-----"})),
        )
        for status in ("pending", "failed", "completed"):
            event = uuid.uuid4()
            ids[f"event/{status}"] = event
            conn.execute(
                "INSERT INTO integration_events (id, integration_id, event_type, event_id, "
                "payload, status, retry_count, created_at) "
                "VALUES (%s, %s, 'pull_request.opened', %s, %s, %s, 0, %s)",
                (
                    event,
                    integ,
                    f"gh-{status}",
                    json.dumps({"repository": "acme/app", "action": "opened"}),
                    status,
                    now - timedelta(minutes=30),
                ),
            )
        conn.execute(
            "INSERT INTO allowed_commenters (github_username) VALUES ('octocat'), ('hubot')"
        )
        conn.execute("INSERT INTO comment_filter_settings (enabled) VALUES (true)")
    return ids
