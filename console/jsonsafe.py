"""Parsing operator JSON into values PostgreSQL's ``jsonb`` accepts.

Python's ``json`` accepts things ``jsonb`` refuses: ``NaN``/``Infinity``, numbers
that overflow to infinity (``1e999``), the ``\\u0000`` escape (NUL), and nesting
deep enough to exhaust the server's stack; and it raises a bare ``ValueError`` on
integers longer than Python's ``int`` conversion limit (4,300 digits).  Catching
them here turns a traceback or a driver error into a message that says what to
change, before anything is sent.  The six characters ``\\u0000`` as text (JSON
``"\\\\u0000"``) are no NUL and pass.
"""

from __future__ import annotations

import json
import math
import sys
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


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        digits = len(text.lstrip("-"))
        raise JsonInputError(
            f"the number {text[:12]}… has {digits} digits; at most "
            f"{sys.get_int_max_str_digits()} can be read"
        ) from None


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


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
        value = json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, parse_int=_integer
        )
    except json.JSONDecodeError as exc:
        raise JsonInputError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonInputError(f"nested deeper than {max_depth} levels") from None
    if _depth(value, max_depth) > max_depth:
        raise JsonInputError(f"nested deeper than {max_depth} levels")
    if _holds_nul(value):
        raise JsonInputError(
            "a string holds the escape \\u0000 (NUL), which PostgreSQL's jsonb cannot store"
        )
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonInputError("a string holds a lone surrogate (\\ud800-\\udfff escape)") from None
    return value
