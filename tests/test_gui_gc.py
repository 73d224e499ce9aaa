import gc

from console.ui.gui_gc import GuiThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collects_cycles_on_the_gui_thread_with_automatic_gc_off(qapp):
    collector = GuiThreadCollector(interval_ms=10_000)
    try:
        assert not gc.isenabled()
        gc.collect()
        for _ in range(5_000):
            _Cycle()
        assert collector.check() >= 5_000
    finally:
        collector.stop()
    assert gc.isenabled()
