"""One console per user: a local socket through which ``open LINK`` reaches the running one.

The first console listens on a per-user :class:`QLocalServer` name (derived from the
user and the config directory, so separate homes, as in tests, stay apart).  A
later ``autopr-console open LINK`` connects, sends one JSON line and reads one
JSON line back; when nobody answers it starts a console itself.

Requests: ``{"open": LINK}`` (open it, raise the window), ``{"raise": true}``,
``{"state": true}`` (what the window shows: profile, page, selected rows, write
lock; used by tests and for diagnosis, never carries row contents).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from console import APP_ID, paths

log = logging.getLogger(__name__)
MAX_REQUEST = 64 * 1024
TIMEOUT_MS = 3000


def server_name() -> str:
    """The socket name of this user's console (one per config directory)."""
    try:
        user = getpass.getuser()
    except Exception:
        user = "user"
    digest = hashlib.sha1(str(paths.config_dir()).encode()).hexdigest()[:10]
    safe = "".join(c for c in user if c.isalnum())[:20] or "user"
    return f"{APP_ID}-{safe}-{digest}"


def send(request: dict[str, Any], timeout_ms: int = TIMEOUT_MS) -> dict[str, Any] | None:
    """Send ``request`` to the running console; its answer, or None when none runs."""
    sock = QLocalSocket()
    sock.connectToServer(server_name())
    if not sock.waitForConnected(timeout_ms):
        return None
    try:
        sock.write(json.dumps(request).encode() + b"\n")
        sock.flush()
        sock.waitForBytesWritten(timeout_ms)
        data = b""
        while not data.endswith(b"\n"):
            if not sock.waitForReadyRead(timeout_ms):
                return None
            data += sock.readAll().data()
        answer = json.loads(data.decode())
        return answer if isinstance(answer, dict) else None
    except (ValueError, OSError):
        return None
    finally:
        sock.disconnectFromServer()


class InstanceServer(QObject):
    """Listens for the requests of later consoles; ``handler`` answers each."""

    request = Signal(dict)

    def __init__(
        self, handler: Callable[[dict[str, Any]], dict[str, Any]], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.handler = handler
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)
        self.listening = False

    def listen(self) -> bool:
        """Take the name; False when another live console has it."""
        name = server_name()
        if self.server.listen(name):
            self.listening = True
            return True
        if send({"ping": True}, 500) is not None:
            return False  # a live console answers: it keeps the name
        QLocalServer.removeServer(name)  # a stale socket of a console that crashed
        self.listening = self.server.listen(name)
        if not self.listening:
            log.warning("single instance socket %s: %s", name, self.server.errorString())
        return self.listening

    def close(self) -> None:
        if self.listening:
            self.server.close()
            self.listening = False

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            buffer = bytearray()

            def read(sock: QLocalSocket = sock, buffer: bytearray = buffer) -> None:
                buffer.extend(sock.readAll().data())
                if len(buffer) > MAX_REQUEST:
                    sock.abort()
                    return
                if b"\n" not in buffer:
                    return
                line = bytes(buffer).split(b"\n", 1)[0]
                try:
                    req = json.loads(line.decode())
                    answer = self._answer(req if isinstance(req, dict) else {})
                except ValueError:
                    answer = {"ok": False, "message": "not a request"}
                sock.write(json.dumps(answer, default=str).encode() + b"\n")
                sock.flush()
                sock.disconnectFromServer()

            sock.readyRead.connect(read)
            sock.disconnected.connect(sock.deleteLater)

    def _answer(self, req: dict[str, Any]) -> dict[str, Any]:
        if req.get("ping"):
            return {"ok": True}
        try:
            return self.handler(req)
        except Exception as exc:
            log.exception("single instance request failed")
            return {"ok": False, "message": str(exc)}
