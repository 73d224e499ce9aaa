"""Alembic migrations of the AutoPR schema, shipped inside the installed package."""

from pathlib import Path

SCRIPT_LOCATION = Path(__file__).resolve().parent
