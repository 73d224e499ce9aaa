"""Holes found reviewing the safety rules (environment, guard), each closed and kept closed."""

from __future__ import annotations

import psycopg
import pytest

from console.db.urls import normalize_url
from console.environments import assumed_for_url
from console.profiles import Profile, ProfileStore, profile_from_url


def test_pghostaddr_is_judged_even_when_the_url_names_localhost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libpq connects to PGHOSTADDR when the URL has a host but no hostaddr."""
    url = "postgresql://localhost/autopr"
    monkeypatch.delenv("AUTOPR_ENVIRONMENT", raising=False)
    monkeypatch.delenv("PGHOSTADDR", raising=False)
    assert assumed_for_url(normalize_url(url)) == "dev"
    monkeypatch.setenv("PGHOSTADDR", "10.20.30.40")
    # what libpq will really do with this URL and this environment:
    assert psycopg.conninfo.conninfo_to_dict(url)["host"] == "localhost"
    profile = profile_from_url(url)
    assert profile.environment == "prod" and profile.environment_assumed
    print(f"localhost URL with PGHOSTADDR=10.20.30.40: {profile.environment_label}")
    monkeypatch.setenv("PGHOSTADDR", "127.0.0.1")
    assert assumed_for_url(normalize_url(url)) == "dev"


def test_database_url_beats_the_profile_remembered_by_the_window(
    qtbot, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window used to open the remembered profile (here a prod one) over DATABASE_URL:
    the operator's explicit choice for this run lost to yesterday's."""
    from console.ui import settings
    from console.ui.main_window import build_main_window

    ProfileStore().save(Profile("prod", environment="prod", url=db_url))
    settings.LAST_PROFILE.put("prod")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("AUTOPR_ENVIRONMENT", "dev")
    window = build_main_window(specs=[])
    qtbot.addWidget(window)
    try:
        window.start()
        qtbot.waitUntil(lambda: window.state == "connected", timeout=60_000)
        assert window.guard is not None
        assert window.guard.profile_name == "DATABASE_URL"
        assert window.guard.environment == "dev"
        print(f"window with last_profile=prod and DATABASE_URL set: {window.guard.profile_name}")
    finally:
        window.close()
        window.runner.wait_idle()


def test_the_application_log_is_the_owners_only_also_after_rotating(isolated_home) -> None:
    import logging
    import os
    import stat

    from console import applog

    old = os.umask(0o022)  # the usual umask: new files would be world-readable
    try:
        target = applog.setup_logging(logging.INFO)
        try:
            logging.getLogger("console.test").info("connected to prod-db.example.com as deploy")
            handler = next(h for h in logging.getLogger().handlers if hasattr(h, "doRollover"))
            handler.doRollover()
            logging.getLogger("console.test").info("after rotating")
        finally:
            applog.shutdown_logging()
    finally:
        os.umask(old)
    files = sorted(target.parent.glob(target.name + "*"))
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    print(f"log files: {modes}")
    assert len(files) == 2 and set(modes.values()) == {"0o600"}


SECRET_DOCS = {
    "sk-live-1": {"channel": "#ops", "tokens": ["sk-live-1"]},
    "p4ss-nested": {"auth": {"user": "bot", "pass": "p4ss-nested"}},
    "918273645": {"api_key": 918273645},
    "T0B0whsec": {"webhook": {"url": "https://hooks.example.com/hooks/T0B0whsec"}},
}


@pytest.mark.parametrize("secret", sorted(SECRET_DOCS))
@pytest.mark.expects_log_warnings(
    r"^console\.test: query failed: .*invalid input syntax for type integer"
)
def test_crash_reports_and_logged_errors_mask_secrets_whole(
    secret: str, engine, isolated_home
) -> None:
    """Free text (tracebacks, the crash dialog, log lines) holding a config's repr or a
    server error quoting its JSON: a secret-named key's list, object or number is hidden
    whole, as in the documents (before, only quoted strings were)."""
    import json
    import logging
    import sys

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from console import applog

    doc = SECRET_DOCS[secret]
    try:
        raise ValueError(f"integration config refused: {doc!r}")
    except ValueError:
        summary, details = applog.format_crash(*sys.exc_info())
    assert secret not in summary and secret not in details
    # PostgreSQL quotes the bad JSON back
    with pytest.raises(DBAPIError) as info, engine.connect() as conn:
        conn.execute(text("SELECT CAST(:doc AS int)"), {"doc": json.dumps(doc)})
    assert secret in str(info.value)  # the server did quote it
    target = applog.setup_logging(logging.INFO)
    try:
        logging.getLogger("console.test").error("query failed: %s", info.value)
        logging.getLogger("console.test").info("posting %s", doc)
    finally:
        applog.shutdown_logging()
    logged = target.read_text()
    assert "query failed" in logged and secret not in logged
    print(f"{secret}: crash summary {summary!r:.90}")


