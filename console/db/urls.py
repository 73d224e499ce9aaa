"""Normalising and redacting database URLs."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DRIVER = "postgresql+psycopg"


class BadURLError(ValueError):
    """A database URL that cannot be used; the message is safe to show."""


def normalize_url(raw: str | URL) -> URL:
    """Parse ``raw`` and force the psycopg 3 driver (``postgres://`` and ``postgresql://`` too)."""
    try:
        url = make_url(raw) if isinstance(raw, str) else raw
    except ArgumentError as exc:
        raise BadURLError(f"not a database URL: {redact(str(raw))}") from exc
    except ValueError as exc:  # a port that is not a number, e.g. libpq's h1:5432,h2:5432
        raise BadURLError(
            f"not a database URL this console reads: {redact(str(raw))} ({exc}); give several "
            "hosts as ?host=h1,h2&port=5432,5432"
        ) from exc
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise BadURLError(f"only PostgreSQL URLs are supported, not {url.get_backend_name()!r}")
    return url.set(drivername=DRIVER)


def redact(url: str | URL) -> str:
    """The URL as text with any password (``:pw@``, ``?password=``) replaced by ``***``."""
    from console.secret_policy import redact_url

    if isinstance(url, URL):
        return redact_url(url.render_as_string(hide_password=True))
    try:
        return redact_url(make_url(url).render_as_string(hide_password=True))
    except Exception:
        return redact_url(url)  # not parseable: the policy's text rules still apply


def libpq_conninfo(url: URL) -> str:
    """A libpq conninfo string equivalent to ``url`` (for raw psycopg connections)."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, str | int] = {}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = url.port
    if url.username:
        params["user"] = url.username
    if url.password:
        params["password"] = url.password
    if url.database:
        params["dbname"] = url.database
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    return make_conninfo("", **params)
