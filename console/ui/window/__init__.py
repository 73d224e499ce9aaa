"""The main window's collaborators, one job each.

:class:`~console.ui.main_window.MainWindow` keeps the layout and wires these together:
the page navigation (:mod:`.navigation`), the toolbar and menus (:mod:`.menus`), the
auto-refresh timer (:mod:`.refresh`), the view choices and layout persistence
(:mod:`.choices`), the status bar (:mod:`.status`), the reactions to the connection
session (:mod:`.connection_view`) and the start-up sequence (:mod:`.startup`).
"""
