"""Editing every header field and every line on the desk: provenance, audit, locking, validation, no 5xx."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy import update

from gateway import desk
from gateway import storage
from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import Order
from partners import PartnerRegistry
from tests.conftest import INBOX
from tests.desk._orders import only_order
from tests.desk.test_desk_learning import FIRST
from tests.documents.layout_documents import layout_pdf
from tests.web.test_web_desk_support import ERP
from tests.web.test_web_desk_support import NOW
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import open_app
from tests.web.test_web_desk_support import post
from tests.web.test_web_desk_support import shared_clerk_store

KEYED_AT = NOW.isoformat(timespec="seconds")


@pytest.fixture
def web(
    master_template: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DeskApp, Pipeline]]:
    """The desk app over a store with the demo master data and a clerk, and a pipeline on the same store."""
    store = shared_clerk_store(master_template, tmp_path_factory)
    partners = PartnerRegistry.from_directory()
    app, app_engine = open_app(store, tmp_path / "app", partners=partners)
    yield app, Pipeline(app.sessions, partners, clock=lambda: NOW, erp_kind=ERP)
    app_engine.dispose()  # type: ignore[attr-defined]


def pdf_order(pipeline: Pipeline, po: str = "VK-2026-0500") -> storage.PurchaseOrder:
    """A PDF order whose PO number the reader does not find (its label is not one it knows)."""
    data = layout_pdf(po, "11/13/2026", FIRST)
    outcome = pipeline.ingest_stream(io.BytesIO(data), channel="demo", filename=f"{po}.pdf", partner="acme")
    return only_order(pipeline.sessions, outcome.order_ids)


def test_approving_a_pdf_order_without_a_po_number_holds_it_on_the_field_and_the_clerk_keys_it(
    web: tuple[DeskApp, Pipeline],
) -> None:
    app, pipeline = web
    stored = pdf_order(pipeline)
    assert Order.model_validate(stored.canonical).po_number is None and stored.status == "exception"
    client = app.client("alice")
    page = f"/orders/{stored.id}"
    response = post(client, f"{page}/approve", {"version": 1}, page=page)
    assert response.status_code < 500, response.text[-2000:]
    assert response.status_code == 303
    shown = client.get(page).text
    header = shown[shown.index('id="field-po_number"') :]
    header = header[: header.index("</tr>")]
    assert 'data-code="missing_field"' in header and 'data-testid="po-number-form"' in header
    assert app.order(stored.id).status == "exception"
    version = app.order(stored.id).version
    keyed = post(client, f"{page}/po-number", {"version": version, "po_number": "VK-2026-0500"}, page=page)
    assert keyed.status_code == 303


def edi_order(pipeline: Pipeline, tmp_path: Path, po: str = "4500060001") -> storage.PurchaseOrder:
    """The demo acme 850 under another PO, its line 3 ordering an item nobody sells: held for the desk."""
    data = (INBOX / "acme-4500012345.edi").read_bytes()
    data = data.replace(b"4500012345", po.encode()).replace(b"000001001", b"0" + po[-8:].encode())
    path = tmp_path / f"{po}.edi"
    path.write_bytes(data.replace(b"NW-30555", b"NW-99001"))
    return only_order(
        pipeline.sessions, pipeline.ingest_path(path, channel="demo").order_ids, status="exception"
    )


def canonical(app: DeskApp, order_id: int) -> Order:
    return Order.model_validate(app.order(order_id).canonical)


def history(app: DeskApp, order_id: int) -> list[storage.AuditEntry]:
    with app.sessions() as session:
        return desk.order_history(session, order_id)


class Clerk:
    """The desk's actions as alice, each in its own committed transaction, as a request runs them."""

    def __init__(self, app: DeskApp) -> None:
        self.app = app
        self.desk = OrderDesk(PartnerRegistry.from_directory(), erp_kind=ERP, clock=lambda: NOW)

    def __call__(self, action: str, order_id: int, **kw: Any) -> desk.DeskOutcome:
        version = kw.pop("version", None) or self.app.order(order_id).version
        with self.app.sessions() as session, session.begin():
            alice = desk.find_user(session, "alice")
            assert alice is not None
            outcome: desk.DeskOutcome = getattr(self.desk, action)(session, order_id, version, alice, **kw)
            return outcome


