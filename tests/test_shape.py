"""The codebase keeps its shape: the layer contracts of pyproject.toml hold."""

from __future__ import annotations

import ast
import logging
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers.logcheck import Collector, unexpected

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    """models/queries/actions/tail/db never import Qt or the UI; the UI never imports the
    database drivers; the CLI imports the window only from the commands that open it;
    console code uses the Core tables of models.schema, never the ORM classes."""
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


def test_every_benchmark_is_type_checked():
    """Every script in benchmarks/ is in mypy's files and has every function typed and
    checked, so a rename in the code it drives fails the type check rather than a run."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mypy = config["tool"]["mypy"]
    assert "benchmarks" in mypy["files"]
    checked = {
        module
        for override in mypy["overrides"]
        if override.get("disallow_untyped_defs") and override.get("check_untyped_defs")
        for module in override["module"]
    }
    scripts = {path.stem for path in (ROOT / "benchmarks").glob("*.py")}
    assert scripts, "no benchmark scripts found"
    missing = sorted(scripts - checked)
    assert not missing, "add to the benchmarks' [[tool.mypy.overrides]]: " + ", ".join(missing)


MAX_UI_CLASS_LINES = 400


def test_no_ui_class_over_400_lines():
    """Every class in console/ui stays small enough to have one job: at most 400 lines
    from its ``class`` line to its last (decorators excluded)."""
    too_long = []
    for path in sorted((ROOT / "console" / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_UI_CLASS_LINES:
                    where = path.relative_to(ROOT).as_posix()
                    too_long.append(f"{where}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, f"classes over {MAX_UI_CLASS_LINES} lines: " + "; ".join(too_long)


def psycopg_connects(source: str) -> list[int]:
    """Lines of ``source`` that open a psycopg connection: ``psycopg.connect(...)``,
    ``psycopg.Connection.connect(...)`` or a ``connect`` imported from psycopg."""
    tree = ast.parse(source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("psycopg")
        for alias in node.names
        if alias.name == "connect"
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name in {"psycopg.connect", "psycopg.Connection.connect"} or name in imported:
            lines.append(node.lineno)
    return lines


def test_psycopg_connections_open_only_in_the_db_layer():
    """Everything else gets its raw connections from console.db.engine (raw_connect,
    maintenance_connect), so the engine's timeouts and prod's read-only default apply."""
    assert psycopg_connects("import psycopg\npsycopg.connect('')\n") == [2]
    assert psycopg_connects("from psycopg import connect as c\nc('')\n") == [2]
    assert psycopg_connects("import psycopg\npsycopg.Connection.connect('')\n") == [2]
    outside = []
    for path in sorted([*(ROOT / "console").rglob("*.py"), *(ROOT / "models").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("console/db/") or rel.startswith("console/resources/"):
            continue
        outside += [f"{rel}:{n}" for n in psycopg_connects(path.read_text(encoding="utf-8"))]
    assert outside == [], "psycopg.connect outside console/db: " + ", ".join(outside)


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
    result.assert_outcomes(passed=1, failed=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*ERROR console.ui.tasks: background task failed*"])
    result.stdout.fnmatch_lines(["*WARNING qt: a warning from Qt*"])
    result.stdout.fnmatch_lines(["*WARNING console.x: not the declared one*"])


def test_the_settings_store_loads_qt_only_when_it_touches_the_file():
    """console.settings_store is imported by the command line: Qt (QtCore's QSettings, for
    the INI encoding and lock a running window shares) is imported inside store() only."""
    tree = ast.parse((ROOT / "console" / "settings_store.py").read_text(encoding="utf-8"))
    top_level = [
        ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (alias.name if isinstance(node, ast.Import) else node.module or "").startswith(
                "PySide6"
            )
            for alias in node.names
        )
    ]
    assert top_level == []
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, console.settings_store; print('PySide6' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr[-2000:]
