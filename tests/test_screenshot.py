"""``autopr-console screenshot``: one PNG per page and page state, offscreen, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from console.cli import main
from console.ui.pages import page_specs

REPO = Path(__file__).resolve().parents[1]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["AUTOPR_CONSOLE_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    return env


def test_screenshot_writes_a_png_for_every_page_without_a_display(
    demo_db_url, tmp_path, isolated_home
):
    out = tmp_path / "shots"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "screenshot",
            str(out),
            "--url",
            demo_db_url,
            "--size",
            "1024x700",
        ],
        env=_env(isolated_home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    written = sorted(out.glob("*.png"))
    assert sorted(Path(line).name for line in proc.stdout.split()) == [p.name for p in written]
    for n, spec in enumerate(page_specs(), start=1):
        assert (out / f"{n:02d}-{spec.key}.png").exists(), spec.key
    for path in written:
        image = QImage(str(path))
        assert not image.isNull(), path
        assert (image.width(), image.height()) == (1024, 700)
        # a real rendering, not a blank canvas: many distinct colours
        colours = {image.pixel(x, y) for x in range(0, 1024, 16) for y in range(0, 700, 16)}
        assert len(colours) > 8, path
    # pages with detail states got their extra pictures
    assert len(written) >= len(page_specs())


def test_screenshot_rejects_a_bad_size(capsys, tmp_path):
    assert main(["screenshot", str(tmp_path), "--size", "big"]) == 2
    assert "--size" in capsys.readouterr().err


def test_window_paints_before_the_data_layer_is_imported(isolated_home):
    code = (
        "import sys\n"
        "from console.app import make_application\n"
        "app = make_application([])\n"
        "from console.ui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "assert w.grab().width() > 0\n"
        "print(sorted(m for m in ('sqlalchemy', 'psycopg', 'alembic') if m in sys.modules))\n"
    )
    env = _env(isolated_home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
