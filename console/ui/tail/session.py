"""Runs a ``TailEngine`` on its own thread and hands its lines to the GUI thread in frames.

The engine thread turns lines into display rows (``make_row``) and appends them
to an inbox; a ~60 Hz timer on the GUI thread takes what is there (at most
``MAX_PER_FRAME``, the rest next frame) and emits ``rows`` with it, so the model
sees one insert per frame however fast the lines arrive.  State changes and the
end cross over by queued signals.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from console.tail.engine import Finished, TailEngine, TailError, TailOptions, TailState
from console.tail.lines import TailLine
from console.ui.tail.model import PackedRow, make_row

FRAME_MS = 16
MAX_PER_FRAME = 2000  # bounds one frame's work when the tail catches up on a backlog


class _Relay(QObject):
    """Carries the engine thread's news to the GUI thread.

    The engine thread emits on this object, never on the session: the session may be
    deleted on the GUI thread at any moment, and emitting on an object while it is being
    destroyed crashes the process.  The relay has no Qt parent (the session holds it from
    Python, so it outlives the session while the thread runs), and Qt drops its
    connections to a deleted session, so late news reaches nothing.
    """

    state = Signal(object)  # TailState
    finished = Signal(object)  # Finished
    failed = Signal(str)


class TailSession(QObject):
    """One follow: start once, stop once (stopping never blocks the GUI thread)."""

    rows = Signal(list)  # list[PackedRow], on the GUI thread, at most once per frame
    state_changed = Signal(object)  # TailState
    finished = Signal(object)  # Finished
    failed = Signal(str)

    def __init__(
        self, conninfo: str, options: TailOptions, listen_allowed: bool = True, parent=None
    ) -> None:
        super().__init__(parent)
        options = replace(options, application_name="autopr-console-tail")
        self.engine = TailEngine(
            conninfo, options, self._on_lines, self._on_state, listen_allowed=listen_allowed
        )
        self._lock = threading.Lock()
        self._inbox: list[PackedRow] = []
        self._thread = threading.Thread(target=self._run, name="autopr-tail", daemon=True)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.flush)
        self._news = _Relay()
        self._news.state.connect(self.state_changed)
        self._news.finished.connect(self._on_finished_gui)
        self._news.failed.connect(self.failed)
        self._done = threading.Event()
        # Deleted with its page while the thread still runs: stop it, and emit nothing more.
        # (A plain function: Qt does not call a slot of the object being destroyed.)
        self.destroyed.connect(functools.partial(_deleted, self.engine, self._done))

    # -------------------------------------------------------------- control
    def start(self) -> None:
        self._timer.start()
        self._thread.start()

    def stop(self) -> None:
        """Ask the engine to stop; it closes its own connection on its thread.

        The lines received and not yet shown are let go now, and lines the engine still
        delivers are dropped unpacked: a session stopped while it reads up to 100,000
        lines of history (a reconnect, another execution followed) must not hold them
        while the next session fills the window again.
        """
        self.engine.stop()
        self._timer.stop()
        self._done.set()
        with self._lock:
            self._inbox = []

    def _relay(self, signal_name: str, value: object) -> None:
        """Emit from the engine thread (on the relay) unless the session is stopped or
        deleted; only Python attributes of the session are read here."""
        if self._done.is_set():
            return
        getattr(self._news, signal_name).emit(value)

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float = 10.0) -> bool:
        """Tests and shutdown only: wait for the engine thread."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def flush(self, limit: int | None = MAX_PER_FRAME) -> None:
        """Hand the rows received so far (up to ``limit``) to the GUI (the frame timer)."""
        with self._lock:
            if limit is None or len(self._inbox) <= limit:
                batch, self._inbox = self._inbox, []
            else:
                batch, self._inbox = self._inbox[:limit], self._inbox[limit:]
        if batch and not self._done.is_set():
            self.rows.emit(batch)

    def backlog(self) -> int:
        """Rows received but not yet handed to the GUI."""
        with self._lock:
            return len(self._inbox)

    # ---------------------------------------------------------- engine thread
    def _run(self) -> None:
        try:
            result = self.engine.run()
        except TailError as exc:
            self._relay("failed", str(exc))
            return
        except Exception as exc:  # the window must show a line, never a trace
            from console.db.errors import first_line

            self._relay("failed", f"the tail stopped: {first_line(exc)}")
            return
        if result is not None:
            self._relay("finished", result)

    def _on_lines(self, lines: list[TailLine]) -> None:
        if self._done.is_set():
            return
        made = [make_row(line) for line in lines]
        with self._lock:
            if not self._done.is_set():
                self._inbox.extend(made)

    def _on_state(self, state: TailState) -> None:
        self._relay("state", state)

    def _on_finished_gui(self, result: Finished) -> None:
        self.flush(None)  # every line first, then the banner
        self._timer.stop()
        self.finished.emit(result)


def _deleted(engine: TailEngine, done: threading.Event, *_args) -> None:
    done.set()
    engine.stop()