def test_a_stored_order_that_does_not_read_back_answers_422_on_approve_never_500(
    web: tuple[DeskApp, Pipeline],
) -> None:
    app, pipeline = web
    stored = pdf_order(pipeline)
    broken = dict(stored.canonical)
    broken["lines"] = [{k: v for k, v in line.items() if k != "line_no"} for line in broken["lines"]]
    with app.sessions() as session, session.begin():
        session.execute(
            update(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.id == stored.id)
            .values(canonical=broken)
        )
    client = app.client("alice")
    page = f"/orders/{stored.id}"
    response = post(client, f"{page}/approve", {"version": 1}, page=page)
    assert response.status_code == 422
    said = html.unescape(response.text)
    assert "the order as stored cannot be read (lines.0.line_no: field required" in said
    assert app.order(stored.id).version == 1 and app.order(stored.id).status == "exception"


def test_header_edits_each_keyed_audited_and_locked(web: tuple[DeskApp, Pipeline]) -> None:
    app, pipeline = web
    clerk = Clerk(app)
    order_id = pdf_order(pipeline).id
    clerk("correct_po_number", order_id, po_number="VK-2026-0500")
    clerk("correct_po_date", order_id, po_date=date(2026, 11, 13))
    clerk("correct_customer", order_id, partner="globex")
    clerk("correct_currency", order_id, currency=" eur ")
    clerk(
        "correct_ship_to",
        order_id,
        values={"name": "Globex DC 3", "id": None, "lines": "12 Quay Street\nUnit 4", "city": "Hamburg",
                "postal_code": "20457", "country": "de", "region": ""},
    )  # fmt: skip
    done = clerk("correct_date", order_id, qualifier="010", value=date(2026, 12, 2))
    assert done.version == 7
    stored, order = app.order(order_id), canonical(app, order_id)
    assert (stored.po_number, stored.po_key, stored.po_date) == (
        "VK-2026-0500",
        "vk20260500",
        date(2026, 11, 13),
    )
    assert (stored.partner, stored.customer_account, stored.currency) == ("globex", "C2002", "EUR")
    assert (order.partner, order.currency) == ("globex", "EUR")
    ship_to = order.ship_to
    assert ship_to is not None and ship_to.address is not None
    assert (ship_to.name, ship_to.address.lines, ship_to.address.city, ship_to.address.country) == (
        "Globex DC 3", ["12 Quay Street", "Unit 4"], "Hamburg", "DE",
    )  # fmt: skip
    [requested] = order.dates
    assert (requested.qualifier, requested.value) == ("010", date(2026, 12, 2))
    keyed = f"keyed by alice at {KEYED_AT}"
    for source in (
        order.provenance["po_number"],
        order.provenance["po_date"],
        order.provenance["partner"],
        order.provenance["currency"],
        ship_to.provenance["name"],
        ship_to.address.provenance["city"],
        requested.provenance["value"],
    ):
        assert source.keyed == keyed
    entries = history(app, order_id)
    assert [e.action for e in entries] == [
        "order.correct_po_number",
        "order.correct_po_date",
        "order.correct_customer",
        "order.correct_currency",
        "order.correct_ship_to",
        "order.correct_date",
    ]
    assert (entries[2].before, entries[2].after) == (
        {"version": 3, "customer": "acme"},
        {"version": 4, "customer": "globex"},
    )
    assert entries[4].before == {"version": 5, "ship_to.name": None, "ship_to.lines": None, "ship_to.city": None,
                                 "ship_to.postal_code": None, "ship_to.country": None}  # fmt: skip
    assert (entries[4].after or {})["ship_to.lines"] == "12 Quay Street\nUnit 4"
    assert entries[5].before == {"version": 6, "dates[010]": None}
    # the first edit kept the order as read, for the 855
    received = Order.model_validate(app.order(order_id).received_canonical)
    assert received.po_number is None and received.partner == "acme"
    # locking: a stale version is refused with who changed it
    with pytest.raises(desk.StaleOrder, match="changed by alice"):
        clerk("correct_currency", order_id, currency="USD", version=3)
    for action, kw, message in (
        ("correct_customer", {"partner": "nobody"}, "no partner 'nobody'"),
        ("correct_currency", {"currency": "EURO"}, "three-letter ISO code"),
        ("correct_currency", {"currency": "EUR"}, "already the value"),
        ("correct_ship_to", {"values": {"country": "Deutschland"}}, "two- or three-letter code"),
        ("correct_date", {"qualifier": "001", "value": date(2026, 12, 9)}, "no date 001"),
    ):
        with pytest.raises(desk.InvalidChange, match=message):
            clerk(action, order_id, **kw)
    assert app.order(order_id).version == 7


