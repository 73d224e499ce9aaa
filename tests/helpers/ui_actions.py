"""Fixtures of the action UI tests: a task runner drained after the test, a dev database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console.db.connection import Database, open_database
from console.profiles import Profile


@pytest.fixture
def runner(qtbot):  # -> Iterator[TaskRunner]; the UI layer is imported only when used
    """A task runner, drained after the test: answers land while their widgets are alive."""
    from PySide6.QtCore import QCoreApplication

    from console.ui.tasks import TaskRunner

    tasks = TaskRunner()
    yield tasks
    tasks.wait_idle()
    QCoreApplication.processEvents()


@pytest.fixture
def dev_db(db_url: str) -> Iterator[Database]:
    """The test database opened as a dev profile (writes need no unlock)."""
    db = open_database(Profile("dev", environment="dev", url=db_url))
    yield db
    db.close()