def test_a_new_profile_in_the_editor_declares_its_environment(qtbot, isolated_home) -> None:
    """The window's profile editor used to preselect dev: a new "prod-eu" saved as is was a
    writable dev profile with no unlock (the CLI's 'profile add' needs --environment)."""
    from console.ui.profile_editor import ProfileEditor

    store = ProfileStore()
    editor = ProfileEditor(None, store=store)
    qtbot.addWidget(editor)
    editor.name_edit.setText("prod-eu")
    editor.edits["host"].setText("db.eu.example.com")
    assert editor.environment.currentText() not in ("local", "dev", "staging", "prod")
    editor.save()
    message = editor.error.text()
    assert "choose the environment" in message and "\n" not in message
    assert "prod-eu" not in store.load()  # nothing saved
    print(f"editor, new 'prod-eu' left undeclared: {message}")
    editor.environment.setCurrentText("prod")
    editor.save()
    assert store.get("prod-eu").environment == "prod"
    named = ProfileEditor(None, store=store)  # a name that is an environment declares it
    qtbot.addWidget(named)
    named.name_edit.setText("staging")
    named.edits["host"].setText("db.stg.example.com")
    named.save()
    assert store.get("staging").environment == "staging"


def test_tooltips_of_database_text_are_plain(qtbot) -> None:
    """The live tail's message tooltip and the palette's row names were handed to Qt raw: a
    log line starting with a tag showed as rich text (bold, an image) instead of itself."""
    import uuid
    from datetime import UTC, datetime

    from PySide6.QtCore import Qt
    from PySide6.QtGui import Qt as GuiQt
    from PySide6.QtGui import QTextDocument

    from console.tail.lines import TailLine
    from console.ui.tail.model import COL_MESSAGE, TailTableModel, make_row

    evil = '<b>x</b><img src="file:///etc/hostname">\nsecond line'

    def shown(tip: str) -> str:  # what a tooltip puts on screen
        if not GuiQt.mightBeRichText(tip):
            return tip
        doc = QTextDocument()
        doc.setHtml(tip)
        return doc.toPlainText()

    assert shown(evil) != evil  # unescaped it would render
    line = TailLine(
        uuid.uuid4(), uuid.uuid4(), "ex-1", datetime.now(UTC), "INFO", evil, None, None, None
    )
    model = TailTableModel()
    model.append_rows([make_row(line)])
    tip = model.data(model.index(0, COL_MESSAGE), Qt.ItemDataRole.ToolTipRole)
    print(f"tail tooltip shows: {shown(tip)!r}")
    assert shown(tip) == evil


def test_a_multi_host_url_with_ports_gets_one_line_not_a_traceback(capsys) -> None:
    """libpq's ``h1:5432,h2:5432`` form crashed URL parsing with a ValueError traceback."""
    from console.cli import main

    url = "postgresql://ops:pw-9@localhost:5432,10.0.0.5:5432/autopr"
    assert main(["--url", url, "execution", "cancel", "x"]) == 2
    err = capsys.readouterr().err.strip()
    print(err)
    assert len(err.splitlines()) == 1 and "?host=h1,h2" in err and "pw-9" not in err
    # the form it suggests is read, and judged by every host (one is not this machine)
    profile = profile_from_url("postgresql:///autopr?host=localhost,10.0.0.5&port=5432,5432")
    assert profile.environment == "prod" and profile.environment_assumed


def test_the_database_name_is_judged_as_libpq_defaults_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local URL without a database name opens PGDATABASE, else the user's name: a
    production-looking one is prod (before, only the URL's own name was read)."""
    for var in ("PGDATABASE", "PGUSER", "PGHOST", "PGHOSTADDR", "PGSERVICE", "AUTOPR_ENVIRONMENT"):
        monkeypatch.delenv(var, raising=False)
    assert assumed_for_url(normalize_url("postgresql://localhost")) == "dev"
    monkeypatch.setenv("PGDATABASE", "autopr_prod")
    assert assumed_for_url(normalize_url("postgresql://localhost")) == "prod"
    assert assumed_for_url(normalize_url("postgresql://localhost/autopr")) == "dev"
    monkeypatch.delenv("PGDATABASE")
    assert assumed_for_url(normalize_url("postgresql://live_ops@localhost")) == "prod"
    monkeypatch.setenv("PGUSER", "prd")
    profile = profile_from_url("postgresql://localhost")
    print(f"postgresql://localhost with PGUSER=prd: {profile.environment_label}")
    assert profile.environment == "prod"
