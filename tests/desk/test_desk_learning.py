"""Learning a sender's layout from the desk: a clerk's corrections teach where its PDFs put the PO number
and the part numbers; its next document is read right, another sender's is not, and the hints can be
exported into the profile or forgotten."""

from __future__ import annotations

import io
import tomllib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway import desk
from gateway import storage
from gateway.cli.commands import main
from gateway.desk._learning import _generic_title
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import Order
from parsers import parse
from partners import LayoutHint
from partners import PartnerRegistry
from tests.documents.layout_documents import DATE_LABEL
from tests.documents.layout_documents import PART_TITLE
from tests.documents.layout_documents import PO_LABEL
from tests.documents.layout_documents import layout_pdf
from tests.documents.layout_documents import layout_sheet
from tests.servers.postgres import store_url
from tests.web.test_web_desk_support import ERP
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import post
from tests.web.test_web_desk_support import shared_clerk_store
from tests.web.test_web_desk_support import staffed_store

FIRST = [
    ("NW-10042", "WIDGET BLUE 10MM", 24, Decimal("4.50")),
    ("NW-30555", "HEX KEY SET METRIC", 2, Decimal("12.00")),
]
SECOND = [("NW-20017", "BOLT M8X40 ZINC CASE/100", 3, Decimal("52.80")),
          ("NW-10042", "WIDGET BLUE 10MM", 12, Decimal("4.50"))]  # fmt: skip


@pytest.fixture
def learning(
    master_template: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DeskApp, Pipeline, str]]:
    """The desk app over a store with the demo master data and a clerk, a pipeline on the same store, its URL."""
    store = shared_clerk_store(master_template, tmp_path_factory)
    partners = PartnerRegistry.from_directory()
    app, app_engine = open_app(store, tmp_path / "app", partners=partners)
    pipeline = Pipeline(app.sessions, partners, clock=lambda: NOW, erp_kind=ERP)
    yield app, pipeline, f"sqlite:///{tmp_path / 'app' / 'gateway.db'}"
    app_engine.dispose()  # type: ignore[attr-defined]


def ingest(pipeline: Pipeline, data: bytes, partner: str, name: str) -> storage.PurchaseOrder:
    outcome = pipeline.ingest_stream(io.BytesIO(data), channel="demo", filename=name, partner=partner)
    assert len(outcome.order_ids) == 1, outcome
    with pipeline.sessions() as session:
        stored = session.get(storage.PurchaseOrder, outcome.order_ids[0])
        assert stored is not None
        return stored


def read(stored: storage.PurchaseOrder) -> tuple[str | None, list[str | None], list[str | None]]:
    """The PO number, the lines' part numbers and descriptions as read."""
    order = Order.model_validate(stored.canonical)
    return (
        order.po_number,
        [line.vendor_sku for line in order.lines],
        [line.description for line in order.lines],
    )


def hints(app: DeskApp) -> set[tuple[str, str, str, str, str, int]]:
    with app.sessions() as session:
        rows = session.scalars(select(storage.LayoutHintRecord))
        return {(r.partner, r.kind, r.field, r.label, r.geometry, r.support) for r in rows}


def audit(app: DeskApp, action: str) -> list[storage.AuditEntry]:
    entry = storage.AuditEntry
    with app.sessions() as session:
        return list(session.scalars(select(entry).where(entry.action == action).order_by(entry.id)))


