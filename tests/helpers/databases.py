"""Scratch databases on the test server: connect as admin, create (from a template), drop."""

from __future__ import annotations

import psycopg
from psycopg import sql

from console.db.embedded import ServerAddress


def admin_connect(address: ServerAddress) -> psycopg.Connection:
    return psycopg.connect(address.conninfo("postgres"), autocommit=True)


def create_database(address: ServerAddress, name: str, template: str | None = None) -> None:
    with admin_connect(address) as conn:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(stmt)


def drop_database(address: ServerAddress, name: str) -> None:
    with admin_connect(address) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
