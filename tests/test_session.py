"""The window's connection lifecycle on its own (no window): connect, ping, detach."""

from __future__ import annotations

from console.profiles import profile_from_url
from console.ui.session import ConnectionSession
from console.ui.tasks import TaskRunner


def test_session_connects_pings_and_detaches(qtbot, db_url: str) -> None:
    runner = TaskRunner()
    session = ConnectionSession(runner)
    states: list[str] = []
    session.state_changed.connect(states.append)
    try:
        with qtbot.waitSignal(session.connected, timeout=60_000) as connected:
            session.connect_profile(profile_from_url(db_url))
        db = connected.args[0]
        assert session.db is db and session.state == "connected"
        assert states == ["connecting", "connected"]
        assert session.guard is not None and not session.may_unlock()
        assert session.ping_timer.isActive()

        session.check_connection()
        qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=30_000)
        assert session.connection_lost is None and session.retry_ms == 0

        with qtbot.waitSignal(session.detached, timeout=5_000):
            session.detach()
        assert session.db is None and not session.ping_timer.isActive()
    finally:
        session.stop()
        db = session.release()
        if db is not None:
            db.close()
        session.connector.wait_closed()
        runner.wait_idle()
