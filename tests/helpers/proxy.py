"""A small TCP proxy to the test server that can cut a session right after it forwards COMMIT.

The server commits, the client never hears back: the "lost while committing"
case an operator can meet on a flaky network.  Only the next COMMIT after
:meth:`CommitCutter.arm` is cut; other sessions pass through (so the outcome
can be checked afterwards through the same proxy).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path


class _Session:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        self.frozen = threading.Event()  # drop the server's answers from now on

    def close(self) -> None:
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class CommitCutter:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = str(socket_path)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self._armed = threading.Event()
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self) -> None:
        self.cut.clear()
        self._armed.set()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.socket_path)
            session = _Session(client, server)
            threading.Thread(target=self._upstream, args=(session,), daemon=True).start()
            threading.Thread(target=self._downstream, args=(session,), daemon=True).start()

    def _upstream(self, s: _Session) -> None:
        try:
            while chunk := s.client.recv(65536):
                commit = chunk[:1] == b"Q" and b"COMMIT" in chunk.upper()
                if commit and self._armed.is_set():
                    self._armed.clear()
                    s.frozen.set()
                    s.server.sendall(chunk)
                    time.sleep(0.3)  # the server commits; its answer is dropped
                    self.cut.set()
                    break
                s.server.sendall(chunk)
        except OSError:
            pass
        s.close()

    def _downstream(self, s: _Session) -> None:
        try:
            while chunk := s.server.recv(65536):
                if s.frozen.is_set():
                    continue
                s.client.sendall(chunk)
        except OSError:
            pass
