"""Alembic migrations of the AutoPR schema, shipped inside the installed package."""

from pathlib import Path

SCRIPT_LOCATION = Path(__file__).resolve().parent

# The console keeps its own migration history here, so that the engine's migration
# tool (which uses Alembic's default ``alembic_version``) and the console can both
# be used on one database.
VERSION_TABLE = "autopr_console_version"
LEGACY_VERSION_TABLE = "alembic_version"
