"""One console per user: a local socket through which ``open LINK`` reaches the running one.

The first console listens on a per-user socket (named after the user and the config
directory, so separate homes, as in tests, stay apart).  A later
``autopr-console open LINK`` connects, sends one JSON line and reads one JSON line
back; when nobody answers it starts a console itself.

Requests: ``{"open": LINK}`` (open it, raise the window), ``{"raise": true}``,
``{"state": true}`` (what the window shows: profile, page, selected rows, write
lock; used by tests and for diagnosis, never carries row contents).

Where the platform has Unix sockets the socket is Python's own, watched by a
:class:`QSocketNotifier`, in a directory only this user may enter: QtNetwork would
cost 2.8 MiB of every console's memory for this one socket.  Elsewhere (Windows) a
:class:`QLocalServer` serves, imported only there.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import json
import logging
import os
import socket
import stat
import tempfile
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier

from console import APP_ID, paths

log = logging.getLogger(__name__)
MAX_REQUEST = 64 * 1024
TIMEOUT_MS = 3000
UNIX_SOCKETS = hasattr(socket, "AF_UNIX")
Handler = Callable[[dict[str, Any]], dict[str, Any]]


def _user() -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "user"
    return "".join(c for c in user if c.isalnum())[:20] or "user"


def _home_digest() -> str:
    # (not a secret, only a short name per config directory; zlib keeps hashlib's
    # libcrypto off the start-up path)
    return f"{zlib.crc32(str(paths.config_dir()).encode()):08x}"


def server_name() -> str:
    """The name of this user's console (one per config directory)."""
    return f"{APP_ID}-{_user()}-{_home_digest()}"


class SocketDirError(OSError):
    """The socket directory exists but is not this user's private directory."""


def socket_path() -> Path:
    """The Unix socket of this user's console: in a directory only the user may enter.

    The directory is made with mode 0700 and checked before every use (owner, mode,
    not a symlink), so that another user on the machine can neither read the
    window's state nor plant a socket of their own there.
    """
    root = Path(tempfile.gettempdir()) / f"{APP_ID}-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700)
    info = os.lstat(root)
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or stat.S_IMODE(info.st_mode) & 0o077
    ):
        raise SocketDirError(f"{root} is not a private directory of this user")
    return root / f"{_home_digest()}.sock"


def send(request: dict[str, Any], timeout_ms: int = TIMEOUT_MS) -> dict[str, Any] | None:
    """Send ``request`` to the running console; its answer, or None when none runs."""
    if not UNIX_SOCKETS:
        return _qt_send(request, timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_ms / 1000)
            sock.connect(str(socket_path()))
            sock.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    return None
                data += chunk
        answer = json.loads(data.decode())
    except (OSError, ValueError):  # none listens, it went away, or it timed out
        return None
    return answer if isinstance(answer, dict) else None


