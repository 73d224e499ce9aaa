"""Rows as TSV or JSON text for the clipboard."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from console.secret_policy import mask
from console.ui.tables.columns import json_value


def _cell(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def to_tsv(headers: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> str:
    """Tab-separated lines (tabs and newlines inside cells become spaces)."""
    lines = []
    if headers:
        lines.append("\t".join(_cell(h) for h in headers))
    lines.extend("\t".join(_cell(c) for c in row) for row in rows)
    return "\n".join(lines)


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    """A JSON array of objects (one object alone when there is one row), secrets masked."""
    docs = [mask({k: json_value(v) for k, v in row.items()}) for row in rows]
    payload: Any = docs[0] if len(docs) == 1 else docs
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)
