import threading
import time

from console.ui.tasks import TaskRunner


def test_results_arrive_on_gui_thread(qtbot):
    runner = TaskRunner()
    seen = []
    main = threading.get_ident()

    def work():
        return threading.get_ident()

    runner.submit(work, lambda tid: seen.append((tid, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    worker_tid, delivered_tid = seen[0]
    assert worker_tid != main and delivered_tid == main


def test_stale_answers_under_same_key_are_dropped(qtbot):
    runner = TaskRunner()
    got = []
    runner.submit(lambda: (time.sleep(0.3), "old")[1], got.append, key="filter")
    runner.submit(lambda: "new", got.append, key="filter")
    qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=5000)
    assert got == ["new"]


def test_errors_go_to_on_error(qtbot):
    runner = TaskRunner()
    errors = []

    def boom():
        raise ValueError("bad")

    runner.submit(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError)
