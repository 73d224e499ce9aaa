"""Build backend: setuptools, plus the runtime resources of ``resources/`` inside the wheel.

The repository keeps icons, styles and the application icon in ``resources/`` (the
frozen app and the .deb read them there); a wheel installs only packages, so
``build_py`` copies the files the window needs into ``console/resources/``, where
``console.ui.theme`` finds them through ``importlib.resources``.  pyproject.toml names
this module as the in-tree backend (``backend-path = ["packaging"]``, which keeps the
top-level layout free of a setup.py) and ``BuildPyWithResources`` as setuptools'
``build_py``; everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import build_meta as _setuptools_backend
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent.parent
# What the running console reads: not the screenshots, not the installers' .ico/.icns.
RUNTIME_RESOURCES = (
    "icons/*.svg",
    "icons/*.png",
    "styles/*.qss",
    "app/autopr-console.svg",
    "app/autopr-console.desktop",
    "app/png/*/autopr-console.png",
)


def runtime_resources(root: Path = ROOT / "resources") -> list[Path]:
    """The files of ``resources/`` that go into the package, relative to it."""
    return sorted(
        {p.relative_to(root) for pattern in RUNTIME_RESOURCES for p in root.glob(pattern)}
    )


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads resources/ of the source tree
        target = Path(self.build_lib) / "console" / "resources"
        for rel in runtime_resources():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / "resources" / rel, dest)


# The PEP 517 hooks are setuptools' own.
get_requires_for_build_wheel = _setuptools_backend.get_requires_for_build_wheel
get_requires_for_build_sdist = _setuptools_backend.get_requires_for_build_sdist
get_requires_for_build_editable = _setuptools_backend.get_requires_for_build_editable
prepare_metadata_for_build_wheel = _setuptools_backend.prepare_metadata_for_build_wheel
prepare_metadata_for_build_editable = _setuptools_backend.prepare_metadata_for_build_editable
build_wheel = _setuptools_backend.build_wheel
build_sdist = _setuptools_backend.build_sdist
build_editable = _setuptools_backend.build_editable
