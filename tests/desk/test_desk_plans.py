"""The desk's queue page reads its open orders and its waiting documents in order from an index and stops
at the page's end: no sort of every open order or waiting document, and no question per document whether
it made an order or was answered (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from gateway import storage
from gateway.desk.dashboard import dashboard
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import exception_queue
from tests.conftest import FIXED_NOW
from tests.servers.postgres import store_url
from tests.work import sql_statements

PAGE_KEYS = "ORDER BY purchase_order.created_at, purchase_order.id"
DOCUMENT_KEYS = "ORDER BY document.received_at, document.id"
# what the queue asked of each document of a waiting status before migration 0025
PER_DOCUMENT = ("purchase_order.document_id = document.id", "outbound_document.document_id = document.id")


def page_statements(engine: Engine, filters: QueueFilter | None = None) -> list[tuple[str, Any]]:
    """Every statement (and its parameters) the queue's first page runs."""
    with sql_statements(engine) as seen, storage.make_sessionmaker(engine)() as session:
        exception_queue(session, filters or QueueFilter(), now=FIXED_NOW)
    return seen


def plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """The plan's steps: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN as if its tables were big."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return [
                row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
        # a small table: what a big one does (a scan of it all, or of a bitmap then sorted, is cheap here)
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET enable_bitmapscan = off")
        return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    name = f"desk_plans_{abs(hash(request.node.name))}"
    made = storage.make_engine(store_url(request.param, request, tmp_path, name, migrated=True))
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


def test_the_queue_page_reads_the_waiting_documents_in_order_and_stops_at_the_page(engine: Engine) -> None:
    keys = [(s, p) for s, p in page_statements(engine) if DOCUMENT_KEYS in s]
    assert len(keys) == 1 and "LIMIT" in keys[0][0]
    steps = plan(engine, *keys[0])
    assert "ix_document_queue" in "\n".join(steps), steps
    assert not [step for step in steps if "TEMP B-TREE" in step or "Sort" in step], steps


@pytest.mark.parametrize("page", ["queue", "search", "dashboard"])
def test_no_page_asks_each_waiting_document_whether_it_made_an_order_or_was_answered(
    engine: Engine, page: str
) -> None:
    """The queue, a search and the dashboard count the waiting documents from the tally and read them from
    their partial index; the dashboard reads no document at all."""
    if page == "dashboard":
        with sql_statements(engine) as seen, storage.make_sessionmaker(engine)() as session:
            dashboard(session, now=FIXED_NOW)
        assert not [s for s, _ in seen if "FROM document" in s], "the waiting documents come from the tally"
    else:
        seen = page_statements(engine, QueueFilter(search="PO-00001") if page == "search" else None)
    asked = [s for s, _ in seen if any(probe in s for probe in PER_DOCUMENT)]
    assert not asked, asked
    for statement, parameters in seen:
        if "FROM document" in statement:
            steps = plan(engine, statement, parameters)
            assert "ix_document_queue" in "\n".join(steps), (statement, steps)
