"""The cap on one value the gateway stores or shows, and the note that says a value was cut.

A cut value keeps its first ``VALUE_CAP`` characters and ends with a note naming its full length:
``AAAA… (truncated: 52,428,800 characters, showing the first 4,096)``. A value already cut (its
note in place) is left as it is, so capping twice never misstates the length.
"""

from __future__ import annotations

import re
from typing import Any

VALUE_CAP = 4096
_NOTE = re.compile(r" … \(truncated: [\d,]+ characters, showing the first [\d,]+\)\Z")
_NOTE_ROOM = 80  # the note's length, and then some


def capped(value: str, limit: int = VALUE_CAP, *, total: int | None = None) -> str:
    """``value`` whole when it fits in ``limit``, else its head and a note; ``total``: its length before an earlier cut."""
    length = len(value) if total is None else total
    if length <= limit and len(value) <= limit:
        return value
    if len(value) <= limit + _NOTE_ROOM and _NOTE.search(value):
        return value
    return f"{value[:limit]} … (truncated: {length:,} characters, showing the first {limit:,})"


def any_over_cap(value: Any, limit: int = VALUE_CAP) -> bool:
    """Whether any string in ``value`` (JSON-like) is longer than ``limit``: a walk that builds nothing.

    Most values hold none, and ``cap_strings`` rebuilds every dict and list it walks through.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) > limit:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def cap_strings(value: Any, limit: int = VALUE_CAP) -> tuple[Any, int]:
    """``value`` (JSON-like: dicts, lists, strings) with every string capped; and how many were cut."""
    if isinstance(value, str):
        result = capped(value, limit)
        return result, int(result is not value)
    if isinstance(value, dict):
        cut = 0
        out: dict[Any, Any] = {}
        for key, item in value.items():
            out[key], count = cap_strings(item, limit)
            cut += count
        return (out, cut) if cut else (value, 0)
    if isinstance(value, list):
        cut = 0
        items: list[Any] = []
        for item in value:
            capped_item, count = cap_strings(item, limit)
            items.append(capped_item)
            cut += count
        return (items, cut) if cut else (value, 0)
    return value, 0
