"""A desktop that cannot show a Qt window gets one line and nothing started or written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import PySide6

from console.ui.platform_check import missing_library_message

QT = Path(PySide6.__file__).parent / "Qt"


def _console(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    full.update(AUTOPR_CONSOLE_HOME=str(home), **env)
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("autopr-console: cannot open the window: ")
    return lines[0]


def test_a_plugin_missing_a_system_library_is_named_before_anything_starts(tmp_path: Path):
    # A copy of the xcb plugin whose libxcb-cursor dependency names a library no system has;
    # its Qt libraries resolve through its RUNPATH ($ORIGIN/../../lib).
    platforms = tmp_path / "qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (tmp_path / "qt" / "lib").symlink_to(QT / "lib")
    plugin = (QT / "plugins" / "platforms" / "libqxcb.so").read_bytes()
    assert b"libxcb-cursor.so.0\0" in plugin
    (platforms / "libqxcb.so").write_bytes(
        plugin.replace(b"libxcb-cursor.so.0\0", b"libautopr-gone.so\0\0")
    )
    home = tmp_path / "home"
    line = _one_line(
        _console(
            ["--profile", "local"],
            home,
            QT_QPA_PLATFORM="xcb",
            QT_QPA_PLATFORM_PLUGIN_PATH=str(platforms),
            DISPLAY=":0",
        )
    )
    assert '"xcb" needs the system library libautopr-gone.so, which is not installed' in line
    assert "apt-file search libautopr-gone.so" in line
    assert not home.exists()  # no settings, no log, no embedded server data directory


def test_demo_open_without_a_display_writes_nothing_and_starts_no_server(tmp_path: Path):
    home = tmp_path / "home"
    line = _one_line(_console(["demo", "--open"], home, QT_QPA_PLATFORM="xcb"))
    assert "no X display" in line and "DISPLAY is not set" in line
    assert not home.exists()


def test_an_unreachable_x_display_is_named():
    line = _one_line(
        _console(["gui"], Path("/nonexistent/home"), QT_QPA_PLATFORM="xcb", DISPLAY=":87")
    )
    assert "cannot connect to the X display ':87'" in line


def test_the_xcb_cursor_library_names_its_packages():
    error = "libxcb-cursor.so.0: cannot open shared object file: No such file or directory"
    message = missing_library_message('the Qt platform plugin "xcb"', error)
    assert message == (
        'the Qt platform plugin "xcb" needs the system library libxcb-cursor.so.0, which is '
        "not installed; install it with 'sudo apt-get install libxcb-cursor0' (Debian/Ubuntu) "
        "or 'sudo dnf install xcb-util-cursor' (Fedora)"
    )


def test_qt_libraries_ask_for_a_pyside6_reinstall():
    error = "libQt6XcbQpa.so.6: cannot open shared object file: No such file or directory"
    message = missing_library_message('the Qt platform plugin "xcb"', error)
    assert "reinstall it (pip install --force-reinstall PySide6-Essentials)" in message


def test_a_working_platform_passes(tmp_path: Path):
    code = "from console.ui.platform_check import window_problem; print(window_problem())"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "None", out.stderr
