"""A streaming standby of an embedded test server: ``pg_basebackup -R``, its own socket.

The standby is an :class:`EmbeddedServer` on its own root: its data directory is
filled by ``pg_basebackup -R -X stream`` (which writes ``standby.signal`` and
``primary_conninfo``) from the embedded binaries, and it starts like any
embedded server, listening on a socket in its own directory.
"""

from __future__ import annotations

from pathlib import Path

from console.db.embedded import SUPERUSER, EmbeddedServer


def make_standby(primary: EmbeddedServer, root: Path) -> EmbeddedServer:
    address = primary.address
    standby = EmbeddedServer(root)
    standby.root.mkdir(parents=True, exist_ok=True)
    standby.prepare_permissions()
    standby.run_tool(
        "pg_basebackup",
        [
            "-D",
            str(standby.pgdata),
            "-h",
            str(address.socket_dir),
            "-p",
            str(address.port),
            "-U",
            SUPERUSER,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        timeout=120,
    )
    standby.pgdata.chmod(0o700)
    standby.start()
    return standby
