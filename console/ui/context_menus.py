"""The registry through which operator actions, links and watches add entries to every
table page's row menu.

Kept apart from the table pages so that registering (done once the window is up)
does not import the table layer, which the first page does not need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from console.ui.tables.base import TablePage

ContextMenuProvider = Callable[["TablePage", "QMenu"], None]
# Each provider is called with the page and its menu, in order, whenever a row menu opens.
context_menu_providers: list[ContextMenuProvider] = []
