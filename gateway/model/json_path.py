"""Following keys and list indexes down a parsed JSON value: one JSON pointer's or dotted path's steps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def follow(value: Any, steps: Iterable[str]) -> Any:
    """The value ``steps`` lead to (a key of an object, an index of an array), or None where one is missing."""
    for step in steps:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value
