"""Ten consoles' query layers on one database while the demo simulator writes (issue 7, item 5).

The figures (queries per second, lock waits) are printed by
``benchmarks/bench_many_consoles.py``; here only what must hold: no console
and no simulator error, the consoles never make the simulator wait on a lock,
and no console holds more connections than its pool allows.
"""

from __future__ import annotations

from benchmarks.bench_many_consoles import APP_PREFIX, run

CONSOLES = 10


def test_ten_consoles_and_the_simulator_share_one_database(demo_db_url: str) -> None:
    report = run(demo_db_url, consoles=CONSOLES, seconds=4)

    consoles = report["consoles"]
    assert len(consoles) == CONSOLES
    for r in consoles:
        assert r["errors"] == 0, r["last_error"]
        assert r["loops"] >= 1  # each read every table and the overview at least once
    sim = report["simulator"]
    assert sim["errors"] == 0, sim["last_error"]
    assert sim["log_lines"] > 0 and sim["started"] > 0  # it did write meanwhile
    assert report["simulator_lock_samples"] == 0  # reads never made its writes wait
    peaks = report["peak_connections"]
    assert set(peaks) == {f"{APP_PREFIX}{i}" for i in range(CONSOLES)}  # every console seen
    for r in consoles:
        assert 1 <= peaks[f"{APP_PREFIX}{r['index']}"] <= r["pool_limit"]
