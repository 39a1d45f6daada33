"""An interchange's orders, lines and findings are stored a batch at a time, in a few statements.

The batches are the pipeline's (``_BATCH`` orders or ``_BATCH_LINES`` lines); each batch's rows of
one table go in one statement, however their None values fall. Counted statements, not time.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from bench.generate import write_interchange
from gateway import storage
from gateway.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW

ORDERS = 600  # x 5 lines: two batches of at most 2,000 lines


def _statements(sessions: sessionmaker[Session]) -> Counter[str]:
    """INSERTs and SELECTs run on the store from now on, by their first words."""
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words[0] in ("INSERT", "SELECT"):
            seen[" ".join(words[:3] if words[0] == "INSERT" else words[:1] + words[-3:])] += 1

    event.listen(sessions.kw["bind"], "before_cursor_execute", count)
    return seen


def _interchange(tmp_path: Path) -> Path:
    text = io.StringIO()
    write_interchange(text, orders=ORDERS)
    path = tmp_path / "many.edi"
    path.write_text(text.getvalue())
    return path


def test_each_batch_of_an_interchange_is_one_insert_per_table(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    pipeline = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW)
    path = _interchange(tmp_path)
    seen = _statements(master_sessions)
    outcome = pipeline.ingest_path(path)
    assert outcome.status == "processed" and len(outcome.order_ids) == ORDERS
    with master_sessions() as session:
        finding = storage.Finding
        with_line = session.scalar(select(func.count()).where(finding.line_no.is_not(None)))
        without_line = session.scalar(select(func.count()).where(finding.line_no.is_(None)))
        lines = session.scalar(select(func.count()).select_from(storage.OrderLineRecord))
        ids = session.scalars(select(storage.PurchaseOrder.id).order_by(storage.PurchaseOrder.ordinal)).all()
    # the orders' findings with and without a line number, which the ORM's bulk insert split
    assert with_line and without_line and lines == ORDERS * 5
    assert ids == outcome.order_ids  # each order's id is its own, in the document's order
    for table in ("finding", "purchase_order", "order_line"):
        assert seen[f"INSERT INTO {table}"] <= 2, seen
