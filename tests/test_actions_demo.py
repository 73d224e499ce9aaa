"""Actions on the demo dataset: real-looking rows the console did not write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from console.actions import errors
from console.actions.errors import ActionError
from console.actions.executions import bulk_retry, cancel_execution
from console.actions.selection import matching_items
from console.actions.workflows import reorder_actions
from console.db.engine import make_engine
from tests.helpers.actions import ACT, AUDIT, EX, make_ctx


@pytest.fixture
def demo_engine(demo_db_url: str) -> Iterator[Engine]:
    eng = make_engine(demo_db_url)
    yield eng
    eng.dispose()


def test_bulk_retry_of_every_failed_execution(demo_engine: Engine) -> None:
    items = matching_items(demo_engine, "executions", {"status": ["failed", "timeout"]})
    assert items, "the demo has failed executions"
    summary = bulk_retry(make_ctx(demo_engine), items)
    assert summary.total == len(items)
    assert summary.done
    assert set(summary.reasons()) <= {errors.MAX_RETRIES, errors.INELIGIBLE}
    with demo_engine.connect() as conn:
        audited = conn.execute(select(func.count()).select_from(AUDIT)).scalar()
        retries = conn.execute(
            select(func.count())
            .select_from(EX)
            .where(EX.c.trigger_data["source"].astext == "autopr-console")
        ).scalar()
    assert audited == retries == len(summary.done)


def test_documented_rows(demo_engine: Engine) -> None:
    from console.demo.dataset import DOC_EXECUTION_ID, DOC_WORKFLOW_ID

    with pytest.raises(ActionError) as info:  # the schema document's execution is completed
        cancel_execution(make_ctx(demo_engine), str(DOC_EXECUTION_ID))
    assert info.value.kind == errors.INELIGIBLE
    with demo_engine.connect() as conn:
        ids = list(
            conn.execute(
                select(ACT.c.id)
                .where(ACT.c.workflow_id == DOC_WORKFLOW_ID)
                .order_by(ACT.c.order_index)
            ).scalars()
        )
    if len(ids) < 2:
        pytest.fail("the demo workflow should have several actions")
    wanted = list(reversed(ids))
    reorder_actions(make_ctx(demo_engine), str(DOC_WORKFLOW_ID), [str(i) for i in wanted])
    with demo_engine.connect() as conn:
        got = list(
            conn.execute(
                select(ACT.c.id)
                .where(ACT.c.workflow_id == DOC_WORKFLOW_ID)
                .order_by(ACT.c.order_index)
            ).scalars()
        )
    assert got == wanted
