"""Theme colours/icons, time formatting and the settings store of the window shell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.ui import settings, theme, timefmt
from models.vocab import EVENT_STATUSES, EXECUTION_STATUSES, HEALTH_STATUSES, WORKFLOW_STATUSES


def test_every_status_has_its_own_colour_and_an_icon(qapp):
    theme.apply_theme(qapp, "light")
    fallback = theme.status_color("no-such-status").name()
    for status in {*EXECUTION_STATUSES, *EVENT_STATUSES, *WORKFLOW_STATUSES}:
        assert theme.status_color(status).name() != fallback or status in ("cancelled", "inactive")
        assert not theme.status_icon(status).isNull()
    for health in HEALTH_STATUSES:
        assert not theme.health_icon(health).isNull()
    assert theme.status_color("failed") != theme.status_color("completed")


def test_dark_theme_switches_palette_and_colours(qapp):
    seen: list[str] = []
    theme.theme_events().changed.connect(seen.append)
    theme.apply_theme(qapp, "light")
    light_failed = theme.status_color("failed").name()
    light_window = qapp.palette().window().color().lightness()
    theme.apply_theme(qapp, "dark")
    assert theme.is_dark()
    assert qapp.palette().window().color().lightness() < light_window
    assert theme.status_color("failed").name() != light_failed
    assert seen[-2:] == ["light", "dark"]
    theme.apply_theme(qapp, "system")


def test_environment_colours_are_distinct_and_prod_is_red(qapp):
    colours = {env: theme.environment_color(env) for env in ("prod", "staging", "dev", "local")}
    assert len({c.name() for c in colours.values()}) == 4
    prod = colours["prod"]
    assert prod.red() > 150 and prod.green() < 80 and prod.blue() < 80
    staging = colours["staging"]
    assert staging.red() > 200 and staging.green() > 120 and staging.blue() < 60


def test_app_icon_is_found_in_resources(qapp):
    icon = theme.app_icon()
    assert not icon.isNull()
    # Rendered sizes only, up to 128 px (the larger ones are the installers'), and one
    # icon shared by everything that shows it.
    assert [s.width() for s in icon.availableSizes()] == list(theme.APP_ICON_SIZES)
    assert theme.app_icon().cacheKey() == icon.cacheKey()
    assert not icon.pixmap(128, 128).isNull()


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=42), "42 s ago"),
        (timedelta(minutes=3, seconds=10), "3 min ago"),
        (timedelta(hours=5, minutes=59), "5 h ago"),
        (timedelta(days=2, hours=1), "2 d ago"),
        (-timedelta(minutes=3, seconds=5), "in 3 min"),
    ],
)
def test_relative_times(delta, expected):
    ref = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert timefmt.relative(ref - delta, ref) == expected


def test_relative_time_far_back_is_a_date():
    ref = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert timefmt.relative(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), ref) == "2026-01-02"


def test_utc_toggle_changes_exact_time_and_signals(qapp, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    import time

    time.tzset()
    try:
        got: list[bool] = []
        timefmt.time_events().utc_changed.connect(got.append)
        timefmt.set_utc(False)
        moment = datetime(2026, 11, 25, 1, 2, 3, tzinfo=UTC)
        assert timefmt.exact(moment) == "2026-11-25 10:02:03 JST"
        timefmt.set_utc(True)
        assert timefmt.exact(moment) == "2026-11-25 01:02:03 UTC"
        assert timefmt.exact(moment, millis=True).endswith(".000 UTC")
        assert got[-1] is True
        timefmt.set_utc(False)
        assert got[-1] is False
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_durations():
    assert timefmt.duration(0.25) == "250 ms"
    assert timefmt.duration(12.34) == "12.3 s"
    assert timefmt.duration(timedelta(minutes=4, seconds=5)) == "4 min 05 s"
    assert timefmt.duration(7380) == "2 h 03 min"
    assert timefmt.duration(None) == ""


def test_settings_round_trip_per_profile_and_refuse_secrets(qapp, isolated_home):
    settings.save_filters("staging", "executions", {"status": ["failed"], "text": "x'y"})
    assert settings.load_filters("staging", "executions") == {"status": ["failed"], "text": "x'y"}
    assert settings.load_filters("prod", "executions") == {}
    with pytest.raises(settings.SecretRefused):
        settings.put("profiles/prod/password", "hunter2")
    with pytest.raises(settings.SecretRefused):
        settings.put("last_url", "postgresql://bob:hunter2@db/prod")
    text = (isolated_home / "config" / "console.ini").read_text()
    assert "hunter2" not in text
    assert "executions" in text


def test_every_ui_icon_has_its_rendered_sizes(qapp):
    """packaging/make_icons.py renders each SVG of resources/icons into the PNG sizes the
    window draws from; an SVG added without running it fails here."""
    from PySide6.QtGui import QImage

    icons = theme.resource_path("icons")
    names = sorted(p.stem for p in icons.glob("*.svg"))
    assert "overview" in names
    for name in names:
        for size in theme.UI_ICON_SIZES:
            image = QImage(str(icons / "png" / f"{size}x{size}" / f"{name}.png"))
            assert (image.width(), image.height()) == (size, size), (name, size)
        assert [s.width() for s in theme.icon(name).availableSizes()] == list(theme.UI_ICON_SIZES)
