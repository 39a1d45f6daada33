"""Many rows of one table inserted as one statement: one ``executemany`` (or multi-row VALUES).

SQLAlchemy's ORM bulk insert (``session.execute(insert(Model), rows)``) leaves out the None
values of each row, so rows that differ only in which values are None become one statement
each: an interchange whose orders alternate between findings with and without a line number
ran two INSERTs per order. Here every row names every column the rows name, so the whole
batch is one statement; a None is stored as NULL (JSON columns: JSON null, as the ORM does),
and a column that has a default and is None in a row takes its default, as the ORM's would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    returning: str | None = None,
    key: str | None = None,
) -> list[Any]:
    """Insert ``rows`` into ``table`` in one statement; with ``returning``, that column of each row, in row order.

    ``key`` names a column whose values tell the rows apart: the database returns the rows of a
    multi-row INSERT in the order given (SQLite and PostgreSQL do), but does not promise to, so
    the returned rows are matched to the rows sent by it (``sort_by_parameter_order`` would make
    SQLAlchemy insert row by row on SQLite). Without ``key``, a different order raises.
    """
    if not rows:
        return []
    first = rows[0].keys()
    if all(row.keys() == first for row in rows):  # the usual case: nothing to fill in
        names, uniform = list(first), list(rows)
    else:
        names = list(dict.fromkeys(name for row in rows for name in row))
        uniform = [{name: row.get(name) for name in names} for row in rows]
    defaults = {
        name: column.default
        for name in names
        if (column := table.c[name]).default is not None and not column.type.should_evaluate_none
    }
    for name, default in defaults.items():
        for index, row in enumerate(uniform):
            if row[name] is None:
                row = uniform[index] = dict(row)  # the caller's row stays as it was
                row[name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
    statement = table.insert()
    if returning is None:
        session.execute(statement, uniform)
        return []
    match = key or returning
    sent = [row.get(match) for row in uniform]
    got = session.execute(statement.returning(table.c[returning], table.c[match]), uniform).all()
    if [row[1] for row in got] == sent and len(got) == len(uniform):
        return [row[0] for row in got]
    by_key = {row[1]: row[0] for row in got}
    if key is None or len(by_key) != len(uniform) or len(set(sent)) != len(sent):
        raise RuntimeError(f"{table.name}: the rows inserted came back in an order that cannot be matched")
    return [by_key[value] for value in sent]
