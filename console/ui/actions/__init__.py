"""Operator-action dialogs, the table-page menus that open them, and the Audit page."""
