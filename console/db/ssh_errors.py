"""Why ssh could not open the tunnel, in one line for the operator, from what it printed.

Kinds: tunnel-unreachable | tunnel-auth | tunnel-hostkey | tunnel-passphrase |
tunnel-client | tunnel.  Host keys that are unknown or changed are named with their
fingerprint and the command that accepts them; the console never accepts one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from console.db import askpass
from console.db.transport import SSHHop

if TYPE_CHECKING:
    from console.db.errors import TunnelKind
    from console.db.tunnel import SSHTunnel


class TunnelFailed(RuntimeError):
    """The tunnel could not be opened; ``str()`` is one line for the operator.

    ``kind``: tunnel-unreachable | tunnel-auth | tunnel-hostkey | tunnel-passphrase |
    tunnel-client | tunnel
    """

    def __init__(self, reason: str, kind: TunnelKind = "tunnel") -> None:
        super().__init__(reason)
        self.kind: TunnelKind = kind


_UNREACHABLE = (
    "could not resolve hostname",
    "connection refused",
    "connection timed out",
    "operation timed out",
    "no route to host",
    "network is unreachable",
    "connection reset",
    "connection closed by",
    "kex_exchange_identification",
)


def explain_ssh_failure(lines: list[str], tunnel: SSHTunnel, returncode: int) -> TunnelFailed:
    """One line (and a kind) for why ssh exited, from what it printed."""
    text = "\n".join(lines)
    low = text.lower()
    bastion = tunnel.bastion
    where = bastion.bare_host + (f":{bastion.port}" if bastion.port else "")
    login = f"ssh -p {bastion.port or 22} {bastion.destination()}"
    if "remote host identification has changed" in low:
        key_type = re.search(r"fingerprint for the (\S+) key sent", text)
        fingerprint = re.search(r"(SHA256:[A-Za-z0-9+/=]+)", text)
        shown = " ".join(filter(None, [key_type and key_type[1], fingerprint and fingerprint[1]]))
        return TunnelFailed(
            f"SSH tunnel refused: the host key of {where} CHANGED (now {shown or 'unknown'}); "
            "this can be an attack. If its admin confirms the new key, remove the old one with "
            f"'ssh-keygen -R {_known_hosts_name(bastion)}' and accept the new one with '{login}'",
            "tunnel-hostkey",
        )
    if "host key verification failed" in low or "host key is known" in low:
        # A jump host asks (its StrictHostKeyChecking is the user's): the helper said no,
        # and the question carried the host and fingerprint.
        asked = re.search(
            r"authenticity of host '([^' ]+)[^']*' can't be established\.\s*(\S+) key "
            r"fingerprint is (SHA256:[A-Za-z0-9+/=]+)",
            text,
        )
        named = re.search(r"host key is known for (\S+)", text)
        if asked:
            where, shown = asked[1], f"{asked[2]} {asked[3]}"
        else:
            offered = tunnel.probe_host_key()
            shown = f"{offered[0]} {offered[1]}" if offered else "fingerprint unavailable"
            where = named[1] if named else where
        login = _login_for(where, tunnel.hops) or login
        return TunnelFailed(
            f"SSH tunnel refused: the host key of {where} is not in known_hosts ({shown}); "
            f"if its admin confirms this fingerprint, accept it once with '{login}'",
            "tunnel-hostkey",
        )
    given = [line for line in lines if line.startswith(f"{askpass.MARKER} given")]
    if "incorrect passphrase" in low or (given and "permission denied" in low):
        return TunnelFailed(
            f"SSH tunnel: wrong passphrase for the SSH key {tunnel.key or ''}".rstrip()
            + ("" if "incorrect passphrase" in low else " (or the bastion refuses that key)"),
            "tunnel-passphrase",
        )
    unanswered = [
        line.split(" ", 2)[-1]
        for line in lines
        if line.startswith(f"{askpass.MARKER} refused") and "passphrase" in line.lower()
    ]
    if unanswered and "permission denied" in low:
        key = re.search(r"for key '([^']+)'", unanswered[0])
        return TunnelFailed(
            f"SSH tunnel: the SSH key {key[1] if key else ''} needs its passphrase".replace(
                "  ", " "
            ),
            "tunnel-passphrase",
        )

    if "permission denied" in low or "too many authentication failures" in low:
        return TunnelFailed(
            f"SSH tunnel: {bastion.destination()} at {where} refused the login (no accepted "
            "key: add it to ssh-agent or set the profile's ssh key)",
            "tunnel-auth",
        )
    if any(marker in low for marker in _UNREACHABLE):
        detail = next((ln for ln in lines if any(m in ln.lower() for m in _UNREACHABLE)), "")
        return TunnelFailed(
            f"SSH tunnel: the bastion {where} cannot be reached ({_short(detail)})",
            "tunnel-unreachable",
        )
    if "address already in use" in low or "cannot listen" in low or "bind" in low:
        return TunnelFailed(
            f"SSH tunnel: local port {tunnel.local_port} is taken ({_short(text)})", "tunnel"
        )
    last = next((ln for ln in reversed(lines) if not ln.startswith(askpass.MARKER)), "")
    return TunnelFailed(
        f"SSH tunnel via {where} failed: {_short(last) or f'ssh exited with {returncode}'}",
        "tunnel",
    )


def _login_for(known_name: str, hops: list[SSHHop]) -> str | None:
    """The ``ssh`` command that accepts the key of the hop ssh named (``[host]:port``)."""
    for hop in hops:
        if _known_hosts_name(hop) == known_name or hop.bare_host == known_name:
            return f"ssh -p {hop.port or 22} {hop.destination()}"
    return None


def _known_hosts_name(hop: SSHHop) -> str:
    host = hop.bare_host
    return f"[{host}]:{hop.port}" if hop.port and hop.port != 22 else host


def _short(line: str) -> str:
    line = line.strip().splitlines()[0] if line.strip() else ""
    line = re.sub(r"^ssh: ", "", line)
    return line[:160]
