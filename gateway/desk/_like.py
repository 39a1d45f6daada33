"""Text search in the desk's SQL: what the clerk typed, matched in any case, ``%`` and ``_`` literally.

The one LIKE helper of the desk's read models (the queue's search, the documents list): a
wildcard typed into a search box is a character of a PO number or a file name, never a pattern.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import SQLColumnExpression


def contains(column: SQLColumnExpression[str | None], text: str) -> ColumnElement[bool]:
    """SQL: ``column`` holds ``text`` in any case; ``%`` and ``_`` in it stand for themselves."""
    return column.ilike(f"%{_like_escape(text)}%", escape="\\")


def starts_with(column: SQLColumnExpression[str | None], text: str) -> ColumnElement[bool]:
    """SQL: ``column`` starts with ``text`` in any case; ``%`` and ``_`` in it stand for themselves."""
    return column.ilike(f"{_like_escape(text)}%", escape="\\")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
