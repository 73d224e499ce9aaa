"""Parsing operator JSON into values PostgreSQL's ``jsonb`` accepts.

Python's ``json`` accepts things ``jsonb`` refuses: ``NaN``/``Infinity``, numbers
that overflow to infinity (``1e999``), the ``\\u0000`` character, and nesting
deep enough to exhaust the server's stack.  Catching them here turns a driver
error into a message that says what to change, before anything is sent.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64


class JsonInputError(ValueError):
    """Why the text is not usable JSON; ``line``/``column`` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}, column {self.column}: {self.message}"
        return self.message


def _no_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not valid JSON for PostgreSQL; use a number or null")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError(f"the number {text[:30]} is too large")
    return value


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def loads_for_postgres(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that only returns what ``jsonb`` will store."""
    if "\x00" in text:
        raise JsonInputError("the text contains a NUL character, which PostgreSQL cannot store")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise JsonInputError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonInputError(f"nested deeper than {max_depth} levels") from None
    if _depth(value, max_depth) > max_depth:
        raise JsonInputError(f"nested deeper than {max_depth} levels")
    if "\\u0000" in json.dumps(value):
        raise JsonInputError("a string holds \\u0000, which PostgreSQL's jsonb cannot store")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonInputError("a string holds a lone surrogate (\\ud800-\\udfff escape)") from None
    return value