def test_add_split_and_remove_lines_then_approve_validates_them_as_the_pipeline_does(
    web: tuple[DeskApp, Pipeline],
) -> None:
    app, pipeline = web
    clerk = Clerk(app)
    order_id = pdf_order(pipeline).id
    clerk("correct_po_number", order_id, po_number="VK-2026-0501")
    clerk("pick_sku", order_id, line_no="1", sku="NW-10042")
    clerk("pick_sku", order_id, line_no="2", sku="NW-30555")
    added = clerk("add_line", order_id, sku="nw-20017", quantity="3", unit_price="52.80")
    [entry] = [e for e in history(app, order_id) if e.id == added.audit_id]
    assert entry.after == {
        "version": 5,
        "lines[3]": {
            "sku": "NW-20017",
            "buyer_part": None,
            "quantity": "3",
            "uom": "CA",
            "unit_price": "52.8",
        },
    }
    split = clerk("split_line", order_id, line_no="1", quantity="12")  # whole packs of 12
    [entry] = [e for e in history(app, order_id) if e.id == split.audit_id]
    assert entry.before == {"version": 5, "lines[1].quantity": "24", "lines[1-2]": None}
    after = entry.after or {}
    assert after["lines[1].quantity"] == "12" and after["lines[1-2]"]["quantity"] == "12"
    order = canonical(app, order_id)
    assert [
        (x.line_no, x.sku, x.quantity.value if x.quantity else None, x.split_from) for x in order.lines
    ] == [
        ("1", "NW-10042", 12, None),
        ("1-2", "NW-10042", 12, "1"),
        ("2", "NW-30555", 2, None),
        ("3", "NW-20017", 3, None),
    ]
    assert order.lines[1].provenance["quantity"].keyed_by == "alice"
    assert order.lines[3].provenance["sku"].keyed == f"keyed by alice at {KEYED_AT}"
    for action, kw, message in (
        ("split_line", {"line_no": "2", "quantity": "2"}, "both parts must be above zero"),
        ("split_line", {"line_no": "9", "quantity": "1"}, "has no line 9"),
        ("add_line", {"sku": "NOT-A-SKU", "quantity": "1"}, "not an active item"),
        ("add_line", {"sku": "NW-10042", "quantity": "0"}, "above zero"),
        ("add_line", {"sku": "NW-10042", "quantity": "1", "unit_price": "-1"}, "zero or more"),
    ):
        with pytest.raises(desk.InvalidChange, match=message):
            clerk(action, order_id, **kw)
    clerk("remove_line", order_id, line_no="2")
    with app.sessions() as session:
        rows = session.scalars(
            select(storage.OrderLineRecord.line_no).where(storage.OrderLineRecord.order_id == order_id)
        ).all()
    assert sorted(rows) == ["1", "1-2", "3"]
    approved = clerk("approve", order_id)
    assert approved.status == "accepted", approved.blocking
    assert app.order(order_id).order_total == Decimal("24") * Decimal("4.50") + Decimal("3") * Decimal(
        "52.80"
    )