def test_a_corrected_po_number_and_part_teach_the_senders_next_pdf(
    learning: tuple[DeskApp, Pipeline, str],
) -> None:
    app, pipeline, url = learning
    first = ingest(pipeline, layout_pdf("VK-2026-0117", "11/13/2026", FIRST), "acme", "req-0117.pdf")
    # The generic reader knows neither the label nor the column title: nothing to learn from yet.
    assert read(first)[:2] == (None, [None, None]) and first.layout_learned_from is None
    assert first.status == "exception"

    client = app.client("alice")
    page = f"/orders/{first.id}"
    shown = client.get(page).text
    assert 'data-testid="po-number-form"' in shown and 'data-testid="learned-layout"' not in shown
    response = post(client, f"{page}/po-number", {"version": 1, "po_number": " VK-2026-0117 "}, page=page)
    assert response.status_code == 303
    shown = client.get(page).text
    assert "The PO number is now VK-2026-0117." in shown
    assert f"Learned for this sender: the PO number follows “{PO_LABEL}” (seen once)." in shown
    response = post(client, f"{page}/pick-sku", {"version": 2, "line_no": "1", "sku": "NW-10042"}, page=page)
    assert response.status_code == 303
    assert f"the part number is in the column “{PART_TITLE}”" in client.get(page).text
    assert app.order(first.id).po_number == "VK-2026-0117"
    assert hints(app) == {
        ("acme", "pdf", "po_number", PO_LABEL, "right", 1),
        ("acme", "pdf", "vendor_sku", PART_TITLE, "column", 1),
    }
    learned = audit(app, "layout.learn")
    assert [(e.actor, e.subject_id) for e in learned] == [
        ("alice", "acme:pdf:po_number"),
        ("alice", "acme:pdf:vendor_sku"),
    ]
    assert learned[0].before is None and learned[0].after == {
        "label": PO_LABEL, "geometry": "right", "support": 1, "document_id": first.document_id,
    }  # fmt: skip

    # The same layout from the same sender, other values: read right, and the desk says how.
    second = ingest(pipeline, layout_pdf("VK-2026-0242", "11/25/2026", SECOND), "acme", "req-0242.pdf")
    assert read(second) == (
        "VK-2026-0242",
        ["NW-20017", "NW-10042"],
        ["BOLT M8X40 ZINC CASE/100", "WIDGET BLUE 10MM"],
    )
    assert second.layout_learned_from == 2
    shown = client.get(f"/orders/{second.id}").text
    assert "Read with the layout learned from 2 corrections" in shown

    # Another sender's document of that layout is read the generic way.
    other = ingest(pipeline, layout_pdf("VK-2026-0311", "11/16/2026", SECOND), "globex", "req-0311.pdf")
    assert read(other)[:2] == (None, [None, None]) and other.layout_learned_from is None
    assert 'data-testid="learned-layout"' not in client.get(f"/orders/{other.id}").text

    # Exported as TOML into the profile, the hints read the second document the same way, unaided.
    cli = CliRunner()
    exported = cli.invoke(main, ["partners", "layout", "acme"], env={"GATEWAY_DATABASE_URL": url})
    assert exported.exit_code == 0, exported.output
    settings = tomllib.loads(exported.output)
    assert settings == {"pdf_anchors": {"po_number": PO_LABEL}, "sheet_columns": {PART_TITLE: "vendor_sku"}}
    partners = PartnerRegistry.from_directory()
    acme = partners.get("acme")
    assert acme is not None
    profiled = acme.model_copy(update=settings)
    again = parse(layout_pdf("VK-2026-0242", "11/25/2026", SECOND), partners=partners, partner=profiled)
    with pipeline.sessions() as session:
        stored = session.get(storage.PurchaseOrder, second.id)
        assert stored is not None
        learned_read = Order.model_validate(stored.canonical)
    assert [o.order.po_number for o in again.orders] == [learned_read.po_number]
    assert [line.vendor_sku for line in again.orders[0].order.lines] == [
        line.vendor_sku for line in learned_read.lines
    ]

    # Forgotten (audited), the sender's next document is read the generic way again.
    forgot = cli.invoke(main, ["partners", "forget-layout", "acme"], env={"GATEWAY_DATABASE_URL": url})
    assert forgot.exit_code == 0, forgot.output
    assert "forgot pdf po_number" in forgot.output and hints(app) == set()
    assert [(e.actor, e.subject_id, e.after) for e in audit(app, "layout.forget")] == [
        ("cli", "acme:pdf:po_number", None),
        ("cli", "acme:pdf:vendor_sku", None),
    ]
    after = ingest(pipeline, layout_pdf("VK-2026-0400", "11/07/2026", SECOND), "acme", "req-0400.pdf")
    assert read(after)[:2] == (None, [None, None]) and after.layout_learned_from is None
    nothing = cli.invoke(main, ["partners", "layout", "acme"], env={"GATEWAY_DATABASE_URL": url})
    assert nothing.exit_code == 1 and "nothing learned for partner 'acme'" in nothing.output


