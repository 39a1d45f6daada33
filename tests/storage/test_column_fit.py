"""Values wider than their columns, which PostgreSQL refuses (SQLite stores anything): the order is
held with a specific finding, the row carries what fits, and the canonical order keeps it all."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.truncation import VALUE_CAP
from gateway.model.truncation import capped
from partners import PartnerRegistry
from tests.servers.postgres import Postgres
from tests.servers.queue_cluster import fresh_database

WIDE_SHEET = b"PO Number," + b"P" * 80 + b"\nItem,Qty,UOM\nNW-10042,1E+20,CARTONS-OF-TWELVE\n"


def test_too_wide_values_hold_the_order_on_postgresql(postgres: Postgres) -> None:
    engine = storage.make_engine(fresh_database(postgres, "column_fit"))
    pipeline = Pipeline(storage.make_sessionmaker(engine), PartnerRegistry.from_directory())
    outcome = pipeline.ingest_stream(
        io.BytesIO(WIDE_SHEET), channel="file", filename="wide.csv", partner="acme"
    )
    with pipeline.sessions() as session:
        document = session.get(storage.Document, outcome.document_id)
        order = session.scalars(select(storage.PurchaseOrder)).one()
        line = session.scalars(select(storage.OrderLineRecord)).one()
        findings = list(session.scalars(select(storage.Finding).where(storage.Finding.order_id == order.id)))
    engine.dispose()
    assert document is not None and (document.status, document.error_code) == ("processed", None)
    assert order.status == "exception" and order.po_number == "P" * 64
    assert order.canonical["po_number"] == "P" * 80
    assert (line.uom, line.quantity) == ("CARTONS-", None)
    too_large = [f for f in findings if f.details.get("reason") == "value.too_large"]
    assert len(too_large) == 1 and too_large[0].action == "hold"
    assert set(too_large[0].details["columns"]) == {
        "po_number",
        "line 3 quantity",
        "line 3 uom",
    }  # the sheet row


def test_text_and_json_past_the_cap_are_cut_with_a_note_once() -> None:
    long = "x" * 10_000
    row = {"message": long, "details": {"quoted": [long, "short"]}, "code": "syntax"}
    changed = storage.fit_to_columns(storage.Finding.__table__, row)
    note = f" … (truncated: 10,000 characters, showing the first {VALUE_CAP:,})"
    assert row["message"] == "x" * VALUE_CAP + note
    assert row["details"] == {"quoted": ["x" * VALUE_CAP + note, "short"]}
    assert [column for column, _ in changed] == ["message", "details"]
    assert capped(row["message"]) == row["message"]  # cut once: the note keeps the first length
    assert capped("y" * 5000, total=52_428_800).endswith(
        "(truncated: 52,428,800 characters, showing the first 4,096)"
    )


def test_a_long_text_deep_in_a_json_value_is_capped_and_one_at_the_cap_is_left_whole() -> None:
    """JSON values are first walked for a string over the cap (``any_over_cap``, which builds nothing),
    and capped only when one is found: deep in a list, quotes, accents; one at the cap exactly stays."""
    for text in ("x" * (VALUE_CAP + 1), '"' * (VALUE_CAP + 1), "\u00e9" * (VALUE_CAP + 1)):
        row: dict[str, Any] = {"canonical": {"lines": [{"notes": ["short", text]}], "po_number": "P1"}}
        changed = storage.fit_to_columns(storage.PurchaseOrder.__table__, row)
        assert row["canonical"]["lines"][0]["notes"] == ["short", capped(text)], text[:3]
        assert [column for column, _ in changed] == ["canonical"]
    whole: dict[str, Any] = {"canonical": {"notes": ["x" * VALUE_CAP, "y" * VALUE_CAP]}}
    assert storage.fit_to_columns(storage.PurchaseOrder.__table__, whole) == []
    assert whole["canonical"]["notes"] == ["x" * VALUE_CAP, "y" * VALUE_CAP]


def test_a_number_is_kept_only_when_finite_and_below_its_columns_first_too_large_value() -> None:
    table = storage.PurchaseOrder.__table__  # order_total: Numeric(18, 4), 14 digits before the point
    bound = Decimal(10) ** 14
    kept = [Decimal("0"), Decimal("-12.5"), bound - Decimal("0.0001"), -(bound - 1), 99]
    dropped = [
        bound,
        -bound,
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        10**14,
    ]
    for value in kept:
        row: dict[str, Any] = {"order_total": value}
        assert storage.fit_to_columns(table, row) == [] and row["order_total"] == value
    for value in dropped:
        row = {"order_total": value}
        [(column, what)] = storage.fit_to_columns(table, row)
        assert column == "order_total" and row["order_total"] is None and "14 digits" in what, value