def test_the_last_line_cannot_be_removed_and_an_edi_order_takes_no_new_line_or_customer(
    web: tuple[DeskApp, Pipeline], tmp_path: Path
) -> None:
    app, pipeline = web
    clerk = Clerk(app)
    pdf = pdf_order(pipeline).id
    clerk("remove_line", pdf, line_no="2")
    with pytest.raises(desk.InvalidChange, match="only line; reject the order instead"):
        clerk("remove_line", pdf, line_no="1")
    edi = edi_order(pipeline, tmp_path).id
    with pytest.raises(desk.InvalidChange, match="ask the partner for a change order"):
        clerk("add_line", edi, sku="NW-10042", quantity="1")
    with pytest.raises(desk.InvalidChange, match="EDI order's customer"):
        clerk("correct_customer", edi, partner="globex")


def test_the_855_after_a_substitution_a_removed_line_and_a_split_answers_the_buyers_lines(
    web: tuple[DeskApp, Pipeline], tmp_path: Path
) -> None:
    """End to end through the web app: the clerk picks another item, splits a line and removes one."""
    app, pipeline = web
    order_id = edi_order(pipeline, tmp_path).id
    client = app.client("alice")
    page = f"/orders/{order_id}"
    shown = client.get(page).text
    assert 'data-testid="split-line-form"' in shown and 'data-testid="remove-line-form"' in shown
    assert 'data-testid="add-line-form"' not in shown  # an EDI order's lines are the partner's
    steps = [
        ("pick-sku", {"line_no": "3", "sku": "NW-30555"}),
        ("split-line", {"line_no": "1", "quantity": "12"}),  # whole packs of 12: validation holds others
        ("remove-line", {"line_no": "2"}),
    ]
    for version, (action, data) in enumerate(steps, start=1):
        response = post(client, f"{page}/{action}", {"version": version, **data}, page=page)
        assert response.status_code == 303, html.unescape(response.text)[-1500:]
    shown = html.unescape(client.get(page).text)
    assert "Line 2 is removed." in shown and shown.count(f"keyed by alice at {KEYED_AT}") >= 2
    assert "Split off line 1 on the desk." in shown
    history = shown[shown.index('data-testid="history"') :]
    assert "Split a line" in history and "Removed a line" in history
    response = post(client, f"{page}/approve", {"version": 4}, page=page)
    with app.sessions() as session:
        held = session.scalars(select(storage.Finding).where(storage.Finding.order_id == order_id)).all()
    assert response.status_code == 303 and app.order(order_id).status == "accepted", [
        (f.code, f.action, f.line_no, f.message) for f in held
    ]
    ack = next((o for o in app.outbound(order_id) if o.kind == "855"), None)
    assert ack is not None, [(o.kind, o.status, o.content[:300]) for o in app.outbound(order_id)]
    body = [s.strip().split("*") for s in ack.content.decode().split("~") if s.strip()]
    assert next(s for s in body if s[0] == "BAK")[2] == "AC"
    lines = [s for s in body if s[0] in ("PO1", "ACK")]
    assert [s[:3] for s in lines] == [
        ["PO1", "1", "24"], ["ACK", "IA", "12"], ["ACK", "IA", "12"],
        ["PO1", "2", "6"], ["ACK", "IR", "6"],
        ["PO1", "3", "10"], ["ACK", "IS", "10"],
    ]  # fmt: skip
    assert lines[0][6:8] == ["VN", "NW-10042"] and lines[5][6:8] == ["VN", "NW-99001"]
    assert lines[6][7:9] == ["VN", "NW-30555"]
    assert re.search(r"CTT\*3\*40", ack.content.decode())


