"""The declarative base of the ORM classes, mapped onto the Core tables of :mod:`models.schema`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase, Mapped

from models.schema import metadata


class Base(DeclarativeBase):
    metadata = metadata


def table_of(model: type[Base]) -> Table:
    """The Core ``Table`` of a mapped class (``Model.__table__`` is typed as a FromClause).

    Console code imports the tables of :mod:`models.schema` instead, without the ORM."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped onto a Table")
    return table


class AuditMixin:
    """created_at / updated_at of the tables that have them (the columns, their Python-side
    defaults and ``onupdate`` are defined in :mod:`models.schema`)."""

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
