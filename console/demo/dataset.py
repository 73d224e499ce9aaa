"""The deterministic demo fill: the schema document's example rows plus a realistic week.

Everything random comes from one ``random.Random(seed)``, so a seed always gives
the same ids, names and contents; timestamps are laid out backwards from ``now``
so the data always looks recent.  The document's example workflow
(``550e8400-…``) marks a database as already filled: a second run does nothing.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, text

from console.demo import DEMO_TABLES
from models import schema
from models.vocab import (
    EVENT_STATUSES,
    LOG_LEVELS,
    TRIGGER_TYPES,
    WORKFLOW_STATUSES,
)

DEFAULT_SEED = 42

# The document's example rows (spec/DATABASE_SCHEMA.md), ids kept as written.
DOC_WORKFLOW_ID = uuid.UUID("550e8400-e29b-41d4-a716-446655440000")
DOC_EXECUTION_ID = uuid.UUID("660e8400-e29b-41d4-a716-446655440000")
DOC_ACTION_ID = uuid.UUID("770e8400-e29b-41d4-a716-446655440000")
DOC_LOG_ID = uuid.UUID("880e8400-e29b-41d4-a716-446655440000")
DOC_INTEGRATION_ID = uuid.UUID("990e8400-e29b-41d4-a716-446655440000")
DOC_EVENT_ID = uuid.UUID("aa0e8400-e29b-41d4-a716-446655440000")
DOC_TRIGGER_ID = uuid.UUID("bb0e8400-e29b-41d4-a716-446655440000")

WORKFLOW_NAMES: tuple[str, ...] = (
    "Deploy to Staging",
    "Run Unit Tests",
    "Nightly Security Scan",
    "PR Auto-Review",
    "Dependency Update",
    "Release Notes Generator",
    "Sync Jira Issues",
    "Notify Slack on Failure",
    "Database Backup",
    "Rollback Production",
    "Canary Analysis",
    "Lint and Format",
    "Build Docker Image",
    "Publish Package",
    "Sentry Issue Triage",
    "Datadog Alert Responder",
    "Stale PR Cleanup",
    "Label New Issues",
    "Linear Sync",
    "Teams Daily Digest",
    "Discord Release Announcement",
    "Performance Regression Check",
    "License Compliance Check",
    "Infrastructure Drift Detection",
    "Weekly Metrics Report",
    "Auto-merge Dependency PRs",
    "Flaky Test Quarantine",
    "Hotfix Pipeline",
    "Documentation Build",
)

# (action_type, action_name, step_name) building blocks for workflow pipelines.
ACTION_CATALOG: tuple[tuple[str, str, str], ...] = (
    ("checkout", "Checkout repository", "checkout"),
    ("lint", "Run linters", "lint"),
    ("test", "Run test suite", "run_tests"),
    ("build", "Build artifacts", "build"),
    ("scan", "Security scan", "security_scan"),
    ("approve", "Wait for approval", "approval"),
    ("deploy", "Deploy to Kubernetes", "deploy_kubernetes"),
    ("verify", "Smoke tests", "smoke_tests"),
    ("comment", "Comment on pull request", "pr_comment"),
    ("label", "Apply labels", "apply_labels"),
    ("notify", "Notify channel", "notify"),
    ("sync", "Sync tracker issues", "sync_issues"),
)

REPOSITORIES = ("codeflow-engine", "autopr-web", "billing-service", "infra-live", "mobile-app")
BRANCHES = ("main", "develop", "release/2.4", "feature/login-sso", "hotfix/payment-timeout")
USERS = ("user-123", "alice@example.com", "bob@example.com", "ci-bot", "carol@example.com")

ERRORS: tuple[str, ...] = (
    "Deployment failed: readiness probe timed out after 300s",
    "Test suite failed: 3 of 1,284 tests failed (test_checkout_flow)",
    "HTTP 502 from api.github.com while creating check run",
    "Image pull failed: manifest for autopr:v1.2.4 not found",
    "Permission denied: token lacks 'repo' scope",
    "Connection reset by peer while uploading artifact build.tar.gz",
    "Rate limit exceeded: retry after 60s",
)

LOG_LINES: dict[str, tuple[str, ...]] = {
    "DEBUG": (
        "Resolved config from workflow defaults",
        "Cache key computed: deps-{n}",
        "Opening connection pool (size=5)",
        "Environment prepared with {n} variables",
    ),
    "INFO": (
        "Step started",
        "Fetched {n} files from repository",
        "Deployment started successfully",
        "Uploaded artifact ({n} KiB)",
        "Waiting for rollout: {n}/5 pods ready",
        "Step finished in {n}s",
    ),
    "WARNING": (
        "Retrying request after HTTP 429 (attempt {n})",
        "Deprecated config key 'timeout' used; prefer 'timeout_seconds'",
        "Slow response from registry: {n}ms",
    ),
    "ERROR": (
        "Command exited with status {n}",
        "Health check failed for pod web-{n}",
        "Request to integration failed: HTTP 500",
    ),
    "CRITICAL": (
        "Rollback triggered: error budget exhausted",
        "Production health degraded, paging on-call",
    ),
}

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "github": ("pull_request.opened", "pull_request.merged", "push", "check_run.completed"),
    "linear": ("issue.created", "issue.updated"),
    "slack": ("message.posted", "deployment.completed"),
    "axolo": ("channel.created", "review.requested"),
    "teams": ("message.posted",),
    "discord": ("message.posted",),
    "jira": ("issue.created", "issue.transitioned"),
    "sentry": ("issue.created", "issue.regressed"),
    "datadog": ("monitor.alert", "monitor.recovered"),
}

# (name, type, health, enabled) — every type and every health value appears.
INTEGRATIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("GitHub Cloud", "github", "healthy", True),
    ("GitHub Enterprise", "github", "degraded", True),
    ("Linear Workspace", "linear", "healthy", True),
    ("Staging Slack", "slack", "unknown", False),
    ("Axolo Reviews", "axolo", "healthy", True),
    ("Teams Engineering", "teams", "unhealthy", True),
    ("Discord Community", "discord", "healthy", True),
    ("Jira Cloud", "jira", "degraded", True),
    ("Sentry Production", "sentry", "healthy", True),
    ("Datadog US1", "datadog", "unhealthy", True),
    ("Datadog EU (legacy)", "datadog", "unknown", False),
)


@dataclass
class DemoRows:
    """Rows for the seven tables, in insertion order."""

    workflows: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[dict[str, Any]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "workflows": len(self.workflows),
            "workflow_actions": len(self.actions),
            "workflow_triggers": len(self.triggers),
            "integrations": len(self.integrations),
            "workflow_executions": len(self.executions),
            "execution_logs": len(self.logs),
            "integration_events": len(self.events),
        }


class _Builder:
    """Builds :class:`DemoRows` from one random generator."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.rows = DemoRows()
        self.actions_by_wf: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self._exec_serial = 0

    # -- helpers -------------------------------------------------------------------------
    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def ago(self, max_seconds: float, min_seconds: float = 0.0) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(min_seconds, max_seconds))

    def execution_code(self, started: datetime) -> str:
        self._exec_serial += 1
        suffix = f"{self.rng.getrandbits(24) ^ self._exec_serial:06x}"
        return f"exec-{started.astimezone(UTC):%Y%m%d-%H%M%S}-{suffix}"

    # -- the document's example ------------------------------------------------------------
    def document_rows(self) -> None:
        t = datetime.fromisoformat
        r = self.rows
        r.workflows.append(
            {
                "id": DOC_WORKFLOW_ID,
                "name": "Deploy to Production",
                "description": "Automated production deployment workflow",
                "status": "active",
                "config": {
                    "max_retries": 3,
                    "timeout_seconds": 3600,
                    "notification_channels": ["slack", "email"],
                    "auto_rollback": True,
                },
                "created_by": "user-123",
                "created_at": t("2025-11-22T10:00:00+00:00"),
                "updated_at": t("2025-11-22T15:30:00+00:00"),
            }
        )
        doc_actions = [
            {
                "id": DOC_ACTION_ID,
                "workflow_id": DOC_WORKFLOW_ID,
                "action_type": "deploy",
                "action_name": "Deploy to Kubernetes",
                "config": {
                    "cluster": "prod-us-east",
                    "namespace": "production",
                    "image": "autopr:v1.2.3",
                },
                "order_index": 0,
                "conditions": {"branch": "main", "environment": "production"},
                "created_at": t("2025-11-22T10:00:00+00:00"),
                "updated_at": t("2025-11-22T10:00:00+00:00"),
            },
            {
                "id": self.uid(),
                "workflow_id": DOC_WORKFLOW_ID,
                "action_type": "verify",
                "action_name": "Smoke tests",
                "config": {"url": "https://prod.example.com/health", "retries": 5},
                "order_index": 1,
                "conditions": None,
                "created_at": t("2025-11-22T10:00:00+00:00"),
                "updated_at": t("2025-11-22T10:00:00+00:00"),
            },
            {
                "id": self.uid(),
                "workflow_id": DOC_WORKFLOW_ID,
                "action_type": "notify",
                "action_name": "Notify #deployments",
                "config": {"channel": "#deployments", "integration": "Production Slack"},
                "order_index": 2,
                "conditions": None,
                "created_at": t("2025-11-22T10:00:00+00:00"),
                "updated_at": t("2025-11-22T10:00:00+00:00"),
            },
        ]
        r.actions.extend(doc_actions)
        self.actions_by_wf[DOC_WORKFLOW_ID] = doc_actions
        r.triggers.append(
            {
                "id": DOC_TRIGGER_ID,
                "workflow_id": DOC_WORKFLOW_ID,
                "trigger_type": "event",
                "conditions": {
                    "event_type": "pull_request.merged",
                    "branches": ["main"],
                    "paths": ["src/**"],
                },
                "enabled": True,
                "created_at": t("2025-11-01T10:00:00+00:00"),
                "updated_at": t("2025-11-01T10:00:00+00:00"),
            }
        )
        r.executions.append(
            {
                "id": DOC_EXECUTION_ID,
                "workflow_id": DOC_WORKFLOW_ID,
                "execution_id": "exec-20251122-150000-abc123",
                "status": "completed",
                "started_at": t("2025-11-22T15:00:00+00:00"),
                "completed_at": t("2025-11-22T15:05:30+00:00"),
                "result": {
                    "deployed_version": "v1.2.3",
                    "deployment_url": "https://prod.example.com",
                    "artifacts": ["build.tar.gz", "logs.txt"],
                },
                "error_message": None,
                "retry_count": 0,
                "parent_execution_id": None,
                "trigger_type": "manual",
                "trigger_data": {"triggered_by": "user-123"},
            }
        )
        r.logs.append(
            {
                "id": DOC_LOG_ID,
                "execution_id": DOC_EXECUTION_ID,
                "level": "INFO",
                "message": "Deployment started successfully",
                "log_metadata": {"cluster": "prod-us-east", "pods_deployed": 5},
                "action_id": DOC_ACTION_ID,
                "step_name": "deploy_kubernetes",
                "created_at": t("2025-11-22T15:01:00+00:00"),
            }
        )
        r.integrations.append(
            {
                "id": DOC_INTEGRATION_ID,
                "name": "Production Slack",
                "type": "slack",
                "config": {
                    "webhook_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
                    "channel": "#deployments",
                    "mention_on_failure": True,
                },
                "enabled": True,
                "health_status": "healthy",
                "last_health_check": t("2025-11-22T15:00:00+00:00"),
                "credentials_encrypted": "encrypted_data_here",
                "created_at": t("2025-11-01T10:00:00+00:00"),
                "updated_at": t("2025-11-22T15:00:00+00:00"),
            }
        )
        r.events.append(
            {
                "id": DOC_EVENT_ID,
                "integration_id": DOC_INTEGRATION_ID,
                "event_type": "deployment.completed",
                "event_id": "gh-123456",
                "payload": {
                    "repository": "codeflow-engine",
                    "branch": "main",
                    "commit_sha": "abc123def456",
                },
                "status": "completed",
                "processed_at": t("2025-11-22T15:05:30+00:00"),
                "error_message": None,
                "retry_count": 0,
                "created_at": t("2025-11-22T15:05:00+00:00"),
            }
        )

    # -- workflows, actions, triggers --------------------------------------------------------
    def workflows(self) -> None:
        rng = self.rng
        statuses = list(WORKFLOW_STATUSES) + ["active"] * 18 + ["inactive"] * 3 + ["draft"] * 2
        statuses += ["archived"] * (len(WORKFLOW_NAMES) - len(statuses))
        statuses = statuses[: len(WORKFLOW_NAMES)]
        rng.shuffle(statuses)
        trigger_cycle = 0
        for name, status in zip(WORKFLOW_NAMES, statuses, strict=True):
            wf_id = self.uid()
            created = self.ago(86400 * 120, 86400 * 10)
            channels = rng.sample(["slack", "email", "teams", "discord"], rng.randint(0, 2))
            config: dict[str, Any] = {
                "max_retries": rng.choice([0, 1, 2, 3]),
                "timeout_seconds": rng.choice([300, 900, 1800, 3600]),
                "notification_channels": channels,
            }
            if rng.random() < 0.4:
                config["auto_rollback"] = rng.random() < 0.5
            if rng.random() < 0.3:
                config["settings"] = {"auto_deploy": rng.choice(["true", "false"])}
            self.rows.workflows.append(
                {
                    "id": wf_id,
                    "name": name,
                    "description": f"{name} for {rng.choice(REPOSITORIES)}",
                    "status": status,
                    "config": config,
                    "created_by": rng.choice(USERS),
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.uniform(0, 9)),
                }
            )
            steps = rng.sample(ACTION_CATALOG, rng.randint(2, 6))
            actions = []
            for order, (atype, aname, _step) in enumerate(steps):
                conditions = None
                if rng.random() < 0.3:
                    conditions = {"branch": rng.choice(BRANCHES[:3])}
                    if rng.random() < 0.5:
                        conditions["environment"] = rng.choice(["staging", "production"])
                actions.append(
                    {
                        "id": self.uid(),
                        "workflow_id": wf_id,
                        "action_type": atype,
                        "action_name": aname,
                        "config": {"timeout_seconds": rng.choice([60, 300, 600]), "step": order},
                        "order_index": order,
                        "conditions": conditions,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            self.actions_by_wf[wf_id] = actions
            self.rows.actions.extend(actions)
            for _ in range(rng.randint(1, 2)):
                ttype = TRIGGER_TYPES[trigger_cycle % len(TRIGGER_TYPES)]
                # enabled/disabled alternate per full cycle so every type gets both
                enabled = (trigger_cycle // len(TRIGGER_TYPES)) % 3 != 1
                trigger_cycle += 1
                self.rows.triggers.append(
                    {
                        "id": self.uid(),
                        "workflow_id": wf_id,
                        "trigger_type": ttype,
                        "conditions": self.trigger_conditions(ttype),
                        "enabled": enabled,
                        "created_at": created,
                        "updated_at": created,
                    }
                )

    def trigger_conditions(self, ttype: str) -> dict[str, Any]:
        rng = self.rng
        if ttype == "event":
            return {
                "event_type": rng.choice(EVENT_TYPES["github"]),
                "branches": [rng.choice(BRANCHES[:2])],
            }
        if ttype == "schedule":
            return {"cron": rng.choice(["0 2 * * *", "*/15 * * * *", "0 9 * * 1"]), "tz": "UTC"}
        if ttype == "webhook":
            return {"path": f"/hooks/{rng.getrandbits(32):08x}", "secret_ref": "vault:hooks"}
        return {"allowed_users": rng.sample(USERS, 2)}

    # -- integrations and events -------------------------------------------------------------
    def integrations(self) -> None:
        rng = self.rng
        for name, itype, health, enabled in INTEGRATIONS:
            created = self.ago(86400 * 200, 86400 * 20)
            checked = None if health == "unknown" else self.ago(900)
            config: dict[str, Any] = {"base_url": f"https://{itype}.example.com/api"}
            if itype in ("slack", "teams", "discord"):
                config = {
                    "webhook_url": f"https://hooks.{itype}.example.com/T{rng.getrandbits(40):x}",
                    "channel": rng.choice(["#deployments", "#alerts", "#eng"]),
                }
            else:
                config["api_token"] = f"tok_{rng.getrandbits(96):024x}"
            config["timeout_seconds"] = rng.choice([10, 30])
            if rng.random() < 0.5:
                config["client_secret"] = f"cs_{rng.getrandbits(64):016x}"
            self.rows.integrations.append(
                {
                    "id": self.uid(),
                    "name": name,
                    "type": itype,
                    "config": config,
                    "enabled": enabled,
                    "health_status": health,
                    "last_health_check": checked,
                    "credentials_encrypted": f"gAAAAAB{rng.getrandbits(256):064x}==",
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.uniform(0, 15)),
                }
            )

    def events(self, count: int = 320) -> None:
        rng = self.rng
        sources = self.rows.integrations
        for n in range(count):
            integ = sources[n % len(sources)]
            status = EVENT_STATUSES[n % len(EVENT_STATUSES)] if n < 20 else self.event_status()
            if status in ("pending", "processing"):
                # a few look stuck: queued hours ago and never picked up
                created = self.ago(6 * 3600, 2 * 3600) if n % 3 == 0 else self.ago(120)
            else:
                created = self.ago(7 * 86400, 300)
            processed = None
            error = None
            retries = 0
            if status in ("completed", "failed", "ignored"):
                processed = created + timedelta(seconds=rng.uniform(0.2, 30))
            if status == "failed":
                error = rng.choice(ERRORS)
                retries = rng.randint(1, 3)
            elif status == "processing":
                retries = rng.choice([0, 0, 1])
            etype = rng.choice(EVENT_TYPES[integ["type"]])
            self.rows.events.append(
                {
                    "id": self.uid(),
                    "integration_id": integ["id"],
                    "event_type": etype,
                    "event_id": f"{integ['type'][:2]}-{rng.randint(100000, 999999)}",
                    "payload": self.event_payload(etype),
                    "status": status,
                    "processed_at": processed,
                    "error_message": error,
                    "retry_count": retries,
                    "created_at": created,
                }
            )

    def event_status(self) -> str:
        return self.rng.choices(EVENT_STATUSES, weights=(4, 2, 80, 8, 6))[0]

    def event_payload(self, etype: str) -> dict[str, Any]:
        rng = self.rng
        payload: dict[str, Any] = {
            "repository": rng.choice(REPOSITORIES),
            "author": rng.choice(USERS),
        }
        if etype.startswith("pull_request"):
            payload["pull_request_number"] = rng.randint(1, 4000)
            payload["branch"] = rng.choice(BRANCHES)
        elif etype in ("push", "deployment.completed"):
            payload["branch"] = rng.choice(BRANCHES)
            payload["commit_sha"] = f"{rng.getrandbits(160):040x}"
        elif etype.startswith("monitor"):
            payload["monitor"] = rng.choice(["p99 latency", "error rate", "disk usage"])
            payload["value"] = round(rng.uniform(0.5, 99.5), 2)
        return payload

    # -- executions and logs -----------------------------------------------------------------
    def executions(self) -> None:
        rng = self.rng
        runnable = [w for w in self.rows.workflows if w["status"] != "draft"]
        statuses = ("completed", "failed", "timeout", "cancelled", "running", "pending")
        forced = [*statuses, "failed", "timeout", "failed"]
        for n in range(360):
            wf = rng.choice(runnable)
            if wf["status"] in ("archived", "inactive") and rng.random() < 0.7:
                wf = rng.choice([w for w in runnable if w["status"] == "active"])
            status = forced[n] if n < len(forced) else self.execution_status()
            chain_len = 0
            if status in ("failed", "timeout") and (n < len(forced) or rng.random() < 0.35):
                chain_len = rng.randint(1, 3)
            # the first forced 'running' one looks stuck (started hours ago)
            self.execution_chain(wf, status, chain_len, stuck=n == forced.index("running"))
        # one long execution for scrolling through a few thousand lines
        long_wf = self.rows.workflows[0]
        self.add_execution(long_wf, "completed", self.ago(2 * 86400, 86400), 0, None, lines=2500)

    def execution_status(self) -> str:
        return self.rng.choices(
            ("completed", "failed", "timeout", "cancelled", "running", "pending"),
            weights=(78, 11, 4, 4, 2, 1),
        )[0]

    def execution_chain(
        self, wf: dict[str, Any], status: str, retries: int, stuck: bool = False
    ) -> None:
        """An execution, then ``retries`` retries, each a child of the previous attempt.

        Running ones started in the last ten minutes, unless ``stuck`` (hours ago).
        """
        rng = self.rng
        if stuck:
            start = self.ago(6 * 3600, 3 * 3600)
        elif status in ("running", "pending"):
            start = self.ago(90 if status == "pending" else 600)
        else:
            start = self.ago(7 * 86400, 3600 * (retries + 1))
        parent = self.add_execution(wf, status, start, 0, None)
        for attempt in range(1, retries + 1):
            last = attempt == retries
            child_status = (
                rng.choice(("completed", "completed", "failed", "running"))
                if last
                else rng.choice(("failed", "timeout"))
            )
            start = parent["completed_at"] + timedelta(seconds=rng.uniform(30, 600))
            if child_status == "running":
                start = max(start, self.ago(600))
            if start > self.now:
                start = self.now - timedelta(seconds=5)
            parent = self.add_execution(wf, child_status, start, attempt, parent)

    def add_execution(
        self,
        wf: dict[str, Any],
        status: str,
        started: datetime,
        retry_count: int,
        parent: dict[str, Any] | None,
        lines: int | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        ttype = "manual" if parent else rng.choice(TRIGGER_TYPES)
        duration = timedelta(seconds=rng.uniform(20, 900))
        if status == "timeout":
            duration = timedelta(seconds=wf["config"].get("timeout_seconds", 3600))
        completed = None if status in ("pending", "running") else started + duration
        if completed is not None and completed > self.now:
            completed = self.now
            started = min(started, completed)
        result = None
        error = None
        if status == "completed":
            result = {
                "deployed_version": f"v1.{rng.randint(0, 9)}.{rng.randint(0, 30)}",
                "duration_seconds": round(duration.total_seconds(), 1),
                "artifacts": rng.sample(["build.tar.gz", "logs.txt", "coverage.xml"], 2),
            }
        elif status == "failed":
            error = rng.choice(ERRORS)
            result = {"failed_step": rng.choice(ACTION_CATALOG)[2]}
        elif status == "timeout":
            error = f"Execution exceeded timeout of {int(duration.total_seconds())}s"
        elif status == "cancelled":
            error = f"Cancelled by {rng.choice(USERS)}"
        trigger_data: dict[str, Any] = {"triggered_by": rng.choice(USERS)}
        if parent is not None:
            trigger_data = {"retry_of": parent["execution_id"], "attempt": retry_count + 1}
        elif ttype == "event":
            trigger_data = {
                "event_type": "pull_request.merged",
                "repository": rng.choice(REPOSITORIES),
                "pull_request_number": rng.randint(1, 4000),
            }
        elif ttype == "schedule":
            trigger_data = {"cron": "0 2 * * *", "scheduled_for": started.isoformat()}
        elif ttype == "webhook":
            trigger_data = {"source_ip": f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"}
        row = {
            "id": self.uid(),
            "workflow_id": wf["id"],
            "execution_id": self.execution_code(started),
            "status": status,
            "started_at": started,
            "completed_at": completed,
            "result": result,
            "error_message": error,
            "retry_count": retry_count,
            "parent_execution_id": parent["id"] if parent else None,
            "trigger_type": ttype,
            "trigger_data": trigger_data,
        }
        self.rows.executions.append(row)
        if status != "pending":
            end = completed or self.now
            self.logs_for(row, started, end, lines or rng.randint(4, 40))
        return row

    def logs_for(
        self, execution: dict[str, Any], start: datetime, end: datetime, count: int
    ) -> None:
        rng = self.rng
        found = self.actions_by_wf.get(execution["workflow_id"])
        actions: Sequence[dict[str, Any] | None] = found if found else [None]
        span = max((end - start).total_seconds(), 1.0)
        failed = execution["status"] in ("failed", "timeout")
        for i in range(count):
            frac = i / max(count - 1, 1)
            action = actions[min(int(frac * len(actions)), len(actions) - 1)]
            level = rng.choices(LOG_LEVELS, weights=(25, 60, 10, 4, 1))[0]
            if failed and i == count - 1:
                level = "ERROR" if execution["status"] == "timeout" else "CRITICAL"
            template = rng.choice(LOG_LINES[level])
            step = None
            if action is not None:
                step = next(s for t, _n, s in ACTION_CATALOG if t == action["action_type"])
            fields: dict[str, Any] = {"line": i + 1}
            if action is not None:
                fields["action_type"] = action["action_type"]
            meta: dict[str, Any] | None = fields
            if level in ("ERROR", "CRITICAL"):
                fields["exit_code"] = rng.choice([1, 2, 137])
            elif rng.random() < 0.3:
                meta = None
            self.rows.logs.append(
                {
                    "id": self.uid(),
                    "execution_id": execution["id"],
                    "level": level,
                    "message": template.format(n=rng.randint(1, 500)),
                    "log_metadata": meta,
                    "action_id": action["id"] if action is not None else None,
                    "step_name": step,
                    "created_at": start + timedelta(seconds=span * frac),
                }
            )


def build_demo_rows(seed: int = DEFAULT_SEED, now: datetime | None = None) -> DemoRows:
    """All demo rows for ``seed`` (pure: no database)."""
    b = _Builder(seed, now or datetime.now(UTC))
    b.document_rows()
    b.workflows()
    b.integrations()
    b.events()
    b.executions()
    return b.rows


def has_demo_data(conn: Connection) -> bool:
    """True when the document's example workflow is present."""
    wf = schema.WORKFLOWS
    return conn.execute(select(wf.c.id).where(wf.c.id == DOC_WORKFLOW_ID)).first() is not None


def truncate_all(conn: Connection) -> None:
    """Empty the seven tables (and nothing else: audit_log keeps its history)."""
    conn.execute(text(f"TRUNCATE {', '.join(DEMO_TABLES)} RESTART IDENTITY"))


@dataclass(frozen=True)
class FillResult:
    inserted: bool
    counts: dict[str, int]


def _insert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], chunk: int = 2000
) -> None:
    for i in range(0, len(rows), chunk):
        conn.execute(insert(table), list(rows[i : i + chunk]))


def fill_demo(
    engine: Engine, seed: int = DEFAULT_SEED, *, reset: bool = False, now: datetime | None = None
) -> FillResult:
    """Fill the database with the demo rows in one transaction; no-op when already filled."""
    rows = build_demo_rows(seed, now)
    with engine.begin() as conn:
        if reset:
            truncate_all(conn)
        elif has_demo_data(conn):
            return FillResult(False, rows.counts())
        _insert(conn, schema.WORKFLOWS, rows.workflows)
        _insert(conn, schema.WORKFLOW_ACTIONS, rows.actions)
        _insert(conn, schema.WORKFLOW_TRIGGERS, rows.triggers)
        _insert(conn, schema.INTEGRATIONS, rows.integrations)
        # parents come before their retries in the list, so one pass satisfies the FK
        _insert(conn, schema.WORKFLOW_EXECUTIONS, rows.executions)
        _insert(conn, schema.EXECUTION_LOGS, rows.logs)
        _insert(conn, schema.INTEGRATION_EVENTS, rows.events)
    analyze_written(engine)
    return FillResult(True, rows.counts())


def analyze_written(engine: Engine) -> None:
    """ANALYZE what the demo wrote, so that the first estimates are not off by half
    (autovacuum would get there only after its next round)."""
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {', '.join(DEMO_TABLES)}"))