def test_header_and_line_forms_on_a_pdf_order_key_the_values_shown_with_who_keyed_them(
    web: tuple[DeskApp, Pipeline],
) -> None:
    app, pipeline = web
    order_id = pdf_order(pipeline).id
    client = app.client("alice")
    page = f"/orders/{order_id}"
    shown = client.get(page).text
    for form in (
        "customer-form",
        "currency-form",
        "ship-to-form",
        "add-date-form",
        "add-line-form",
        "po-number-form",
    ):
        assert f'data-testid="{form}"' in shown, form
    steps: list[tuple[str, dict[str, str]]] = [
        ("po-number", {"po_number": "VK-2026-0502"}),
        ("customer", {"partner": "initech"}),
        ("currency", {"currency": "usd"}),
        ("ship-to", {"name": "Initech Plant 2", "party_id": "", "lines": "1 Loop Rd", "city": "Austin",
                     "region": "TX", "postal_code": "78701", "country": "US"}),
        ("date", {"qualifier": "002", "value": "2026-12-04"}),
        ("add-line", {"sku": "NW-20017", "quantity": "1", "uom": "", "unit_price": ""}),
    ]  # fmt: skip
    for version, (action, data) in enumerate(steps, start=1):
        response = post(client, f"{page}/{action}", {"version": version, **data}, page=page)
        assert response.status_code == 303, html.unescape(response.text)[-1500:]
    shown = html.unescape(client.get(page).text)
    assert "A line ordering NW-20017 is added." in shown
    assert f"not read from the document: keyed by alice at {KEYED_AT}" in shown  # the source pane says so
    header = shown[shown.index('data-testid="header"') : shown.index('data-testid="lines"')]
    keyed = f"keyed by alice at {KEYED_AT}"
    for field in ("po_number", "partner", "currency", "name", "value"):
        assert f'data-field="{field}">{keyed}' in header, field
    assert "Initech Plant 2 · 1 Loop Rd · Austin" in header and "C3003" in header
    refused = post(client, f"{page}/currency", {"version": 7, "currency": "dollars"}, page=page)
    assert refused.status_code == 422 and "Currency" in html.unescape(refused.text)
    refused = post(client, f"{page}/split-line", {"version": 7, "line_no": "1", "quantity": "99"}, page=page)
    assert refused.status_code == 422 and "both parts must be above zero" in html.unescape(refused.text)
    assert app.order(order_id).version == 7


def test_a_keyed_price_is_checked_against_the_agreement_on_approval(web: tuple[DeskApp, Pipeline]) -> None:
    app, pipeline = web
    clerk = Clerk(app)
    order_id = pdf_order(pipeline).id
    clerk("correct_po_number", order_id, po_number="VK-2026-0503")
    clerk("pick_sku", order_id, line_no="1", sku="NW-10042")
    clerk("pick_sku", order_id, line_no="2", sku="NW-30555")
    done = clerk("correct_price", order_id, line_no="1", unit_price="3.10")
    [entry] = [e for e in history(app, order_id) if e.id == done.audit_id]
    assert (entry.before, entry.after) == (
        {"version": 4, "lines[1].unit_price": "4.5"},
        {"version": 5, "lines[1].unit_price": "3.1"},
    )
    assert canonical(app, order_id).lines[0].provenance["unit_price"].keyed_by == "alice"
    held = clerk("approve", order_id)
    assert held.status == "exception"
    assert [(f["code"], f["line_no"]) for f in held.blocking] == [("price_mismatch", "1")]
    client = app.client("alice")
    page = f"/orders/{order_id}"
    response = post(client, f"{page}/price", {"version": 6, "line_no": "1", "unit_price": "4.50"}, page=page)
    assert response.status_code == 303
    assert clerk("approve", order_id).status == "accepted"
