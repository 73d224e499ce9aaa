"""Application log files: location, rotation, password redaction, exception hooks."""

from __future__ import annotations

import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from console import applog, paths


@pytest.fixture
def logfile() -> Path:
    path = applog.setup_logging(logging.DEBUG)
    yield path
    applog.shutdown_logging()
    applog.uninstall_excepthooks()


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("connect postgresql+psycopg://ops:s3cr3t-pw@db.example:5432/autopr_prod", "s3cr3t-pw"),
        ("url=postgres://u:p%40ss@h/db failed", "p%40ss"),
        ("conninfo host=db user=ops password=hunter2 dbname=autopr", "hunter2"),
        ("conninfo host=db password='with space' dbname=x", "with space"),
        ("env PGPASSWORD=topsecret psql", "topsecret"),
        ("settings {'password': 'dict-secret', 'user': 'ops'}", "dict-secret"),
        ('json {"password": "json-secret"}', "json-secret"),
        ("webhook refused: api_key: yaml-secret (401)", "yaml-secret"),
        ("request header X-Api-Token: hdr-secret rejected", "hdr-secret"),
        ("config token: 'quoted-secret', retries: 3", "quoted-secret"),
    ],
)
def test_redact_text_hides_passwords(text: str, secret: str) -> None:
    redacted = applog.redact_text(text)
    assert secret not in redacted
    assert applog.MASK in redacted


def test_redact_text_keeps_harmless_text() -> None:
    text = "postgresql+psycopg://ops@db.example:5432/autopr_prod host=db port=5432"
    assert applog.redact_text(text) == text


@pytest.mark.expects_log_warnings(r"^console\.test: hello world")
def test_log_file_lives_in_user_log_dir(logfile: Path) -> None:
    assert logfile.parent == paths.log_dir()
    logging.getLogger("console.test").warning("hello %s", "world")
    _flush()
    assert "hello world" in logfile.read_text()


@pytest.mark.expects_log_warnings(r"^console\.test: failed")
def test_passwords_in_messages_args_and_tracebacks_never_reach_the_file(logfile: Path) -> None:
    log = logging.getLogger("console.test")
    log.info("opening %s", "postgresql://ops:arg-secret@db/x")
    log.info("conninfo password=msg-secret host=db")
    try:
        raise RuntimeError("could not connect to postgresql://ops:exc-secret@db/x")
    except RuntimeError:
        log.exception("failed")
    _flush()
    content = logfile.read_text()
    for secret in ("arg-secret", "msg-secret", "exc-secret"):
        assert secret not in content
    assert "RuntimeError" in content
    assert "postgresql://ops:***@db/x" in content


def test_log_rotates(logfile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = next(h for h in applog.our_handlers() if isinstance(h, RotatingFileHandler))
    monkeypatch.setattr(handler, "maxBytes", 2000)
    log = logging.getLogger("console.test")
    for i in range(200):
        log.info("line %04d %s", i, "x" * 40)
    _flush()
    rotated = sorted(p.name for p in logfile.parent.iterdir())
    assert f"{applog.LOG_FILE_NAME}.1" in rotated
    assert len(rotated) <= applog.BACKUP_COUNT + 1
    assert logfile.stat().st_size <= 2000


def test_setup_is_idempotent(logfile: Path) -> None:
    applog.setup_logging()
    applog.setup_logging()
    assert len(applog.our_handlers()) == 1


@pytest.mark.expects_log_warnings(r"^console\.crash: unhandled exception in the main thread")
def test_sys_excepthook_logs_and_calls_back(logfile: Path) -> None:
    seen: list[tuple[str, str, Path]] = []
    applog.install_excepthooks(lambda s, d, p: seen.append((s, d, p)))
    try:
        raise ValueError("boom password=leak")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    _flush()
    assert len(seen) == 1
    summary, details, where = seen[0]
    assert summary.startswith("ValueError: boom")
    assert "leak" not in summary and "leak" not in details
    assert "Traceback" in details
    assert where == logfile
    content = logfile.read_text()
    assert "unhandled exception in the main thread" in content
    assert "leak" not in content


@pytest.mark.expects_log_warnings(r"^console\.crash: unhandled exception in thread")
def test_thread_excepthook_logs_and_calls_back(logfile: Path) -> None:
    seen: list[str] = []
    applog.install_excepthooks(lambda s, d, p: seen.append(s))

    def fail() -> None:
        raise KeyError("worker-failure")

    thread = threading.Thread(target=fail, name="worker-7")
    thread.start()
    thread.join()
    _flush()
    assert seen == ["KeyError: 'worker-failure'"]
    assert "unhandled exception in thread worker-7" in logfile.read_text()


@pytest.mark.expects_log_warnings(
    r"^console\.crash: (unhandled exception in the main thread|the crash report itself failed)"
)
def test_a_failing_callback_is_logged_not_raised(logfile: Path) -> None:
    def broken(summary: str, details: str, where: Path) -> None:
        raise OSError("no display")

    applog.install_excepthooks(broken)
    try:
        raise ValueError("first")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    _flush()
    assert "the crash report itself failed" in logfile.read_text()


def test_uninstall_restores_previous_hooks(logfile: Path) -> None:
    before = (sys.excepthook, threading.excepthook)
    applog.install_excepthooks(None)
    assert sys.excepthook is not before[0]
    applog.uninstall_excepthooks()
    assert (sys.excepthook, threading.excepthook) == before
