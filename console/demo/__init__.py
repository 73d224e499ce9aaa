"""Demo data for the console: a realistic fill, a live simulator and a bulk loader.

* :mod:`console.demo.dataset` fills an empty database with a few hundred rows
  that exercise every status, level, type and health value;
* :mod:`console.demo.simulator` keeps executions, logs and events moving so the
  live views have something to follow;
* :mod:`console.demo.scale` writes millions of rows fast, for benchmarks.
"""

DEMO_TABLES: tuple[str, ...] = (
    "workflows",
    "workflow_actions",
    "workflow_triggers",
    "workflow_executions",
    "execution_logs",
    "integrations",
    "integration_events",
)
