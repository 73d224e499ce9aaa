"""Which environment a database is: declared by the operator, else assumed on the strict side.

A named profile declares its environment (``profile add --environment``, or a
name that is exactly ``local``/``dev``/``staging``/``prod``).  An ad-hoc URL
(``--url``, ``DATABASE_URL``) is declared with the global ``--environment``
option or ``AUTOPR_ENVIRONMENT``.  Anything undeclared is assumed to be the
stricter choice: a server that is not on this machine is prod, and so is a
profile whose environment is missing from ``profiles.toml``.  Only a server on
this machine (a unix socket, ``localhost``, 127.0.0.0/8, ``::1``) may be
assumed writable, and then only when its database name does not look like
production.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module before the data layer (a cheap --version)
    from sqlalchemy.engine import URL

ENVIRONMENTS = ("local", "dev", "staging", "prod")
ENV_VAR = "AUTOPR_ENVIRONMENT"
ASSUMED_NOTE = "assumed: environment not declared"

# prod, production, prd, live: anywhere in the name, any case.
_PROD_WORDS = re.compile(r"prod|prd|live", re.IGNORECASE)


class EnvironmentDeclarationError(ValueError):
    """A declared environment that is not one of :data:`ENVIRONMENTS`; safe to show."""


def looks_like_prod(name: str | None) -> bool:
    """True when ``name`` contains prod, production, prd or live (any case)."""
    return bool(name and _PROD_WORDS.search(name))


def checked_environment(value: str, source: str) -> str:
    """``value`` when it is a known environment, else a one-line refusal naming ``source``."""
    if value not in ENVIRONMENTS:
        raise EnvironmentDeclarationError(
            f"{source} must be one of {', '.join(ENVIRONMENTS)} (got {value!r:.40})"
        )
    return value


def declared_environment(explicit: str | None = None) -> str | None:
    """The environment declared for an ad-hoc URL: ``--environment``, then the variable."""
    if explicit:
        return checked_environment(explicit, "--environment")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return checked_environment(from_env, ENV_VAR)
    return None


def is_this_machine(host: str) -> bool:
    """A unix socket directory, ``localhost``, 127.0.0.0/8 or ``::1``."""
    host = host.strip()
    if host.startswith(("/", "@")):  # socket directory; '@' is Linux's abstract namespace
        return True
    bare = host.strip("[]").lower()
    if bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def _values(raw: object) -> list[str]:
    """The comma-separated entries of a libpq host list (``h1,h2`` or a repeated key)."""
    items = raw if isinstance(raw, tuple | list) else [raw]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        out.extend(part for part in str(item).split(",") if part.strip())
    return out


def url_hosts(url: URL) -> list[str] | None:
    """Every host (and hostaddr) the URL may reach; None when that cannot be known here.

    ``hostaddr`` may point elsewhere than ``host`` (libpq connects to the address
    and uses the name for TLS and .pgpass): both must be on this machine.  A
    service file names its own hosts, so a service URL is never judged local.
    """
    if "service" in url.query or os.environ.get("PGSERVICE"):
        return None
    # libpq takes each of host and hostaddr from PGHOST/PGHOSTADDR when the URL lacks it
    # (a URL naming localhost still connects to PGHOSTADDR), then the default socket.
    hosts = _values(url.host) + _values(url.query.get("host"))
    if not hosts:
        hosts = _values(os.environ.get("PGHOST"))
    addrs = _values(url.query.get("hostaddr")) or _values(os.environ.get("PGHOSTADDR"))
    if not hosts and not addrs:
        return ["/"]  # libpq's default socket directory
    return hosts + addrs


def _database_name(url: URL) -> str:
    """The database libpq will open: the URL's, else PGDATABASE, else the user's name
    (the URL's, else PGUSER), as libpq defaults it."""
    return (
        url.database
        or os.environ.get("PGDATABASE")
        or url.username
        or os.environ.get("PGUSER")
        or ""
    )


def assumed_for_url(url: URL) -> str:
    """The environment an undeclared URL is taken to be."""
    hosts = url_hosts(url)
    if hosts is None or not all(is_this_machine(h) for h in hosts):
        return "prod"
    db = _database_name(url)
    if looks_like_prod(db):
        return "prod"
    if "staging" in db.lower():
        return "staging"
    return "dev"


def label(environment: str, assumed: bool) -> str:
    """``prod`` or ``prod (assumed: environment not declared)``."""
    return f"{environment} ({ASSUMED_NOTE})" if assumed else environment