def test_an_order_read_without_a_po_number_shows_on_the_desk_and_takes_one(
    learning: tuple[DeskApp, Pipeline, str],
) -> None:
    """Stored without a PO number (left out of its JSON), the order still reads back for the desk."""
    app, pipeline, _ = learning
    stored = ingest(pipeline, layout_pdf("VK-2026-0500", "11/13/2026", FIRST), "acme", "req-0500.pdf")
    assert "po_number" not in stored.canonical and Order.model_validate(stored.canonical).po_number is None
    client = app.client("alice")
    page = f"/orders/{stored.id}"
    shown = client.get(page).text
    assert "cannot be read back" not in shown and "(no PO number)" in shown
    assert (
        post(client, f"{page}/po-number", {"version": 1, "po_number": "VK-2026-0500"}, page=page).status_code
        == 303
    )


def test_a_picked_part_on_a_sheet_teaches_its_column_title_and_approval_confirms_it(
    learning: tuple[DeskApp, Pipeline, str],
) -> None:
    app, pipeline, _ = learning
    first = ingest(pipeline, layout_sheet("SH-0001", FIRST), "acme", "req-sh-0001.xlsx")
    assert read(first)[:2] == ("SH-0001", [None, None]) and first.status == "exception"
    line_no = Order.model_validate(first.canonical).lines[0].line_no
    client = app.client("alice")
    page = f"/orders/{first.id}"
    response = post(
        client, f"{page}/pick-sku", {"version": 1, "line_no": line_no, "sku": "NW-10042"}, page=page
    )
    assert response.status_code == 303
    assert f"the part number is in the column “{PART_TITLE}” (seen once)" in client.get(page).text
    assert hints(app) == {("acme", "sheet", "vendor_sku", PART_TITLE, "column", 1)}

    second = ingest(pipeline, layout_sheet("SH-0002", SECOND), "acme", "req-sh-0002.xlsx")
    assert read(second)[:2] == ("SH-0002", ["NW-20017", "NW-10042"]) and second.layout_learned_from == 1
    assert second.status == "accepted"  # nothing for the desk to do

    # Held for a price only: approved with the parts as read, it confirms the learned column.
    held = ingest(
        pipeline, layout_sheet("SH-0003", [(*FIRST[0][:3], Decimal("4.95"))]), "acme", "req-sh-0003.xlsx"
    )
    assert read(held)[:2] == ("SH-0003", ["NW-10042"]) and held.status == "exception"
    page = f"/orders/{held.id}"
    line_no = Order.model_validate(held.canonical).lines[0].line_no
    reason = {"version": 1, "line_no": line_no, "reason": "promotion agreed by sales"}
    assert post(client, f"{page}/accept-price", reason, page=page).status_code == 303
    assert post(client, f"{page}/approve", {"version": 2}, page=page).status_code == 303
    assert app.order(held.id).status == "accepted"
    assert hints(app) == {("acme", "sheet", "vendor_sku", PART_TITLE, "column", 2)}
    confirmed = audit(app, "layout.confirm")
    assert [(e.actor, e.subject_id, e.before, e.after) for e in confirmed] == [
        ("alice", "acme:sheet:vendor_sku", {"label": PART_TITLE, "geometry": "column", "support": 1},
         {"label": PART_TITLE, "geometry": "column", "support": 2, "document_id": held.document_id}),
    ]  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_learning_forgetting_and_reading_with_the_hints_on_each_store(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The desk's actions and the pipeline on SQLite and PostgreSQL: a corrected PO date teaches its
    label, which then wins over the generic reading; a value left as read or not in the document
    teaches nothing; a second correction of the same place adds support."""
    url = store_url(backend, request, tmp_path, "desk_learning", seeded=True)
    engine = storage.make_engine(url)
    try:
        sessions, users = staffed_store(engine, {"alice": "clerk"}, at=NOW)
        alice = users["alice"]
        partners = PartnerRegistry.from_directory()
        pipeline = Pipeline(sessions, partners, clock=lambda: NOW, erp_kind=ERP)
        order_desk = desk.OrderDesk(partners, erp_kind=ERP, clock=lambda: NOW)

        def act(name: str, order_id: int, version: int, **kw: object) -> desk.DeskOutcome:
            with sessions() as session, session.begin():
                outcome: desk.DeskOutcome = getattr(order_desk, name)(session, order_id, version, alice, **kw)
                return outcome

        first = ingest(pipeline, layout_pdf("VK-1", "11/13/2026", FIRST), "acme", "a.pdf")
        assert first.po_date != date(2026, 11, 13)  # the generic reader takes another date, or none
        assert act("correct_po_number", first.id, 1, po_number="VK-1").learned is not None
        unit = act("correct_quantity", first.id, 2, line_no="2", quantity="2", uom="CA")
        assert unit.learned is None  # the quantity stays as read (only its unit changed): nothing to learn
        assert act("correct_quantity", first.id, 3, line_no="2", quantity="3").learned is None  # not written
        dated = act("correct_po_date", first.id, 4, po_date=date(2026, 11, 13)).learned
        assert dated is not None and (dated.label, dated.geometry, dated.support) == (DATE_LABEL, "right", 1)

        second = ingest(pipeline, layout_pdf("VK-2", "11/25/2026", SECOND), "acme", "b.pdf")
        assert (read(second)[0], second.po_date, second.layout_learned_from) == (
            "VK-2",
            date(2026, 11, 25),
            2,
        )
        assert (
            act("correct_po_number", second.id, 1, po_number="VK-2x").learned is None
        )  # not in the document
        again = act("correct_po_number", second.id, 2, po_number="VK-2").learned
        assert again is not None and again.support == 2
        with sessions() as session, session.begin():
            assert storage.learned_hints(session)["acme"] == [
                LayoutHint("pdf", "po_number", PO_LABEL, "right", 2),
                LayoutHint("pdf", "po_date", DATE_LABEL, "right", 1),
            ]
            gone = storage.forget_hints(session, partner="acme", actor="cli", at=NOW, field="po_number")
            assert [row.field for row in gone] == ["po_number"]
        third = ingest(pipeline, layout_pdf("VK-3", "11/16/2026", SECOND), "acme", "c.pdf")
        assert (read(third)[0], third.po_date, third.layout_learned_from) == (None, date(2026, 11, 16), 1)
    finally:
        engine.dispose()


def test_an_edi_orders_po_number_is_not_corrected_on_the_desk(
    master_template: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    store = desk_store(master_template, tmp_path_factory)
    app, engine = open_app(store, tmp_path / "app")
    try:
        order_id = app.order_id(UNKNOWN_SKU_PO)
        client = app.client("alice")
        page = f"/orders/{order_id}"
        assert 'data-testid="po-number-form"' not in client.get(page).text
        response = post(client, f"{page}/po-number", {"version": 1, "po_number": "X-1"}, page=page)
        assert response.status_code == 422 and "is the partner&#39;s own" in response.text
        assert app.order(order_id).po_number == UNKNOWN_SKU_PO and app.order(order_id).version == 1
    finally:
        engine.dispose()  # type: ignore[attr-defined]


def test_a_sheet_column_the_generic_sheet_reader_already_names_is_not_learned() -> None:
    """The sheet reader takes identifier titles ("product_uom_qty") that the PDF vocabulary does not."""
    assert _generic_title("sheet", "product_uom_qty") == "quantity"
    assert _generic_title("pdf", "product_uom_qty") is None
