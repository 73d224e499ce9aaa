"""Where a secret must never be: any file the console wrote, and what a terminal showed."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def files_holding(secret: str, *dirs: Path) -> list[Path]:
    """Every file under ``dirs`` (recursively) whose bytes contain ``secret``."""
    needle = secret.encode()
    found = []
    for top in dirs:
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                path = Path(dirpath) / name
                try:
                    if needle in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue
    return found


@dataclass
class TerminalRun:
    exit_code: int
    text: str
    unanswered: list[bytes]  # the prompts expected but never seen


def run_on_a_terminal(
    argv: list[str],
    answers: list[tuple[bytes, str]] | None = None,
    *,
    refuse: bytes | None = None,
    timeout: float = 120,
) -> TerminalRun:
    """Run ``python argv`` from the project root with a pseudo-terminal as its controlling tty.

    ``answers``: (prompt, reply) pairs, each prompt answered once, in order.  ``refuse``: a
    prompt that must not come; the child is killed when it does (the run then fails)."""
    import pty
    import select
    import time

    pending = list(answers or [])
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, *argv])
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if refuse is not None and refuse in output:
                os.kill(pid, signal.SIGKILL)
                break
            if pending and pending[0][0] in output:
                os.write(fd, pending.pop(0)[1].encode() + b"\n")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return TerminalRun(
        os.waitstatus_to_exitcode(status),
        output.decode("utf-8", "replace"),
        [prompt for prompt, _ in pending],
    )
