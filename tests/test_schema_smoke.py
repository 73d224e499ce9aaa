from sqlalchemy import text


def test_insert_with_only_business_columns(engine):
    with engine.begin() as conn:
        wf = conn.execute(text("INSERT INTO workflows (name) VALUES ('w') RETURNING id, status"))
        wf_id, status = wf.one()
        assert status == "draft"
        row = conn.execute(
            text(
                "INSERT INTO workflow_executions (workflow_id) VALUES (:w) "
                "RETURNING execution_id, status, retry_count"
            ),
            {"w": wf_id},
        ).one()
    assert row.status == "pending" and row.retry_count == 0
    assert row.execution_id.startswith("exec-") and len(row.execution_id) == len(
        "exec-20251122-150000-abc123"
    )
