"""Seeding a test database with rows of every table (SQL run on the server)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

SEED_SQL = """
INSERT INTO integrations (name, type, config, health_status, last_health_check,
                          credentials_encrypted)
SELECT 'int-' || t, t,
       jsonb_build_object('channel', '#ops-' || t,
                          'api_token', 'tok-secret-' || t,
                          'webhook_url', 'https://hooks.example.com/services/T000/' || t,
                          'endpoint', 'https://bot:pw-' || t || '@api.example.com/v1',
                          'nested', jsonb_build_object('password', 'pw-' || t, 'region', 'eu')),
       (ARRAY['healthy','degraded','unhealthy','unknown'])[1 + (n % 4)::int],
       now() - make_interval(mins => n::int),
       'CIPHERTEXT-' || t
FROM unnest(ARRAY['github','linear','slack','axolo','teams','discord','jira','sentry','datadog'])
     WITH ORDINALITY AS u(t, n);

INSERT INTO workflows (name, description, status, config, created_by, created_at)
SELECT 'workflow-' || lpad(g::text, 3, '0'), 'Workflow number ' || g,
       (ARRAY['active','inactive','archived','draft'])[1 + (g % 4)],
       jsonb_build_object('max_retries', g % 4, 'timeout_seconds', 600 * (1 + g % 3),
                          'notification_channels',
                          CASE WHEN g % 2 = 0 THEN '["slack","email"]'::jsonb
                               ELSE '["email"]'::jsonb END),
       'user-' || (g % 5), now() - make_interval(days => g)
FROM generate_series(1, :workflows) g;

INSERT INTO workflow_actions (workflow_id, action_type, action_name, config, order_index,
                              conditions)
SELECT w.id, (ARRAY['build','test','deploy'])[1 + k], 'step ' || k || ' of ' || w.name,
       jsonb_build_object('k', k), k,
       CASE WHEN k = 2 THEN '{"branch": "main"}'::jsonb END
FROM workflows w, generate_series(0, 2) k;

INSERT INTO workflow_triggers (workflow_id, trigger_type, conditions, enabled)
SELECT w.id, (ARRAY['event','schedule','webhook','manual'])[1 + (row_number() OVER () % 4)::int],
       '{"branches": ["main"]}'::jsonb, true
FROM workflows w;

INSERT INTO workflow_executions (workflow_id, execution_id, status, started_at, completed_at,
                                 result, error_message, retry_count, trigger_type, trigger_data)
SELECT wf.ids[1 + (g % array_length(wf.ids, 1))],
       'exec-' || lpad(g::text, 8, '0'),
       (ARRAY['pending','running','completed','failed','timeout','cancelled'])[1 + (g % 6)],
       now() - make_interval(secs => g * 60),
       CASE WHEN g % 6 >= 2 THEN now() - make_interval(secs => g * 60 - 30) END,
       CASE WHEN g % 6 = 2 THEN jsonb_build_object('ok', true) END,
       CASE WHEN g % 6 = 3 THEN 'boom ' || g END,
       0,
       (ARRAY['event','schedule','webhook','manual'])[1 + (g % 4)],
       jsonb_build_object('by', 'user-' || (g % 3))
FROM generate_series(1, :executions) g, (SELECT array_agg(id ORDER BY name) ids FROM workflows) wf;

INSERT INTO execution_logs (execution_id, level, message, step_name, created_at)
SELECT e.id, (ARRAY['DEBUG','INFO','WARNING','ERROR','CRITICAL'])[1 + (k % 5)],
       'line ' || k || ' of ' || e.execution_id, 'step-' || (k % 3),
       e.started_at + make_interval(secs => k)
FROM workflow_executions e, generate_series(1, :logs_per_execution) k;

INSERT INTO integration_events (integration_id, event_type, event_id, payload, status,
                                created_at)
SELECT ints.ids[1 + (g % array_length(ints.ids, 1))],
       (ARRAY['pull_request.opened','push','deployment.completed'])[1 + (g % 3)],
       'ev-' || g,
       jsonb_build_object('repository', 'repo-' || (g % 7), 'number', g),
       (ARRAY['pending','processing','completed','failed','ignored'])[1 + (g % 5)],
       now() - make_interval(secs => g * 30)
FROM generate_series(1, :events) g, (SELECT array_agg(id ORDER BY name) ids FROM integrations) ints;
"""

# exec-00000004 (failed) was retried as exec-00000010, which was retried as exec-00000016
RETRY_SQL = """
UPDATE workflow_executions c SET parent_execution_id = p.id, retry_count = 1,
       started_at = p.started_at + interval '1 second',
       completed_at = p.started_at + interval '31 seconds'
FROM workflow_executions p
WHERE p.execution_id = 'exec-00000004' AND c.execution_id = 'exec-00000010';
UPDATE workflow_executions c SET parent_execution_id = p.id, retry_count = 2,
       started_at = p.started_at + interval '1 second',
       completed_at = p.started_at + interval '31 seconds'
FROM workflow_executions p
WHERE p.execution_id = 'exec-00000010' AND c.execution_id = 'exec-00000016';
"""


def seed(
    conn: Connection,
    workflows: int = 12,
    executions: int = 300,
    logs_per_execution: int = 5,
    events: int = 200,
) -> None:
    """Fill the seven tables with deterministic rows (names, ids and times follow ``g``)."""
    params = {
        "workflows": workflows,
        "executions": executions,
        "logs_per_execution": logs_per_execution,
        "events": events,
    }
    for stmt in SEED_SQL.split(";\n"):
        if stmt.strip():
            conn.execute(text(stmt), params)
    if executions >= 16:
        for stmt in RETRY_SQL.split(";\n"):
            if stmt.strip():
                conn.execute(text(stmt))
    conn.execute(text("ANALYZE"))


def seed_engine(engine: Engine, **sizes: int) -> None:
    with engine.begin() as conn:
        seed(conn, **sizes)
