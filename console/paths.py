"""Per-user directories (platformdirs), overridable for tests and the self-test."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from console import APP_ID

ENV_HOME = "AUTOPR_CONSOLE_HOME"


def _base(kind: str) -> Path:
    override = os.environ.get(ENV_HOME)
    if override:
        return Path(override) / kind
    dirs = platformdirs.PlatformDirs(APP_ID, appauthor=False)
    return Path(
        {"config": dirs.user_config_dir, "data": dirs.user_data_dir, "log": dirs.user_log_dir}[kind]
    )


def config_dir() -> Path:
    return _base("config")


def data_dir() -> Path:
    return _base("data")


def log_dir() -> Path:
    return _base("log")


def profiles_file() -> Path:
    return config_dir() / "profiles.toml"


def embedded_root() -> Path:
    return data_dir() / "embedded"
