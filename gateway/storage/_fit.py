"""Making a row's values fit its table's columns, as PostgreSQL insists (SQLite does not), and the cap.

No text, nor any string inside a JSON value, is stored longer than ``VALUE_CAP`` characters:
a longer one keeps its head and a note saying how long it was (``gateway.truncation``).
"""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table

from gateway.truncation import VALUE_CAP
from gateway.truncation import cap_strings
from gateway.truncation import capped


def fit_to_columns(table: Table, row: dict[str, Any]) -> list[tuple[str, str]]:
    """Cut strings longer than their column or the cap, and drop numbers too large for theirs, in place.

    Returns ``(column, what was done)`` for each value changed, for the caller to record: values
    cut only to fit their column stay whole in the canonical JSON, up to the cap.
    """
    changed: list[tuple[str, str]] = []
    for column in table.columns:
        value = row.get(column.name)
        kind = column.type
        if isinstance(value, str) and isinstance(kind, String) and kind.length and len(value) > kind.length:
            row[column.name] = value[: kind.length]
            changed.append((column.name, f"{len(value)} characters, more than its {kind.length}: cut"))
        elif isinstance(value, str) and isinstance(kind, String) and len(value) > VALUE_CAP:
            row[column.name] = capped(value)
            changed.append((column.name, f"{len(value):,} characters, over {VALUE_CAP:,}: cut, noted"))
        elif isinstance(kind, JSON) and isinstance(value, dict | list):
            row[column.name], cut = cap_strings(value)
            if cut:
                changed.append((column.name, f"{cut} text(s) over {VALUE_CAP:,} characters: cut, noted"))
        elif isinstance(value, int | float | Decimal) and isinstance(kind, Numeric) and kind.precision:
            digits = kind.precision - (kind.scale or 0)
            try:
                fits = Decimal(value).is_finite() and abs(Decimal(value)) < Decimal(10) ** digits
            except InvalidOperation:
                fits = False
            if not fits:
                row[column.name] = None
                changed.append(
                    (column.name, f"{value} does not fit {digits} digits before the point: left out")
                )
    return changed
