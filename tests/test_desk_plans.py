"""The desk's queue page reads its open orders in order from an index and stops at the page's end:
no sort of every open order (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from gateway import storage
from gateway.desk.queue import QueueFilter
from gateway.desk.queue import exception_queue
from tests.conftest import FIXED_NOW
from tests.postgres import Postgres
from tests.work import sql_statements

PAGE_KEYS = "ORDER BY purchase_order.created_at, purchase_order.id"


def page_statements(engine: Engine) -> list[tuple[str, Any]]:
    """Every statement (and its parameters) the queue's first page runs."""
    with sql_statements(engine) as seen, storage.make_sessionmaker(engine)() as session:
        exception_queue(session, QueueFilter(), now=FIXED_NOW)
    return seen


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        made = storage.make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
        storage.upgrade(made)
    else:
        server: Postgres = request.getfixturevalue("postgres")
        made = storage.make_engine(server.migrated_database("desk_plans"))
    request.addfinalizer(made.dispose)
    return made


def test_the_queue_page_reads_the_open_orders_in_order_and_stops_at_the_page(engine: Engine) -> None:
    statements = page_statements(engine)
    assert not [s for s, _ in statements if "UNION ALL" in s], "orders and documents merged in Python"
    keys = [(s, p) for s, p in statements if PAGE_KEYS in s]
    assert len(keys) == 1 and "LIMIT" in keys[0][0]
    statement, parameters = keys[0]
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = [
                row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
            assert any("purchase_order USING COVERING INDEX" in step for step in plan), plan
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, "at most the ties of one moment are sorted"
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")  # an empty table: what a big one does
            plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
            assert "ix_purchase_order_open_age" in "\n".join(plan), plan
            assert not [step for step in plan if "Sort" in step], plan
