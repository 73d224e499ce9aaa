"""The single-instance socket itself: requests answered from the event loop, a live
console keeping its socket, a crashed one's socket taken over, oversized or broken
requests dropped, and a socket directory that is not the user's own refused.  Both
backends run here: Python's Unix socket (Linux, macOS) and QLocalServer (Windows)."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from typing import Any

import pytest

from console.ui import single_instance
from console.ui.single_instance import InstanceServer, send, socket_path


@pytest.fixture(params=["unix", "qt"])
def backend(request, monkeypatch, tmp_path) -> str:
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(single_instance, "UNIX_SOCKETS", request.param == "unix")
    return str(request.param)


LATER_CONSOLE = (
    "import json, sys\n"
    "from PySide6.QtCore import QCoreApplication\n"
    "from console.ui import single_instance\n"
    "single_instance.UNIX_SOCKETS = sys.argv[1] == 'unix'\n"
    "if sys.argv[2] == 'listen':\n"
    "    app = QCoreApplication([])\n"
    "    server = single_instance.InstanceServer(lambda req: {'ok': True})\n"
    "    print(json.dumps(server.listen()))\n"
    "    server.close()\n"
    "else:\n"
    "    print(json.dumps(single_instance.send(json.loads(sys.argv[3]), int(sys.argv[4]))))\n"
)


def later_console(qtbot, *args: str) -> Any:
    """What a later console (another process) gets; this one keeps answering meanwhile."""
    kind = "unix" if single_instance.UNIX_SOCKETS else "qt"
    proc = subprocess.Popen(
        [sys.executable, "-c", LATER_CONSOLE, kind, *args], stdout=subprocess.PIPE, text=True
    )
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=40_000)
    return json.loads(proc.communicate()[0])


def send_from_another_process(qtbot, request: dict[str, Any], timeout_ms: int = 5000) -> Any:
    return later_console(qtbot, "send", json.dumps(request), str(timeout_ms))


def serve(qtbot, answers: list[dict[str, Any]]) -> InstanceServer:
    def handler(req: dict[str, Any]) -> dict[str, Any]:
        answers.append(req)
        if req.get("boom"):
            raise RuntimeError("handler failed")
        return {"ok": True, "echo": req}

    server = InstanceServer(handler)
    assert server.listen()
    return server


def test_requests_are_answered_and_a_live_console_keeps_its_socket(qtbot, backend) -> None:
    seen: list[dict[str, Any]] = []
    server = serve(qtbot, seen)
    try:
        answer = send_from_another_process(qtbot, {"open": "autopr://x"})
        assert answer == {"ok": True, "echo": {"open": "autopr://x"}}
        assert seen == [{"open": "autopr://x"}]
        assert send_from_another_process(qtbot, {"ping": True}) == {"ok": True}
        assert seen == [{"open": "autopr://x"}]  # a ping never reaches the window
        # A second console finds the first alive: it does not take the socket.
        assert later_console(qtbot, "listen") is False
        assert send_from_another_process(qtbot, {"n": 2}) == {"ok": True, "echo": {"n": 2}}
    finally:
        server.close()
    assert send({"ping": True}, 500) is None  # closed: nobody answers


@pytest.mark.expects_log_warnings(r"console\.ui\.single_instance: single instance request failed")
def test_a_failing_handler_and_a_broken_request_get_an_answer(qtbot, backend) -> None:
    server = serve(qtbot, [])
    try:
        answer = send_from_another_process(qtbot, {"boom": True})
        assert answer == {"ok": False, "message": "handler failed"}
        assert server.answer_line(b"not json") == b'{"ok": false, "message": "not a request"}\n'
        assert server.answer_line(b"[1, 2]") == b'{"ok": true, "echo": {}}\n'
    finally:
        server.close()


def test_a_crashed_consoles_socket_is_taken_over(qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(tmp_path / "home"))
    path = socket_path()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # bound, never listening, then gone: what a crash leaves
    stale.close()
    assert path.exists()
    server = serve(qtbot, [])
    try:
        assert send_from_another_process(qtbot, {"n": 1}) == {"ok": True, "echo": {"n": 1}}
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    finally:
        server.close()
    assert not path.exists()  # a closed console removes its socket


def test_an_oversized_request_is_dropped_without_an_answer(qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(tmp_path / "home"))
    seen: list[dict[str, Any]] = []
    server = serve(qtbot, seen)
    got: list[bytes] = []

    def flood() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(socket_path()))
            try:
                sock.sendall(b"x" * (single_instance.MAX_REQUEST + 70_000))
                got.append(sock.recv(100))  # b"": the console hung up
            except TimeoutError:
                got.append(b"no hang-up")
            except OSError:  # reset while sending: hung up too
                got.append(b"")

    try:
        worker = threading.Thread(target=flood)
        worker.start()
        qtbot.waitUntil(lambda: not worker.is_alive(), timeout=15_000)
        assert got == [b""] and seen == []
        assert send_from_another_process(qtbot, {"n": 3}) == {
            "ok": True,
            "echo": {"n": 3},
        }  # still serves
    finally:
        server.close()


@pytest.mark.expects_log_warnings(r"single instance socket: .* not a private directory")
def test_a_socket_directory_open_to_others_is_refused(qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    shared = tmp_path / f"autopr-console-{os.getuid()}"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    server = InstanceServer(lambda req: {"ok": True})
    assert not server.listen()
    assert not list(shared.iterdir())  # nothing was put there
    assert send({"ping": True}, 500) is None
