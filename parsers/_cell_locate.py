"""Where a value a person confirmed sits in a sheet: the title of its column.

The order desk asks this after a clerk corrects a line value on a sheet order, to learn the
sender's own column title: the value's cell is found on the line's row, then the nearest cell
above it in its column that reads as a title (letters, no digits).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ._sheet_orders import Grid
from ._values import Value
from ._values import parse_number

_EDGE = " \t:#.,;()[]"


def column_title(grid: Grid, row: int, value: str | Decimal | date) -> str | None:
    """The title over the cell on ``row`` that holds ``value``; None when no cell there holds it."""
    for (at_row, column), cell in sorted(grid.cells.items()):
        if at_row == row and _holds(cell, value):
            return _title_above(grid, row, column)
    return None


def _holds(cell: Value, value: str | Decimal | date) -> bool:
    if isinstance(value, Decimal):
        return parse_number(cell) == value
    if isinstance(value, date):
        return False  # a line's dates are not learned as columns
    return _norm(str(cell)) == _norm(value) != ""


def _title_above(grid: Grid, row: int, column: int) -> str | None:
    for above in range(row - 1, 0, -1):
        cell = grid.cells.get((above, column))
        if isinstance(cell, str):
            title = cell.strip(_EDGE)
            if re.search(r"[^\W\d_]", title) and not re.search(r"\d", title):
                return title
    return None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(_EDGE)).casefold()
