"""Starting a window: profiles and the data layer load off the GUI thread, then it connects
and lists its pages (the first page's module imports on a worker meanwhile)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from console.ui import settings
from console.ui.pages import PageSpec

if TYPE_CHECKING:
    from console.profiles import Profile
    from console.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def database_url_set() -> bool:
    from console.profiles import ENV_URL

    return bool(os.environ.get(ENV_URL))


def load_profiles(
    profile_name: str | None,
    url: str | None,
    environment: str | None,
    replica_urls: list[str] | None,
    remembered: bool,
) -> tuple[dict[str, Profile], Profile | None, list[str]]:
    """Worker thread: the saved profiles, the chosen one (None if it cannot be resolved),
    and the problems to show.  ``remembered``: a remembered name falls back to local."""
    from console.ui.connect import preload_data_layer

    preload_data_layer()
    from console.db.urls import BadURLError
    from console.profiles import ProfileError, ProfileStore, default_profiles, resolve_profile

    problems: list[str] = []
    try:
        profiles = ProfileStore().load()
    except ProfileError as exc:
        problems.append(str(exc))
        profiles = default_profiles()
    chosen = None
    try:
        chosen = resolve_profile(profile_name, url, environment=environment)
        if replica_urls:
            from dataclasses import replace

            from console.profiles import validate_profile

            chosen = validate_profile(replace(chosen, replica_url=" ".join(replica_urls)))
    except (ProfileError, BadURLError) as exc:
        problems.append(str(exc))
        if remembered:  # the profile used last time was removed meanwhile
            chosen = profiles["local"]
    return profiles, chosen, problems


def import_page_specs(first: str | None) -> list[PageSpec] | None:
    """Worker thread: the page list, with the module of the page shown first imported;
    the other pages' modules load when they are first shown."""
    from console.ui.pages import import_page_module, lazy_page_specs

    specs = lazy_page_specs()
    keys = [spec.key for spec in specs]
    try:
        import_page_module(first if first in keys else keys[0])
    except Exception:
        log.exception("importing the first page failed")  # its build says what failed
    return specs


class WindowStartup:
    """The start-up sequence of one window; its background work is the window's."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window

    def start(
        self,
        profile_name: str | None,
        url: str | None,
        environment: str | None,
        replica_urls: list[str] | None,
    ) -> None:
        w = self._window
        remembered = False
        # DATABASE_URL is this run's explicit choice (as on the command line, where it beats
        # the default): a profile remembered from another day never silently replaces it.
        if profile_name is None and url is None and w.remember and not database_url_set():
            profile_name = settings.LAST_PROFILE.get() or None
            remembered = profile_name is not None
        w.runner.submit(
            lambda: load_profiles(profile_name, url, environment, replica_urls, remembered),
            self._on_profiles,
            self._on_error,
            owner=w,
            key="bootstrap",
        )

    def _on_profiles(self, result: Any) -> None:
        w = self._window
        profiles, chosen, problems = result
        w.switcher.set_profiles(profiles)
        if chosen is not None:
            w.connect_profile(chosen)
        if not w.specs:
            first = (settings.WINDOW_PAGE.get() or None) if w.remember else None
            w.runner.submit(
                lambda: import_page_specs(first),
                w.build_pages,
                self._on_error,
                owner=w,
                key="pages",
            )
        if problems:
            w.show_status(" · ".join(problems))
        if chosen is None:
            w.banner.show_idle(problems[0] if problems else "Not connected")
            w.state_panel.show_idle("Not connected", problems[0] if problems else None)

    def _on_error(self, exc: BaseException) -> None:
        log.error("start-up failed: %s", exc)
        w = self._window
        w.build_pages()
        w.banner.show_idle("Start-up failed")
        w.state_panel.show_idle("Start-up failed", str(exc))
