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


def test_settle_leaves_the_objects_alive_then_out_of_full_collections(qapp):
    collector = GuiThreadCollector(interval_ms=10_000)
    try:
        kept = [_Cycle() for _ in range(5_000)]
        before = gc.get_freeze_count()
        assert collector.settle()
        assert gc.get_freeze_count() >= before + len(kept)
        assert not collector.settle()  # once per process
        for _ in range(100):
            _Cycle()
        assert gc.collect() >= 100  # what is made later is still collected
    finally:
        gc.unfreeze()
        collector.stop()
