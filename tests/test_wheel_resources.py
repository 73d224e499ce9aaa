"""``pip install .`` gives a console with its icons: the wheel carries the runtime resources.

Builds the wheel from a copy of the source tree, installs it (without dependencies,
which the environment already has) into a fresh virtual environment and, from
outside the source tree, opens the window offscreen and checks every icon it names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Dependencies come from the system site-packages the venv sees; the wheel from its file.
INSTALL_OPTIONS = ("--no-deps", "--ignore-installed", "--no-index")

CHECK = r"""
import sys
from pathlib import Path
import console
from console.app import make_application
from console.ui import theme
from console.ui.main_window import MainWindow
from console.ui.pages import page_specs

venv = Path(sys.prefix).resolve()
assert Path(console.__file__).resolve().is_relative_to(venv), console.__file__
res = theme.resources_dir().resolve()
print("resources in venv", res.is_relative_to(venv))
app = make_application([])
window = MainWindow(remember=False)
window.build_pages()
named = [spec.icon or spec.key for spec in page_specs()] + ["refresh", "pause", "clock"]
missing = [n for n in named if theme.icon(n).isNull()]
print("named icons", len(named), "missing", missing)
blank_nav = [window.nav.item(i).text() for i in range(window.nav.count())
             if window.nav.item(i).icon().isNull()]
blank_actions = [a.text() for a in (window.refresh_action, window.pause_action, window.utc_action)
                 if a.icon().isNull()]
print("blank navigation", blank_nav, "blank toolbar", blank_actions)
print("window icon", not window.windowIcon().isNull(), "app icon", not app.windowIcon().isNull())
print("style sheet", theme.resource_path("styles", "console.qss").is_file())
"""


@pytest.mark.slow
def test_the_installed_wheel_finds_every_icon_the_window_names(tmp_path: Path):
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "*.egg-info", "__pycache__", "tests", ".*cache", "shots"
        ),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("autopr_console-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "console/resources/icons/overview.svg" in names
    assert not [n for n in names if "screenshots" in n]

    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *INSTALL_OPTIONS, str(wheel)],
        check=True,
        timeout=300,
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOPR_CONSOLE_RESOURCES")
    }
    env.update(QT_QPA_PLATFORM="offscreen", AUTOPR_CONSOLE_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [str(python), "-c", CHECK],
        cwd=tmp_path,  # not the source tree: the installed package only
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "resources in venv True"
    assert lines[1].startswith("named icons ") and lines[1].endswith("missing []")
    assert int(lines[1].split()[2]) >= 11
    assert lines[2:] == [
        "blank navigation [] blank toolbar []",
        "window icon True app icon True",
        "style sheet True",
    ]
