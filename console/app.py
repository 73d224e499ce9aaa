"""Starting the desktop application: paint the window first, load the data layer after.

Importing PySide6 costs about 120 ms and SQLAlchemy with psycopg 300-500 ms more,
so the window shows before the data layer is imported; profiles are loaded and
the connection is made on a background thread (see ``MainWindow.start``).
"""

from __future__ import annotations

import sys

from console import APP_ID, APP_NAME, __version__


def make_application(argv: list[str] | None = None, theme_mode: str | None = None):
    """The QApplication (created once) with name, version, icon, style and palette."""
    from PySide6.QtWidgets import QApplication

    from console.ui import pyside_sources

    pyside_sources.install()
    from console.ui import settings, theme

    app = QApplication.instance()
    if app is None:
        QApplication.setApplicationName(APP_NAME)
        QApplication.setApplicationVersion(__version__)
        QApplication.setOrganizationName(APP_ID)
        QApplication.setDesktopFileName(APP_ID)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication), "a window needs a QApplication"
    from console.ui import gil, gui_gc, qtlog

    qtlog.route_qt_messages()
    gui_gc.install(app)
    gil.install()
    app.setWindowIcon(theme.app_icon())
    theme.apply_theme(app, theme_mode or settings.THEME.get())
    return app


def build_main_window(*args, **kwargs):
    """See :func:`console.ui.main_window.build_main_window`."""
    from console.ui.main_window import build_main_window as build

    return build(*args, **kwargs)


def run(
    profile: str | None = None,
    url: str | None = None,
    environment: str | None = None,
    link: str | None = None,
    *,
    replica_urls: list[str] | None = None,
) -> int:
    """Open the console window on ``profile`` (or ``url``, of ``environment``); exit status.

    ``replica_urls`` (``--replica-url``) add read replicas to the profile for this session.
    With ``link`` (``autopr-console open LINK``) the window opens that link instead.
    """
    app = make_application()
    from console.applog import setup_logging
    from console.ui.crash_report import install_crash_dialog

    setup_logging()
    install_crash_dialog(app)
    from PySide6.QtCore import QTimer

    from console.ui import reach
    from console.ui.main_window import MainWindow

    window = MainWindow()
    window.show()

    def after_show() -> None:
        # Links, palette, watches and the single-instance socket import the table and data
        # layers (about a second on a busy machine): they install once the window is up.
        hooks = reach.install(window, single_instance=True)
        _open_url_events(app, hooks)
        if link:
            _start_with_link(window, hooks, link)
        else:
            window.start(profile, url, environment, replica_urls=replica_urls)

    # Once the loop runs: the window is mapped first, and a close that arrives early still
    # ends exec() (a close before exec() would not).
    QTimer.singleShot(0, after_show)
    _close_on_signals(window)
    return int(app.exec())


def _start_with_link(window, hooks, link: str) -> None:
    """Connect straight to the link's profile (no detour through the last one used)."""
    from console.links import LinkError, identity_of, match_profile, parse_link
    from console.profiles import ProfileError, ProfileStore

    try:
        profiles = ProfileStore().load()
        parsed = parse_link(link)
        name = match_profile(parsed, [identity_of(p) for p in profiles.values()])
    except (LinkError, ProfileError):
        window.start()
        hooks.opener.open(link)  # says why it cannot be opened
        return
    window.start(name)
    hooks.opener.expect(parsed, name)


def _open_url_events(app, hooks) -> None:
    """macOS hands a clicked autopr:// URL to the running app as a FileOpen event.

    Elsewhere the desktop runs ``autopr-console open LINK``, which reaches this console
    through its single-instance socket, so the filter is installed on macOS only: an
    application-wide filter sees every event of every widget, and wrapping each one
    for Python cost 2.4 MiB (every QEvent subclass and its enums) and a call per event.
    """
    if sys.platform != "darwin":
        return
    from PySide6.QtCore import QEvent, QObject

    class UrlOpener(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.FileOpen:
                url = event.url().toString() or event.file()
                if url.lower().startswith("autopr://"):
                    hooks.raise_window()
                    hooks.opener.open(url)
                    return True
            return False

    hooks.url_events = UrlOpener(app)
    app.installEventFilter(hooks.url_events)


def _close_on_signals(window) -> None:
    """Ctrl+C or SIGTERM close the window properly (the embedded server stops too)."""
    import signal

    from PySide6.QtCore import QTimer

    def handler(_signum, _frame) -> None:
        window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not on this platform
            return
    # Python runs signal handlers only between bytecodes: wake it up now and then.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
