"""The codebase keeps its shape: the layer contracts of pyproject.toml hold."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.logcheck import Collector, unexpected

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    """models/queries/actions/tail/db never import Qt or the UI; the UI never imports the
    database drivers; the CLI imports the window only from the commands that open it."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run(
        [exe, str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_types_check():
    """mypy with the configuration of pyproject.toml: strict for the data layers, the listed
    exemptions only; zero errors."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


@pytest.mark.expects_log_warnings(r"^console\.example: provoked")
def test_a_test_may_expect_warnings(caplog):
    logging.getLogger("console.example").warning("provoked on purpose")
    assert [r.getMessage() for r in caplog.records] == ["provoked on purpose"]


def test_an_unexpected_warning_fails_the_test():
    collector = Collector()
    logger = logging.getLogger("console.example.isolated")
    logger.propagate = False  # this test's own autouse check must not see the record
    logger.addHandler(collector)
    try:
        logger.info("fine")
        assert unexpected(collector.records) is None
        logger.error("a background task failed")
        logger.warning("expected one")
    finally:
        logger.removeHandler(collector)
        logger.propagate = True
    failure = unexpected(collector.records, (r"expected one",))
    assert failure is not None and "1 unexpected" in failure
    assert "ERROR console.example.isolated: a background" in failure
    assert unexpected(collector.records, None) is None  # the bare marker allows any


INNER_TESTS = """
import logging

import pytest
from PySide6.QtCore import QObject, qWarning

from console.ui.tasks import TaskRunner


def boom():
    raise RuntimeError("the worker failed")


def test_background_failure(qtbot):
    owner = QObject()
    runner = TaskRunner()
    runner.submit(boom, owner=owner)  # no on_error: the runner only logs
    qtbot.waitUntil(lambda: runner.executed == 1)


def test_qt_warning(qtbot):
    qWarning("a warning from Qt")


@pytest.mark.expects_log_warnings(r"^console\\.ui\\.tasks: background task failed")
def test_declared(qtbot, caplog):
    owner = QObject()
    runner = TaskRunner()
    runner.submit(boom, owner=owner)
    qtbot.waitUntil(lambda: runner.executed == 1)
    assert any("the worker failed" in r.getMessage() for r in caplog.records)


@pytest.mark.expects_log_warnings(r"something else")
def test_declared_other(qtbot):
    logging.getLogger("console.x").warning("not the declared one")
"""


def test_background_failures_and_qt_warnings_fail_the_test(pytester, monkeypatch):
    """A task that fails in the background only logs; a Qt warning only prints: either
    fails the test that caused it, unless the test declares it."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest('pytest_plugins = ["tests.helpers.logcheck"]')
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--no-qt-log",
        "-o",
        "qt_api=pyside6",
        f"--rootdir={pytester.path}",
    )
    # The check fails a test at its teardown (the records of fixtures' teardown count too):
    # pytest reports that as an error of the test, and the run fails.
    result.assert_outcomes(passed=4, errors=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*ERROR console.ui.tasks: background task failed*"])
    result.stdout.fnmatch_lines(["*WARNING qt: a warning from Qt*"])
    result.stdout.fnmatch_lines(["*WARNING console.x: not the declared one*"])
