"""App identity in the window: title with name and version, About dialog, crash dialog."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMenu

from console import APP_NAME, __version__, applog, paths
from console.ui.about_dialog import AboutDialog, about_facts
from console.ui.crash_report import CRASH_EXIT_CODE, install_crash_dialog


@pytest.fixture
def crash_reporter(qapp):
    applog.setup_logging()
    reporter = install_crash_dialog(qapp)
    yield reporter
    if reporter.dialog is not None:
        reporter.dialog.close()
    applog.uninstall_excepthooks()
    applog.shutdown_logging()
    reporter.deleteLater()


def test_main_window_title_has_name_and_version(qtbot) -> None:
    from console.ui.main_window import build_main_window

    window = build_main_window(remember=False, specs=[])
    qtbot.addWidget(window)
    window.show()
    assert APP_NAME in window.windowTitle()
    assert __version__ in window.windowTitle()


def test_help_about_opens_the_about_dialog(qtbot) -> None:
    from console.ui.main_window import build_main_window

    window = build_main_window(remember=False, specs=[])
    qtbot.addWidget(window)
    about = next(
        action
        for menu in window.menuBar().findChildren(QMenu)
        for action in menu.actions()
        if action.text().replace("&", "") == "About"
    )
    about.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_about_lists_versions_and_folders(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    facts = dict(about_facts())
    assert facts["Version"].startswith(__version__)
    assert facts["Qt"].count(".") == 2
    assert facts["Log folder"] == str(paths.log_dir())
    assert facts["Config folder"] == str(paths.config_dir())
    assert facts["Data folder"] == str(paths.data_dir())
    assert facts["PostgreSQL server"] == "not connected"
    assert dialog.value_labels["Log file"].text() == str(applog.log_file())
    dialog.copy_facts()
    assert str(paths.log_dir()) in QApplication.clipboard().text()


def test_about_shows_the_connected_server(qtbot, db_url: str) -> None:
    from console.db.connection import open_database
    from console.profiles import profile_from_url

    db = open_database(profile_from_url(db_url))
    try:
        facts = dict(about_facts(db))
        assert facts["PostgreSQL server"].startswith(db.server_version)
        assert db.database_name in facts["PostgreSQL server"]
    finally:
        db.close()


@pytest.mark.expects_log_warnings(r"^console\.crash: unhandled exception in the main thread")
def test_unhandled_exception_opens_crash_dialog_naming_the_log(qtbot, crash_reporter) -> None:
    try:
        raise RuntimeError("lost postgresql://ops:very-secret@db/x")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: crash_reporter.dialog is not None and crash_reporter.dialog.isVisible())
    dialog = crash_reporter.dialog
    assert dialog.summary_label.text() == "RuntimeError: lost postgresql://ops:***@db/x"
    assert str(applog.log_file()) in dialog.log_label.text()
    assert "very-secret" not in dialog.details
    dialog.copy_details()
    assert "Traceback" in QApplication.clipboard().text()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "lost postgresql://ops:***@db/x" in applog.log_file().read_text()


@pytest.mark.expects_log_warnings(r"^console\.crash: unhandled exception in thread")
def test_exception_in_a_worker_thread_reaches_the_gui_thread(qtbot, crash_reporter) -> None:
    def fail() -> None:
        raise LookupError("from a worker")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: crash_reporter.dialog is not None)
    assert crash_reporter.dialog.summary_label.text() == "LookupError: from a worker"


@pytest.mark.expects_log_warnings(r"^console\.crash: unhandled exception in the main thread")
def test_a_second_crash_does_not_stack_dialogs(qtbot, crash_reporter) -> None:
    for message in ("first", "second"):
        try:
            raise ValueError(message)
        except ValueError:
            sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: crash_reporter.suppressed == 1)
    assert crash_reporter.dialog.summary_label.text() == "ValueError: first"


def test_quit_ends_the_event_loop_with_an_error_status(tmp_path: Path) -> None:
    # In a process of its own: ending the application's event loop inside the
    # test session would leave the shared QApplication unable to deliver
    # queued signals to the tests that follow.
    import os
    import subprocess

    script = tmp_path / "quit.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from console.ui.crash_dialog import CrashDialog\n"
        "app = QApplication([])\n"
        "dialog = CrashDialog('ValueError: x', 'Traceback', Path('/tmp/console.log'))\n"
        "dialog.show()\n"
        "QTimer.singleShot(0, dialog.quit_button.click)\n"
        "code = app.exec()\n"
        "print('visible' if dialog.isVisible() else 'hidden')\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path.cwd()))
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == CRASH_EXIT_CODE, done.stderr
    assert done.stdout.strip() == "hidden"
