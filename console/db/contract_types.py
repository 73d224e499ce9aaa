"""The shapes of the schema contract's plain-data snapshot (see :mod:`console.db.contract_gen`)."""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    name: str
    type: str  # as PostgreSQL's format_type() shows it
    nullable: bool
    primary_key: bool
    unique: bool
    default: str | None  # the server default's SQL, lower case; None: no server default


class Unique(NamedTuple):
    columns: tuple[str, ...]
    name: str | None


class Check(NamedTuple):
    key: str  # normalize_check() of the expression: compared with the live definition
    name: str | None
    sql: str  # the expression as the models write it, for messages


class ForeignKey(NamedTuple):
    column: str
    table: str
    target: str
    on_delete: str  # lower case, "no action" when unset


class TableContract(NamedTuple):
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    uniques: tuple[Unique, ...]
    checks: tuple[Check, ...]
    foreign_keys: tuple[ForeignKey, ...]
    indexes: tuple[str, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)
