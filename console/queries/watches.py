"""Every watch of a profile in one statement per interval.

The watched ids and names go in as arrays; each part reads through an index:
unique ``execution_id`` and names, ``(workflow_id, status, started_at)`` for a
workflow's recent runs and stuck ones, the partial queue index
``(status, created_at) WHERE status IN ('pending', 'processing')`` for the
oldest pending event.  Parts with nothing watched cost an empty array scan.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, text

from console.secret_policy import redact_cut_text
from console.watches import Problem, Thresholds, Watch, WatchList

MAX_STUCK = 50

WATCH_SQL = f"""
WITH wf AS (
    SELECT id, name FROM workflows WHERE name = ANY(CAST(:workflows AS text[]))
), ints AS (
    SELECT id, name, health_status FROM integrations
    WHERE name = ANY(CAST(:integrations AS text[]))
)
SELECT 'execution', e.execution_id, e.status,
       CASE WHEN e.status IN ('failed', 'timeout') THEN e.status ELSE 'stuck' END,
       e.execution_id, 0::float8, coalesce(left(e.error_message, 200), '')
FROM workflow_executions e
WHERE e.execution_id = ANY(CAST(:executions AS text[]))
  AND (e.status IN ('failed', 'timeout')
       OR (e.status = 'running' AND e.started_at < now() - :stuck))
UNION ALL
SELECT 'workflow', wf.name, 'failure-rate', 'failure-rate', wf.name,
       r.bad::float8 / r.done, r.bad || ' of ' || r.done
FROM wf CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE e.status IN ('failed', 'timeout')) AS bad,
           count(*) AS done
    FROM workflow_executions e
    WHERE e.workflow_id = wf.id
      AND e.status IN ('completed', 'failed', 'timeout', 'cancelled')
      AND e.started_at >= now() - :window
) r
WHERE r.done >= :min_runs AND r.bad::float8 / r.done >= :rate
UNION ALL
(SELECT 'workflow', wf.name, 'stuck', 'stuck', e.execution_id,
        extract(epoch FROM now() - e.started_at)::float8, ''
 FROM wf JOIN workflow_executions e
   ON e.workflow_id = wf.id AND e.status = 'running' AND e.started_at < now() - :stuck
 ORDER BY e.started_at LIMIT {MAX_STUCK})
UNION ALL
SELECT 'integration', ints.name, ints.health_status, 'unhealthy', ints.name, 0, ''
FROM ints WHERE ints.health_status = 'unhealthy'
UNION ALL
SELECT 'integration', ints.name, 'queue-age', 'queue-age', q.id::text,
       extract(epoch FROM now() - q.created_at)::float8, ''
FROM ints CROSS JOIN LATERAL (
    SELECT v.id, v.created_at FROM integration_events v
    WHERE v.integration_id = ints.id AND v.status IN ('pending', 'processing')
      AND v.status = 'pending'
    ORDER BY v.created_at LIMIT 1
) q
WHERE q.created_at < now() - :queue_age
UNION ALL
SELECT 'queue', '', 'queue-age', 'queue-age', q.id::text,
       extract(epoch FROM now() - q.created_at)::float8, ''
FROM (
    SELECT v.id, v.created_at FROM integration_events v
    WHERE :queue AND v.status IN ('pending', 'processing') AND v.status = 'pending'
    ORDER BY v.created_at LIMIT 1
) q
WHERE q.created_at < now() - :queue_age
"""


def watch_params(watches: WatchList) -> dict[str, object]:
    t: Thresholds = watches.thresholds
    return {
        "executions": watches.targets("execution"),
        "workflows": watches.targets("workflow"),
        "integrations": watches.targets("integration"),
        "queue": any(w.kind == "queue" for w in watches.watches),
        "stuck": timedelta(seconds=t.stuck_s),
        "window": timedelta(seconds=t.window_s),
        "min_runs": t.min_runs,
        "rate": t.failure_rate,
        "queue_age": timedelta(seconds=t.queue_age_s),
    }


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def evaluate(conn: Connection, watches: WatchList, profile: str) -> list[Problem]:
    """The problems of every watch in ``watches`` now (one statement)."""
    if not watches.watches:
        return []
    rows = conn.execute(text(WATCH_SQL), watch_params(watches)).all()
    out: list[Problem] = []
    for kind, target, _state, problem, link_target, number, detail in rows:
        watch = Watch(kind, target)
        where = f"on {profile}"
        if kind == "execution":
            title = f"Execution {target} {'looks stuck' if problem == 'stuck' else problem}"
            body = f"{redact_cut_text(detail) if detail else 'no error message'} ({where})"
            p = Problem(f"execution:{target}:{problem}", watch, title, body, "execution", target)
        elif kind == "workflow" and problem == "failure-rate":
            t = watches.thresholds
            title = f"Workflow {target}: {number:.0%} of runs failed"
            body = f"{detail} in the last {_age(t.window_s)} ({where})"
            p = Problem(f"workflow:{target}:rate", watch, title, body, "workflow", target)
        elif kind == "workflow":
            title = f"Workflow {target}: execution {link_target} looks stuck"
            body = f"running for {_age(number)} ({where})"
            p = Problem(
                f"workflow:{target}:stuck:{link_target}",
                watch,
                title,
                body,
                "execution",
                link_target,
            )
        elif kind == "integration" and problem == "unhealthy":
            title = f"Integration {target} is unhealthy"
            p = Problem(
                f"integration:{target}:unhealthy", watch, title, where, "integration", target
            )
        elif kind == "integration":
            title = f"Integration {target}: oldest pending event waits {_age(number)}"
            p = Problem(f"integration:{target}:queue", watch, title, where, "event", link_target)
        else:
            title = f"Event queue: oldest pending event waits {_age(number)}"
            p = Problem("queue:age", Watch("queue"), title, where, "event", link_target)
        out.append(p)
    return out
