"""The window's toolbar and menu bar: what is where, and which window method each runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QToolBar

from console.ui import commands, theme
from console.ui.profile_switcher import ProfileSwitcher

if TYPE_CHECKING:
    from console.ui.main_window import MainWindow

NEW_WINDOW = "Ctrl+Shift+N"


class MainToolbar(QToolBar):
    """Profile switcher, refresh, auto-refresh interval and pause, UTC."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__("Main", window)
        self.setObjectName("mainToolbar")
        self.setMovable(False)
        self.setIconSize(QSize(16, 16))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        profile_label = QLabel(" &Profile ")
        self.addWidget(profile_label)
        self.switcher = ProfileSwitcher(window)
        profile_label.setBuddy(self.switcher)
        self.switcher.setAccessibleName("Connection profile")
        self.switcher.profile_chosen.connect(window.switch_profile)
        self.addWidget(self.switcher)
        self.addSeparator()
        self.refresh_action = QAction(theme.icon("refresh"), "&Refresh", window)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.setToolTip("Refresh the current view (F5)")
        self.refresh_action.triggered.connect(window.refresh_current)
        self.addAction(self.refresh_action)
        self.addWidget(window.auto_refresh.combo)
        self.addAction(window.auto_refresh.pause_action)
        self.addSeparator()
        self.addAction(window.choices.utc_action)


class WindowMenus:
    """File, View, Actions, Connection and Help; keeps the actions others enable or fill."""

    def __init__(self, window: MainWindow, toolbar: MainToolbar) -> None:
        menu = window.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction("&New profile…", lambda: window.edit_profile(new=True))
        self.edit_profile_action = file_menu.addAction("&Edit profile…", window.edit_profile)
        self.reconnect_action = file_menu.addAction("&Reconnect", window.retry)
        new_window = file_menu.addAction("New &window", window.new_window)
        new_window.setShortcut(QKeySequence(NEW_WINDOW))
        file_menu.addSeparator()
        quit_text = "&Quit" if window.primary else "&Close window"
        quit_action = file_menu.addAction(quit_text, window.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        self.view_menu = menu.addMenu("&View")
        self.pages_menu = self.view_menu.addMenu("&Go to")  # the navigator fills it
        self.view_menu.addAction(toolbar.refresh_action)
        self.cancel_action = self.view_menu.addAction(
            "&Cancel running queries", window.cancel_queries
        )
        self.view_menu.addAction(window.auto_refresh.pause_action)
        self.view_menu.addAction(window.choices.utc_action)
        window.choices.add_theme_menu(self.view_menu.addMenu("&Theme"))

        self.actions_menu = menu.addMenu("&Actions")
        self.command_actions = commands.build_actions_menu(
            window, self.actions_menu, window.run_command
        )
        conn_menu = menu.addMenu("&Connection")
        self.unlock_action = conn_menu.addAction("&Unlock writes…", window.request_unlock)
        self.lock_action = conn_menu.addAction("&Lock writes", window.lock_writes)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction("&Keyboard shortcuts", window.show_shortcuts)
        help_menu.addAction("&About", window.show_about)
