"""Shared fixtures: one real embedded PostgreSQL per test session, a fresh database per test.

Every test database is cloned from a migrated template (``CREATE DATABASE ...
TEMPLATE``), which takes a few tens of milliseconds instead of a migration run.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

import pytest
from sqlalchemy import Engine

from console.db.embedded import EmbeddedServer, ServerAddress
from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema
from tests.helpers.databases import create_database, drop_database

# Shared fixtures (a seeded database and page context for table pages, the tail's
# conninfo), the check that no test logs an unexpected warning, and pytester (the
# check's own test runs tests in a subprocess).
pytest_plugins = [
    "tests.helpers.ui_tables",
    "tests.helpers.tail",
    "tests.helpers.ui_actions",
    "tests.helpers.password_server",
    "tests.helpers.logcheck",
    "pytester",
]

TEMPLATE_DB = "autopr_test_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedServer]:
    """A real PostgreSQL server for the whole test session.

    Its cluster lives outside pytest's basetemp: pytest prunes all but the three
    newest basetemp dirs, which would pull the data dir from under a server
    still used by a concurrent test session on the same machine.
    """
    root = Path(tempfile.mkdtemp(prefix="autopr-test-pg-"))
    server = EmbeddedServer(root / "server")
    server.start()
    yield server
    server.stop(force=True)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_address(pg_server: EmbeddedServer) -> ServerAddress:
    return pg_server.address


@pytest.fixture(scope="session")
def template_db(pg_address: ServerAddress) -> str:
    """A migrated, empty database that per-test databases are cloned from."""
    drop_database(pg_address, TEMPLATE_DB)
    create_database(pg_address, TEMPLATE_DB)
    engine = make_engine(pg_address.url(TEMPLATE_DB), EngineSettings(statement_timeout_ms=0))
    try:
        ensure_schema(engine, apply=True)
    finally:
        engine.dispose()
    return TEMPLATE_DB


@pytest.fixture
def empty_db_url(pg_address: ServerAddress) -> Iterator[str]:
    """URL of a brand-new database with no tables at all."""
    name = f"t_empty_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name)
    yield pg_address.url(name)
    drop_database(pg_address, name)


@pytest.fixture
def db_url(pg_address: ServerAddress, template_db: str) -> Iterator[str]:
    """URL of a fresh, migrated, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    create_database(pg_address, name, template=template_db)
    yield pg_address.url(name)
    drop_database(pg_address, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """No automatic GC during a test (it may run in a query worker and destroy Qt
    objects from the wrong thread); collect between tests, on the main thread."""
    gc.disable()
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _no_modifier_left_held() -> Iterator[None]:
    """A test's synthetic key events can leave Qt believing Ctrl or Shift is held
    (a shortcut that opens a dialog swallows the release); the next test's
    ``selectRow`` then extends the selection instead of replacing it.  Release
    whatever Qt believes is held, after each test."""
    yield
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance()
    if app is None or QGuiApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier:
        return
    probe = QWidget()
    for key in (Qt.Key.Key_Control, Qt.Key.Key_Shift, Qt.Key.Key_Alt, Qt.Key.Key_Meta):
        QTest.keyRelease(probe, key, Qt.KeyboardModifier.NoModifier)
    probe.deleteLater()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data and log dirs of a throw-away user, and no real keyring."""
    home = tmp_path / "home"
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


DEMO_TEMPLATE_DB = "autopr_test_demo_template"


@pytest.fixture(scope="session")
def demo_template(pg_address: ServerAddress, template_db: str) -> str:
    """A migrated database filled once with the deterministic demo data (no simulator)."""
    from console.demo.dataset import DEFAULT_SEED, fill_demo

    drop_database(pg_address, DEMO_TEMPLATE_DB)
    create_database(pg_address, DEMO_TEMPLATE_DB, template=template_db)
    eng = make_engine(pg_address.url(DEMO_TEMPLATE_DB), EngineSettings(statement_timeout_ms=0))
    try:
        fill_demo(eng, seed=DEFAULT_SEED)
    finally:
        eng.dispose()
    return DEMO_TEMPLATE_DB


@pytest.fixture
def demo_db_url(pg_address: ServerAddress, demo_template: str) -> Iterator[str]:
    """URL of a fresh copy of the demo database for one test."""
    name = f"t_demo_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name, template=demo_template)
    yield pg_address.url(name)
    drop_database(pg_address, name)
