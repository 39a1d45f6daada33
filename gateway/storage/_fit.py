"""Making a row's values fit its table's columns, as PostgreSQL insists (SQLite does not)."""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table


def fit_to_columns(table: Table, row: dict[str, Any]) -> list[tuple[str, str]]:
    """Cut strings longer than their column and drop numbers too large for theirs, in place.

    Returns ``(column, what was done)`` for each value changed, for the caller to record:
    the full values stay in the canonical JSON.
    """
    changed: list[tuple[str, str]] = []
    for column in table.columns:
        value = row.get(column.name)
        kind = column.type
        if isinstance(value, str) and isinstance(kind, String) and kind.length and len(value) > kind.length:
            row[column.name] = value[: kind.length]
            changed.append((column.name, f"{len(value)} characters, more than its {kind.length}: cut"))
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
