"""How a profile reaches its server: the SSH hops and the TLS files, parsed and checked.

Kept apart from :mod:`console.profiles` so that the profile stays a plain record:
this module reads its ``ssh*`` and ``ssl*`` fields and says whether they make sense.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.profiles import Profile

# user@host:port, user@[v6::addr]:port, host, or an alias of ~/.ssh/config
_HOP_RE = re.compile(
    r"^(?:(?P<user>[^@\s,]+)@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^@\s,:\[\]]+)(?::(?P<port>\d{1,5}))?$"
)
TLS_FILE_KEYS = ("sslrootcert", "sslcert", "sslkey")
VERIFYING_SSLMODES = ("verify-ca", "verify-full")


class TransportError(ValueError):
    """An ``ssh`` or ``ssl*`` setting that cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class SSHHop:
    """One SSH host on the way to the database."""

    host: str
    user: str | None = None
    port: int | None = None

    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host

    def jump_form(self) -> str:
        """The ``-J`` spelling: ``user@host:port``."""
        return self.destination() + (f":{self.port}" if self.port else "")

    @property
    def bare_host(self) -> str:
        return self.host.strip("[]")


def parse_ssh(spec: str) -> list[SSHHop]:
    """``"user@bastion:22"`` or a jump chain ``"user@outer:22,user@bastion"`` (last = bastion)."""
    hops: list[SSHHop] = []
    for part in (p.strip() for p in spec.split(",")):
        match = _HOP_RE.match(part)
        if not match:
            raise TransportError(
                f"ssh must be user@host[:port] (a chain: user@jump,user@bastion), not {part!r:.60}"
            )
        if part.startswith("-") or match["host"].startswith("-"):
            raise TransportError(f"ssh hosts and users cannot start with '-' ({part!r:.60})")
        port = int(match["port"]) if match["port"] else None
        if port is not None and not 1 <= port <= 65535:
            raise TransportError(f"ssh port must be 1..65535, not {port}")
        hops.append(SSHHop(match["host"], match["user"], port))
    return hops


def check_transport(profile: Profile) -> None:
    """Refuse SSH/TLS settings that cannot work, with a one-line reason."""
    name = profile.name
    if profile.ssh:
        if profile.embedded:
            raise TransportError(f"profile {name!r}: an embedded server is never reached over ssh")
        if profile.service and not profile.host:
            raise TransportError(
                f"profile {name!r}: with ssh, give host (as seen from the bastion), not only a "
                "service"
            )
        try:
            parse_ssh(profile.ssh)
        except TransportError as exc:
            raise TransportError(f"profile {name!r}: {exc}") from exc
        if getattr(profile, "replica_service", None):
            # Each replica gets its own forward through the bastion, to a host:port the
            # bastion reaches; a service names them only in a local pg_service.conf.
            raise TransportError(
                f"profile {name!r}: with ssh, give each replica as replica_url (host as seen "
                "from the bastion), not replica_service"
            )
        for text_url in getattr(profile, "replica_urls", []):
            if text_url.startswith("postgres") and "host=/" in text_url:
                raise TransportError(
                    f"profile {name!r}: with ssh, a replica_url needs a host the bastion "
                    "reaches, not a socket directory"
                )
    elif profile.ssh_key or profile.ssh_config:
        raise TransportError(f"profile {name!r}: ssh_key and ssh_config need ssh = user@host")
    if profile.sslkey and not profile.sslcert:
        raise TransportError(f"profile {name!r}: sslkey needs sslcert (the client certificate)")
    if profile.sslmode in (None, "disable", "allow") and any(
        getattr(profile, key) for key in TLS_FILE_KEYS
    ):
        raise TransportError(
            f"profile {name!r}: certificate files need sslmode require, verify-ca or verify-full"
        )


def tls_query(profile: Profile) -> dict[str, str]:
    """The libpq TLS parameters a profile adds to its URL."""
    return {
        key: os.path.expanduser(str(getattr(profile, key)))
        for key in TLS_FILE_KEYS
        if getattr(profile, key)
    }


def prod_tls_warning(profile: Profile, sslmode: str | None) -> str | None:
    """The warning a prod profile without server-name verification gets, else None."""
    if not profile.is_prod or profile.embedded or sslmode == "verify-full":
        return None
    shown = sslmode or "prefer (the default)"
    return f"prod without sslmode=verify-full (it is {shown}): the server's identity is not checked"