class InstanceServer(QObject):
    """Listens for the requests of later consoles; ``handler`` answers each."""

    def __init__(self, handler: Handler, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handler = handler
        self.listening = False
        self._backend: _UnixListener | _QtListener = (
            _UnixListener(self) if UNIX_SOCKETS else _QtListener(self)
        )

    def listen(self) -> bool:
        """Take the socket; False when another live console has it."""
        self.listening = self._backend.listen()
        return self.listening

    def close(self) -> None:
        if self.listening:
            self._backend.close()
            self.listening = False

    def answer_line(self, line: bytes) -> bytes:
        """The answer (one JSON line) to one request line."""
        try:
            req = json.loads(line.decode())
            answer = self._answer(req if isinstance(req, dict) else {})
        except ValueError:
            answer = {"ok": False, "message": "not a request"}
        return json.dumps(answer, default=str).encode() + b"\n"

    def _answer(self, req: dict[str, Any]) -> dict[str, Any]:
        if req.get("ping"):
            return {"ok": True}
        try:
            return self.handler(req)
        except Exception as exc:
            log.exception("single instance request failed")
            return {"ok": False, "message": str(exc)}


class _UnixListener(QObject):
    """A listening Unix socket served from the event loop (one short request a client)."""

    def __init__(self, owner: InstanceServer) -> None:
        super().__init__(owner)
        self._owner = owner
        self._sock: socket.socket | None = None
        self._path: Path | None = None
        self._accept_notifier: QSocketNotifier | None = None
        self._clients: dict[int, tuple[socket.socket, QSocketNotifier, bytearray]] = {}

    def listen(self) -> bool:
        try:
            path = socket_path()
        except OSError as exc:
            log.warning("single instance socket: %s", exc)
            return False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                sock.bind(str(path))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                if send({"ping": True}, 500) is not None:
                    sock.close()
                    return False  # a live console answers: it keeps the socket
                path.unlink(missing_ok=True)  # the socket of a console that crashed
                sock.bind(str(path))
            sock.listen(8)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            log.warning("single instance socket %s: %s", path, exc)
            return False
        self._sock, self._path = sock, path
        notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._accept)
        self._accept_notifier = notifier
        return True

    def close(self) -> None:
        for fd in list(self._clients):
            self._drop(fd)
        if self._accept_notifier is not None:
            self._accept_notifier.setEnabled(False)
            self._accept_notifier.deleteLater()
            self._accept_notifier = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None

    def _accept(self, *_activation: object) -> None:
        while self._sock is not None:
            try:
                client, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("single instance socket: %s", exc)
                return
            client.setblocking(False)
            notifier = QSocketNotifier(client.fileno(), QSocketNotifier.Type.Read, self)
            fd = client.fileno()
            self._clients[fd] = (client, notifier, bytearray())
            notifier.activated.connect(partial(self._read, fd))

    def _read(self, fd: int, *_activation: object) -> None:
        if fd not in self._clients:  # dropped while its activation was queued
            return
        client, _notifier, buffer = self._clients[fd]
        try:
            while True:
                chunk = client.recv(65536)
                if not chunk:  # the client went away before a whole line
                    self._drop(fd)
                    return
                buffer.extend(chunk)
                if len(buffer) > MAX_REQUEST:
                    self._drop(fd)
                    return
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._drop(fd)
            return
        if b"\n" not in buffer:
            return
        answer = self._owner.answer_line(bytes(buffer).split(b"\n", 1)[0])
        try:
            client.settimeout(TIMEOUT_MS / 1000)  # a short answer to a waiting client
            client.sendall(answer)
        except OSError as exc:
            log.info("single instance answer not delivered: %s", exc)
        self._drop(fd)

    def _drop(self, fd: int) -> None:
        client, notifier, _buffer = self._clients.pop(fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        client.close()


class _QtListener(QObject):
    """The same served by QLocalServer, where Python has no Unix sockets."""

    def __init__(self, owner: InstanceServer) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(owner)
        self._owner = owner
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        from PySide6.QtNetwork import QLocalServer

        # Asked first: QLocalServer with access options replaces an existing socket
        # file, so listening first would take a live console's name.
        if _qt_send({"ping": True}, 500) is not None:
            return False
        name = server_name()
        QLocalServer.removeServer(name)  # a stale socket of a console that crashed
        if self.server.listen(name):
            return True
        log.warning("single instance socket %s: %s", name, self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            buffer = bytearray()

            def read(sock: Any = sock, buffer: bytearray = buffer) -> None:
                buffer.extend(sock.readAll().data())
                if len(buffer) > MAX_REQUEST:
                    sock.abort()
                    return
                if b"\n" not in buffer:
                    return
                sock.write(self._owner.answer_line(bytes(buffer).split(b"\n", 1)[0]))
                sock.flush()
                sock.disconnectFromServer()

            sock.readyRead.connect(read)
            sock.disconnected.connect(sock.deleteLater)


def _qt_send(request: dict[str, Any], timeout_ms: int) -> dict[str, Any] | None:
    from PySide6.QtNetwork import QLocalSocket

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
