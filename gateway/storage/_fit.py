"""Making a row's values fit its table's columns, as PostgreSQL insists (SQLite does not), and the cap.

No text, nor any string inside a JSON value, is stored longer than ``VALUE_CAP`` characters:
a longer one keeps its head and a note saying how long it was (``gateway.model.truncation``).
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table

from gateway.model.truncation import VALUE_CAP
from gateway.model.truncation import any_over_cap
from gateway.model.truncation import cap_strings
from gateway.model.truncation import capped

from ._json import JsonText

# A JSON string token longer than the cap, in JSON text: a string over the cap is at least as long
# written (escapes only lengthen it), so text without such a token holds none.
_LONG_TOKEN = re.compile(r'"(?:[^"\\]|\\.){' + str(VALUE_CAP + 1) + r',}"')
# What each kind of column needs checked: its width (text), the cap (JSON), its digits (numbers).
_TEXT, _JSON, _NUMBER = "text", "json", "number"


@functools.cache
def _plan(table: Table) -> tuple[tuple[str, str, int, Any], ...]:
    """(column, kind, width or digits, bound) for every column whose values may need fitting, once
    per table. The bound lets a value be passed at a glance: the longest text that needs no cut,
    or the first number too large (``10 ** digits``)."""
    plan: list[tuple[str, str, int, Any]] = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, String):
            size = kind.length or 0
            plan.append((column.name, _TEXT, size, min(size, VALUE_CAP) if size else VALUE_CAP))
        elif isinstance(kind, JSON):
            plan.append((column.name, _JSON, 0, None))
        elif isinstance(kind, Numeric) and kind.precision:
            digits = kind.precision - (kind.scale or 0)
            plan.append((column.name, _NUMBER, digits, Decimal(10) ** digits))
    return tuple(plan)


def fit_to_columns(table: Table, row: dict[str, Any]) -> list[tuple[str, str]]:
    """Cut strings longer than their column or the cap, and drop numbers too large for theirs, in place.

    Returns ``(column, what was done)`` for each value changed, for the caller to record: values
    cut only to fit their column stay whole in the canonical JSON, up to the cap.
    """
    changed: list[tuple[str, str]] = []
    for name, kind, size, bound in _plan(table):
        value = row.get(name)
        if value is None:
            continue
        # nearly every value is decided here, before the checks below: a text within its bound, a
        # finite Decimal below its column's first number too large
        if kind is _TEXT:
            if isinstance(value, str) and len(value) <= bound:
                continue
        elif kind is _NUMBER and value.__class__ is Decimal and value.is_finite() and abs(value) < bound:
            continue
        if kind == _JSON and isinstance(value, JsonText):
            if len(value) <= VALUE_CAP or not _LONG_TOKEN.search(value):
                continue  # no string in it can be over the cap: stored as written
            value = json.loads(value)  # capped below, like any other JSON value
        if kind == _TEXT and isinstance(value, str):
            if size and len(value) > size:
                row[name] = value[:size]
                changed.append((name, f"{len(value)} characters, more than its {size}: cut"))
            elif len(value) > VALUE_CAP:
                row[name] = capped(value)
                changed.append((name, f"{len(value):,} characters, over {VALUE_CAP:,}: cut, noted"))
        elif kind == _JSON and isinstance(value, dict | list) and any_over_cap(value):
            row[name], cut = cap_strings(value)
            if cut:
                changed.append((name, f"{cut} text(s) over {VALUE_CAP:,} characters: cut, noted"))
        elif kind == _NUMBER and isinstance(value, int | float | Decimal):
            try:
                fits = Decimal(value).is_finite() and abs(Decimal(value)) < bound
            except InvalidOperation:
                fits = False
            if not fits:
                row[name] = None
                changed.append((name, f"{value} does not fit {size} digits before the point: left out"))
    return changed
