"""A foldable, read-only view of a JSON document (key / value / type columns)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from console.ui.plain import plain_tip

MAX_CHILDREN = 500  # a huge array shows its first items and a note
MAX_NODES = 5_000  # a whole document shows at most this many items (copy gives the rest)
MAX_TEXT = 1_000  # a value longer than this is cut in the tree (copy gives it in full)


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{…}} {len(value)} keys" if value else "{}"
    if isinstance(value, list):
        return f"[…] {len(value)} items" if value else "[]"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > MAX_TEXT:
        return f"{text[:MAX_TEXT]}… ({len(text):,} characters; right-click to copy in full)"
    return text


class JsonTree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Key", "Value"])
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._doc: Any = None
        self._budget = MAX_NODES

    def set_json(self, doc: Any, expand_depth: int = 2) -> None:
        self.clear()
        self._doc = doc
        self._budget = MAX_NODES
        if doc is None:
            QTreeWidgetItem(self, ["(none)", ""])
            return
        self._fill(self.invisibleRootItem(), doc)
        self.expandToDepth(expand_depth - 1)
        self.resizeColumnToContents(0)

    def document(self) -> Any:
        return self._doc

    def _fill(self, parent: QTreeWidgetItem, value: Any) -> None:
        items = (
            list(value.items())
            if isinstance(value, dict)
            else list(enumerate(value))
            if isinstance(value, list)
            else []
        )
        shown = min(len(items), MAX_CHILDREN, max(self._budget, 0))
        self._budget -= shown
        for key, child in items[:shown]:
            summary = _summary(child)
            item = QTreeWidgetItem(parent, [str(key)[:MAX_TEXT], summary])
            item.setData(1, Qt.ItemDataRole.UserRole, child)
            item.setToolTip(1, plain_tip(summary))
            if isinstance(child, dict | list):
                self._fill(item, child)
        if len(items) > shown:
            QTreeWidgetItem(
                parent,
                ["…", f"{len(items) - shown:,} more not shown (right-click to copy in full)"],
            )

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        menu = QMenu(self)
        if item is not None:
            value = item.data(1, Qt.ItemDataRole.UserRole)
            menu.addAction("Copy value as JSON").triggered.connect(
                lambda: QGuiApplication.clipboard().setText(
                    json.dumps(value, indent=2, ensure_ascii=False)
                )
            )
        menu.addAction("Copy whole document").triggered.connect(
            lambda: QGuiApplication.clipboard().setText(
                json.dumps(self._doc, indent=2, ensure_ascii=False, default=str)
            )
        )
        menu.addAction("Expand all").triggered.connect(self.expandAll)
        menu.addAction("Collapse all").triggered.connect(self.collapseAll)
        menu.exec(self.viewport().mapToGlobal(pos))
        menu.deleteLater()
