"""Declarative base, naming convention and the AuditMixin of the schema contract."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Names PostgreSQL itself would choose for primary and foreign keys, so a
# database created by hand from the contract and one created by our migration
# have identical catalogs.  CHECK, UNIQUE and index names are always explicit.
NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Core ``Table`` of a mapped class (``Model.__table__`` is typed as a FromClause)."""
    return Base.metadata.tables[model.__tablename__]


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditMixin:
    """created_at / updated_at, set by Python on ORM writes and by the server otherwise."""

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.now(),
        nullable=False,
    )
