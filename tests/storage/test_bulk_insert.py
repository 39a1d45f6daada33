"""``storage.insert_rows`` stores what SQLAlchemy's own executemany would, on SQLite and PostgreSQL.

Without RETURNING it hands the rows to the driver itself, each value through its column's bind
processor (a DateTime's text and a Numeric's float on SQLite, a JSON column's serializer): the
rows it leaves must be the very rows ``session.execute(table.insert(), rows)`` leaves, read back
as the driver stores them, for every kind of column the store has, None values, a column's
default and values every row shares (``same``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import JSON
from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Engine
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import event
from sqlalchemy.engine import ExecutionContext

from gateway import storage
from tests.servers.postgres import Postgres
from tests.servers.queue_cluster import fresh_database

WHEN = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)


def _table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(16), nullable=False),
        Column("message", Text),
        Column("amount", Numeric(12, 4)),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("details", JSON, nullable=False, default=dict),
        Column("extra", JSON),
        Column("tag", String(8), default="plain"),
    )


ROWS: list[dict[str, Any]] = [
    {"code": "a", "message": "é ~ \"quoted\"", "amount": Decimal("12.3400"), "details": {"k": [1, "x"]},
     "extra": None, "tag": None},
    {"code": "b", "message": None, "amount": None, "details": None, "extra": [], "tag": "set"},
    {"code": "c", "message": "", "amount": Decimal("-0.0001"), "details": {}, "extra": {"n": None},
     "tag": None},
    {"code": "d", "message": "json", "amount": Decimal(7), "details": storage.JsonText('{"as":"written"}'),
     "extra": storage.JsonText("[1,2]"), "tag": "x"},
]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = storage.make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    else:
        postgres: Postgres = request.getfixturevalue("postgres")
        made = storage.make_engine(fresh_database(postgres, f"bulk_{request.node.originalname}"[:60]))
    try:
        yield made
    finally:
        made.dispose()


def _stored(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    """The rows as the driver reads them back (no SQLAlchemy result processing), in insert order."""
    with engine.connect() as connection:
        columns = ", ".join(c.name for c in table.columns if c.name != "id")
        return [
            tuple(r) for r in connection.exec_driver_sql(f"SELECT {columns} FROM {table.name} ORDER BY id")
        ]


def test_insert_rows_stores_what_sqlalchemy_would(engine: Engine) -> None:
    metadata = MetaData()
    ours, theirs = _table(metadata, "bulk_ours"), _table(metadata, "bulk_theirs")
    metadata.create_all(engine)
    sent: list[tuple[bool, Any]] = []

    def record(_c: Any, _cu: Any, statement: str, _p: Any, context: ExecutionContext, many: bool) -> None:
        if "bulk_ours" in statement:
            sent.append((many, getattr(context, "compiled", None)))

    event.listen(engine, "before_cursor_execute", record)
    sessions = storage.make_sessionmaker(engine)
    with sessions() as session, session.begin():
        storage.insert_rows(session, ours, [dict(r) for r in ROWS], same={"at": WHEN})
        session.execute(theirs.insert(), [_with_defaults(theirs, {**r, "at": WHEN}) for r in ROWS])
        storage.insert_rows(session, ours, [{**ROWS[0], "at": WHEN}])  # one row, no shared values
        session.execute(theirs.insert(), [_with_defaults(theirs, {**ROWS[0], "at": WHEN})])
    event.remove(engine, "before_cursor_execute", record)
    assert _stored(engine, ours) == _stored(engine, theirs)
    # ... and it was the driver's own executemany, not SQLAlchemy's compiled execution
    assert sent and all(compiled is None for _, compiled in sent) and sent[0][0]


def test_insert_rows_keeps_the_callers_rows(engine: Engine) -> None:
    metadata = MetaData()
    table = _table(metadata, "bulk_kept")
    metadata.create_all(engine)
    rows = [dict(r) for r in ROWS]
    with storage.make_sessionmaker(engine)() as session, session.begin():
        storage.insert_rows(session, table, rows, same={"at": WHEN})
    assert rows == ROWS


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A None where a column has a default takes the default, as ``insert_rows`` promises (a JSON
    column's None is JSON null, as SQLAlchemy stores it)."""
    filled = dict(row)
    for name, value in row.items():
        column = table.c[name]
        default = column.default
        if value is None and default is not None and not column.type.should_evaluate_none:
            filled[name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
    return filled
