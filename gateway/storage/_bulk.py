"""Many rows of one table inserted as one statement: one ``executemany`` (or multi-row VALUES).

SQLAlchemy's ORM bulk insert (``session.execute(insert(Model), rows)``) leaves out the None
values of each row, so rows that differ only in which values are None become one statement
each: an interchange whose orders alternate between findings with and without a line number
ran two INSERTs per order. Here every row names every column the rows name, so the whole
batch is one statement; a None is stored as NULL (JSON columns: JSON null, as the ORM does),
and a column that has a default and is None in a row takes its default, as the ORM's would.

Without ``returning``, the rows go to the driver's ``executemany`` as SQLAlchemy would send them,
but made here: the INSERT is compiled once per table, columns and dialect, and each row becomes
the driver's tuple (or dict) with only its columns' own bind processors applied (on SQLite a
DateTime's text, a JSON column's serializer, a Numeric's float; on PostgreSQL only JSON). SQLAlchemy
builds a dict of every bind per row and looks each processor up per value: about 30 µs of a
finding row's 50. Values the same in every row (``same``) are processed once. A statement that
needs more than that (a Python default to compute, an expanding bind) takes SQLAlchemy's path.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class _Plan:
    """The compiled INSERT of some columns of a table, for one dialect, and how a row becomes its parameters."""

    sql: str
    binds: tuple[str, ...]  # the columns, in the order the statement takes them
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position in ``binds``, the type's processor)
    named: bool  # the driver takes a dict per row (pyformat), not a tuple


_PLANS: weakref.WeakKeyDictionary[Dialect, dict[tuple[Table, frozenset[str]], _Plan | None]] = (
    weakref.WeakKeyDictionary()
)


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: str | None = None,
    key: str | None = None,
    same: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Insert ``rows`` into ``table`` in one statement; with ``returning``, that column of each row, in row order.

    ``same``: values every row takes (a time of storing), given once instead of in each row; a
    row's own value for one of those names is replaced.

    ``key`` names a column whose values tell the rows apart: the database returns the rows of a
    multi-row INSERT in the order given (SQLite and PostgreSQL do), but does not promise to, so
    the returned rows are matched to the rows sent by it (``sort_by_parameter_order`` would make
    SQLAlchemy insert row by row on SQLite). Without ``key``, a different order raises.
    """
    if not rows:
        return []
    constant = dict(same or {})
    first = rows[0].keys()
    uniform: list[Mapping[str, Any]]
    if all(row.keys() == first for row in rows):  # the usual case: nothing to fill in
        names, uniform = [n for n in first if n not in constant], list(rows)
    else:
        names = [n for n in dict.fromkeys(name for row in rows for name in row) if n not in constant]
        uniform = [{name: row.get(name) for name in names} for row in rows]
    defaults = {
        name: column.default
        for name in names
        if (column := table.c[name]).default is not None and not column.type.should_evaluate_none
    }
    for name, default in defaults.items():
        for index, row in enumerate(uniform):
            if row[name] is None:
                filled = uniform[index] = dict(row)  # the caller's row stays as it was
                filled[name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
    if returning is None:
        connection = session.connection()
        plan = _plan(connection.dialect, table, frozenset((*names, *constant)))
        if plan is not None:
            connection.exec_driver_sql(plan.sql, _parameters(plan, uniform, constant))
            return []
    full = [{**row, **constant} for row in uniform] if constant else list(uniform)
    statement = table.insert()
    if returning is None:
        session.execute(statement, full)
        return []
    match = key or returning
    sent = [row.get(match) for row in full]
    got = session.execute(statement.returning(table.c[returning], table.c[match]), full).all()
    if [row[1] for row in got] == sent and len(got) == len(full):
        return [row[0] for row in got]
    by_key = {row[1]: row[0] for row in got}
    if key is None or len(by_key) != len(full) or len(set(sent)) != len(sent):
        raise RuntimeError(f"{table.name}: the rows inserted came back in an order that cannot be matched")
    return [by_key[value] for value in sent]


def _plan(dialect: Dialect, table: Table, columns: frozenset[str]) -> _Plan | None:
    """The INSERT of ``columns`` for ``dialect``, compiled once; None when it needs SQLAlchemy's own execution."""
    plans = _PLANS.setdefault(dialect, {})
    if (table, columns) in plans:
        return plans[(table, columns)]
    compiled = table.insert().compile(dialect=dialect, column_keys=sorted(columns))
    binds = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    plan = None
    simple = not (compiled.insert_prefetch or compiled.post_compile_params or compiled.literal_execute_params)
    if simple and set(binds) == columns:
        processors = tuple(
            (index, processor)
            for index, name in enumerate(binds)
            if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        plan = _Plan(compiled.string, binds, processors, named=not compiled.positional)
    plans[(table, columns)] = plan
    return plan


def _parameters(
    plan: _Plan, rows: Sequence[Mapping[str, Any]], constant: Mapping[str, Any]
) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
    """The driver's parameters for ``rows``: each value through its column's bind processor, as
    SQLAlchemy would pass it (None too: a JSON column writes it as JSON null)."""
    fixed = dict(constant)
    per_row: list[tuple[int, Callable[[Any], Any]]] = []
    for index, processor in plan.processors:
        name = plan.binds[index]
        if name in fixed:
            fixed[name] = processor(fixed[name])  # once for the whole batch
        else:
            per_row.append((index, processor))
    get = operator.itemgetter(*plan.binds)
    single = len(plan.binds) == 1
    made: list[tuple[Any, ...]] = []
    for row in rows:
        taken = get({**row, **fixed} if fixed else row)
        values: list[Any] = [taken] if single else list(taken)
        for index, processor in per_row:
            values[index] = processor(values[index])
        made.append(tuple(values))
    if plan.named:
        return [dict(zip(plan.binds, values, strict=True)) for values in made]
    return made
