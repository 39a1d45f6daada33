"""An interchange's orders, lines and findings are stored a batch at a time, in a few statements.

The batches are the pipeline's (``_BATCH`` orders or ``_BATCH_LINES`` lines); each batch's rows of
one table go in one statement, however their None values fall. Counted statements, not time.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench.generate import write_interchange
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.servers.postgres import Postgres
from tests.servers.queue_cluster import fresh_database
from tests.work import sql_statements

ORDERS = 600  # x 5 lines: two batches of at most 2,000 lines


def _inserts(statements: list[tuple[str, Any]]) -> Counter[str]:
    """The INSERTs among ``statements``, by their first three words (``INSERT INTO table``)."""
    return Counter(" ".join(s.split()[:3]) for s, _ in statements if s.lstrip().startswith("INSERT"))


def _interchange(tmp_path: Path, *, control: int = 1) -> Path:
    text = io.StringIO()
    write_interchange(text, orders=ORDERS, control=control)
    path = tmp_path / f"many{control}.edi"
    path.write_text(text.getvalue())
    return path


def _check(sessions: sessionmaker[Session], pipeline: Pipeline, path: Path, *, paged: bool = False) -> None:
    with sql_statements(sessions.kw["bind"]) as statements:
        outcome = pipeline.ingest_path(path)
    seen = _inserts(statements)
    assert outcome.status == "processed" and len(outcome.order_ids) == ORDERS
    with sessions() as session:
        finding = storage.Finding
        with_line = session.scalar(select(func.count()).where(finding.line_no.is_not(None)))
        without_line = session.scalar(select(func.count()).where(finding.line_no.is_(None)))
        lines = session.scalar(select(func.count()).select_from(storage.OrderLineRecord))
        stored = session.execute(
            select(storage.PurchaseOrder.id, storage.PurchaseOrder.po_number).order_by(
                storage.PurchaseOrder.ordinal
            )
        ).all()
    # the orders' findings with and without a line number, which the ORM's bulk insert split
    assert with_line and without_line and lines == ORDERS * 5
    # each order's id is its own, in the document's order
    assert [order_id for order_id, _ in stored] == outcome.order_ids
    assert [po for _, po in stored] == [f"PO{n:08d}" for n in range(1, ORDERS + 1)]
    # two batches; PostgreSQL's driver sends at most 1,000 rows a statement (SQLAlchemy's page)
    rows = {"finding": with_line + without_line, "purchase_order": ORDERS, "order_line": lines}
    for table, count in rows.items():
        assert seen[f"INSERT INTO {table}"] <= 2 + (count // 1000 if paged else 0), seen


def test_each_batch_of_an_interchange_is_one_insert_per_table(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    _check(
        master_sessions, Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW), _interchange(tmp_path)
    )


def test_each_batch_is_one_insert_per_table_on_postgresql(
    postgres: Postgres, partners: PartnerRegistry, tmp_path: Path
) -> None:
    engine = storage.make_engine(fresh_database(postgres, "ingest_batches"))
    sessions = storage.make_sessionmaker(engine)  # the demo master data loaded
    try:
        _check(
            sessions,
            Pipeline(sessions, partners, clock=lambda: FIXED_NOW),
            _interchange(tmp_path),
            paged=True,
        )
    finally:
        engine.dispose()


def test_each_order_is_counted_as_it_is_stored_without_reading_it_back(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """``tallied_as`` goes in with the order's INSERT; a recount from the stored rows finds the same."""
    path = _interchange(tmp_path)
    validating = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW)
    reading = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW, validate=False)
    order = storage.PurchaseOrder
    with sql_statements(master_sessions.kw["bind"]) as statements:
        held = validating.ingest_path(path)
        accepted = reading.ingest_path(_interchange(tmp_path, control=2))
    assert not [s for s, _ in statements if s.lstrip().startswith("UPDATE purchase_order")]
    with master_sessions() as session:
        kept: dict[int, Any] = dict(session.execute(select(order.id, order.tallied_as)).all())
        statuses = Counter(session.scalars(select(order.status)))
    assert len(kept) == 2 * ORDERS and statuses == {"exception": ORDERS, "accepted": ORDERS}, statuses
    assert {held.status, accepted.status} == {"processed"}
    assert all(facts[5] for id_, facts in kept.items() if id_ in held.order_ids), "held with their codes"
    before = _tally_rows(master_sessions)
    with master_sessions() as session, session.begin():
        storage.recount_tally(session)  # every order's tallied_as and the counts, from the stored rows
    with master_sessions() as session:
        assert dict(session.execute(select(order.id, order.tallied_as)).all()) == kept
    assert _tally_rows(master_sessions) == before


def _tally_rows(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, int]]:
    """Every count of the desk's tally that is not 0, in key order: (figure, day, key, orders)."""
    day, open_ = storage.OrderDayTally, storage.OpenOrderTally
    with sessions() as session:
        rows = [
            *(
                (figure, str(on), key, n)
                for figure, on, key, n in session.execute(select(day.figure, day.day, day.key, day.orders))
            ),
            *(
                (figure, "", key, n)
                for figure, key, n in session.execute(select(open_.figure, open_.key, open_.orders))
            ),
        ]
    return sorted(row for row in rows if row[3])
