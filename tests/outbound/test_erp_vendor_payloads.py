"""The five vendor payloads added for issue 21: each checked against a schema written from the vendor's docs.

SAP Business One, QuickBooks Online, Fortnox and Visma.net against JSON Schemas under
fixtures/erp_schemas/; Sage Intacct's XML against the element order of the XML API reference
("XML Requests", "Create Order Entry Transaction (Legacy)"), parsed back with a real XML parser.
Orders come from the demo 850 read by the real parser, with ``line.sku`` set as validation would.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import OutboundDocument
from emitters import erp_fortnox
from emitters import erp_quickbooks_online
from emitters import erp_sage_intacct
from emitters import erp_sap_business_one
from emitters import erp_visma_net
from emitters._erp import idempotency_key
from gateway import storage
from gateway.cli import reports
from gateway.errors import ErpPayloadError
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import Order
from gateway.model.order import OrderPurpose
from gateway.model.status import OutboxStatus
from gateway.outbound import erp_http
from gateway.outbound.outbox import queue_erp_payload
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX

SCHEMAS = Path(__file__).resolve().parents[2] / "fixtures" / "erp_schemas"
JSON_SHAPES = {
    erp_sap_business_one: "sap_business_one",
    erp_quickbooks_online: "quickbooks_online",
    erp_fortnox: "fortnox",
    erp_visma_net: "visma_net",
}
ALL_SHAPES = [*JSON_SHAPES, erp_sage_intacct]


def emit(shape: ModuleType, order: Order, partner: PartnerProfile) -> OutboundDocument:
    document = shape.emit(order, partner, order_id=42, when=FIXED_NOW)
    assert isinstance(document, OutboundDocument) and document.kind == shape.KIND
    return document


def body(document: OutboundDocument) -> Any:
    """The payload with every JSON number read as the exact Decimal it was written as."""
    return json.loads(document.content, parse_float=Decimal, parse_int=Decimal)


def check(shape: ModuleType, document: OutboundDocument) -> None:
    schema = json.loads((SCHEMAS / f"{JSON_SHAPES[shape]}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(body(document))


@pytest.mark.parametrize("shape", list(JSON_SHAPES), ids=lambda m: m.KIND)
def test_the_demo_order_fits_the_vendor_schema(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    check(shape, emit(shape, order, acme))


@pytest.mark.parametrize("shape", list(JSON_SHAPES), ids=lambda m: m.KIND)
def test_a_bare_order_still_fits_the_vendor_schema(
    shape: ModuleType, order: Order, acme: PartnerProfile
) -> None:
    bare = order.model_copy(
        update={
            "ship_to": None,
            "currency": None,
            "po_date": None,
            "dates": [d for d in order.dates if d.qualifier == "002"],  # SAP needs its DocDueDate
        }
    )
    check(shape, emit(shape, bare, acme))


@pytest.mark.parametrize("shape", list(JSON_SHAPES), ids=lambda m: m.KIND)
def test_the_schemas_catch_a_payload_that_is_not_the_vendor_shape(shape: ModuleType) -> None:
    """The control: a schema that accepted anything would make the checks above worthless."""
    schema = json.loads((SCHEMAS / f"{JSON_SHAPES[shape]}.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"customer": "C1001", "lines": []}, schema)


def test_sap_business_one_orders_body(order: Order, acme: PartnerProfile) -> None:
    payload = body(emit(erp_sap_business_one, order, acme))
    assert payload["CardCode"] == "C1001" and payload["NumAtCard"] == "4500012345"
    assert (payload["DocDate"], payload["DocDueDate"], payload["DocCurrency"]) == (
        "2026-11-18",
        "2026-12-01",
        "USD",
    )
    assert payload["AddressExtension"]["ShipToCity"] == "Columbus"
    assert payload["DocumentLines"][1] == {
        "ItemCode": "NW-20017",
        "Quantity": 6,
        "UnitPrice": Decimal("52.80"),
    }


def test_sap_business_one_needs_a_delivery_date(order: Order, acme: PartnerProfile) -> None:
    with pytest.raises(ErpPayloadError, match="DocDueDate"):
        emit(erp_sap_business_one, order.model_copy(update={"dates": []}), acme)


def test_quickbooks_lines_carry_the_exact_amount(order: Order, acme: PartnerProfile) -> None:
    payload = body(emit(erp_quickbooks_online, order, acme))
    assert payload["CustomerRef"] == {"value": "C1001"} and "4500012345" in payload["PrivateNote"]
    line = payload["Line"][1]
    assert line["Amount"] == Decimal("316.80") and line["DetailType"] == "SalesItemLineDetail"
    assert line["SalesItemLineDetail"] == {
        "ItemRef": {"value": "NW-20017"},
        "Qty": 6,
        "UnitPrice": Decimal("52.80"),
    }
    assert (
        payload["ShipAddr"]["Line1"] == "ACME DC 12" and payload["ShipAddr"]["Line2"] == "4100 Commerce Way"
    )


def test_quickbooks_refuses_a_line_without_a_price(order: Order, acme: PartnerProfile) -> None:
    order.lines[0].unit_price = None
    with pytest.raises(ErpPayloadError, match="Amount"):
        emit(erp_quickbooks_online, order, acme)


def test_fortnox_order_rows(order: Order, acme: PartnerProfile) -> None:
    payload = body(emit(erp_fortnox, order, acme))["Order"]
    assert (payload["CustomerNumber"], payload["YourOrderNumber"]) == ("C1001", "4500012345")
    assert payload["OrderRows"][1] == {
        "ArticleNumber": "NW-20017",
        "Description": "BOLT M8X40 ZINC CASE/100",
        "OrderedQuantity": "6",
        "Price": Decimal("52.80"),
    }


def test_visma_wraps_every_value(order: Order, acme: PartnerProfile) -> None:
    payload = body(emit(erp_visma_net, order, acme))
    assert payload["orderType"] == {"value": "SO"} and payload["customerRefNo"] == {"value": "4500012345"}
    assert payload["lines"][1] == {
        "operation": "Insert",
        "inventoryNumber": {"value": "NW-20017"},
        "lineDescription": {"value": "BOLT M8X40 ZINC CASE/100"},
        "quantity": {"value": 6},
        "unitPrice": {"value": Decimal("52.80")},
    }


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda m: m.KIND)
def test_money_reaches_the_bytes_with_its_own_digits(
    shape: ModuleType, order: Order, acme: PartnerProfile
) -> None:
    """0.1 + 0.2 and a 4-place price: any float on the way would show in the bytes."""
    order.lines[0].unit_price = Decimal("0.3000")
    order.lines[1].unit_price = Decimal("1234567890.1234")
    content = emit(shape, order, acme).content
    assert b"0.3000" in content and b"1234567890.1234" in content
    assert b"0.30000000000000004" not in content and b"e+" not in content.lower()


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda m: m.KIND)
def test_same_order_same_bytes(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    assert emit(shape, order, acme).content == emit(shape, order, acme).content


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda m: m.KIND)
def test_a_change_order_is_not_a_new_order(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    with pytest.raises(ErpPayloadError):
        emit(shape, order.model_copy(update={"purpose": OrderPurpose.CHANGE}), acme)


@pytest.mark.parametrize("shape", list(JSON_SHAPES), ids=lambda m: m.KIND)
def test_a_change_fits_the_vendor_schema_and_finds_the_order_by_po_and_customer(
    shape: ModuleType, order: Order, acme: PartnerProfile
) -> None:
    """The stored update (for QuickBooks as sent: with the ``Id`` and ``SyncToken`` the look-up reads)."""
    [update] = shape.emit_update(order, acme, order_id=42, when=FIXED_NOW)
    assert update.kind == shape.KIND and update.request is not None
    content = update.content
    if shape is erp_quickbooks_online:
        found = erp_http.Found("130", {"Id": "130", "SyncToken": "7"})
        content = erp_http.complete(shape.KIND, update.request, content, found)
    check(shape, update.model_copy(update={"content": content}))
    find = update.request["find"]
    assert "4500012345" in json.dumps(find["match"]) and "C1001" in json.dumps(find["match"])
    assert "4500012345" in find["what"] and "C1001" in find["what"]


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda m: m.KIND)
def test_a_change_or_cancel_of_an_order_without_a_po_cannot_be_found(
    shape: ModuleType, order: Order, acme: PartnerProfile
) -> None:
    nameless = order.model_copy(update={"po_number": None})
    for later in (shape.emit_update, shape.emit_cancel):
        with pytest.raises(ErpPayloadError, match="without a PO number cannot be found"):
            later(nameless, acme, order_id=42, when=FIXED_NOW)


def test_visma_change_deletes_the_lines_the_order_found_has(order: Order, acme: PartnerProfile) -> None:
    [update] = erp_visma_net.emit_update(order, acme, order_id=42, when=FIXED_NOW)
    assert update.request is not None
    found = erp_http.Found("000017", {"orderNo": "000017", "lines": [{"lineNbr": 1}, {"lineNbr": 5}]})
    sent = json.loads(erp_http.complete(erp_visma_net.KIND, update.request, update.content, found))
    check(erp_visma_net, update.model_copy(update={"content": json.dumps(sent).encode()}))
    assert sent["lines"][:2] == [
        {"operation": "Delete", "lineNumber": {"value": 1}},
        {"operation": "Delete", "lineNumber": {"value": 5}},
    ]
    assert [line["operation"] for line in sent["lines"][2:]] == ["Insert"] * 3


def test_intacct_change_replaces_the_order_in_one_transaction(order: Order, acme: PartnerProfile) -> None:
    """``delete_sotransaction`` of the DOCID found, then the create, all or nothing; control ids wait for
    the payload's key, written in as it is sent (with the credentials)."""
    [update] = erp_sage_intacct.emit_update(order, acme, order_id=42, when=FIXED_NOW)
    assert update.request is not None
    found = erp_http.Found("Sales Order-SO0042", {"DOCID": "Sales Order-SO0042"})
    content = erp_http.complete(erp_sage_intacct.KIND, update.request, update.content, found)
    root = ET.fromstring(content)
    assert children(root) == REQUEST and children(root.find("control")) == CONTROL
    assert root.findtext("control/controlid") == "{key}" and root.findtext("control/uniqueid") == "true"
    operation = root.find("operation")
    assert operation is not None and operation.get("transaction") == "true"
    delete, create = root.findall("operation/content/function")
    assert (delete.get("controlid"), create.get("controlid")) == ("{key}-1", "{key}-2")
    assert delete[0].tag == "delete_sotransaction" and delete[0].get("key") == "Sales Order-SO0042"
    assert (
        in_order(children(create[0]), SOTRANSACTION_ORDER)
        and create.findtext(".//referenceno") == "4500012345"
    )
    [cancel] = erp_sage_intacct.emit_cancel(order, acme, order_id=42, when=FIXED_NOW)
    [only] = ET.fromstring(cancel.content).findall("operation/content/function")
    assert only[0].tag == "delete_sotransaction" and only[0].get("key") == "{id}"


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda m: m.KIND)
def test_a_line_with_no_item_number_is_refused(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    order.lines[0].sku = order.lines[0].vendor_sku = None
    with pytest.raises(ErpPayloadError, match="SKU"):
        emit(shape, order, acme)


# Sage Intacct: the XML API request, element by element in the order the reference gives.
REQUEST = ["control", "operation"]
CONTROL = ["senderid", "password", "controlid", "uniqueid", "dtdversion", "includewhitespace"]
LOGIN = ["userid", "companyid", "password"]
# create_sotransaction children the reference lists, in its order (the ones the gateway writes among them).
SOTRANSACTION_ORDER = [
    "transactiontype",
    "datecreated",
    "customerid",
    "referenceno",
    "message",
    "sotransitems",
]
SOTRANSITEM_ORDER = ["itemid", "itemdesc", "quantity", "price"]


def children(element: ET.Element | None) -> list[str]:
    assert element is not None
    return [child.tag for child in element]


def in_order(tags: list[str], reference: list[str]) -> bool:
    return all(tag in reference for tag in tags) and tags == sorted(tags, key=reference.index)


def test_intacct_request_envelope_structure(order: Order, acme: PartnerProfile) -> None:
    document = emit(erp_sage_intacct, order, acme)
    assert document.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(document.content)
    assert root.tag == "request" and children(root) == REQUEST
    assert children(root.find("control")) == CONTROL
    key = idempotency_key("erp.sage_intacct", "acme", 42)  # the key the outbox stores for this create
    assert root.findtext("control/controlid") == key and root.findtext("control/uniqueid") == "true"
    assert root.findtext("control/dtdversion") == "3.0"
    assert children(root.find("operation")) == ["authentication", "content"]
    assert children(root.find("operation/authentication/login")) == LOGIN
    credentials = [
        "control/senderid",
        "control/password",
        *(f"operation/authentication/login/{t}" for t in LOGIN),
    ]
    assert all(root.find(path) is not None and not root.findtext(path) for path in credentials), "none stored"
    function = root.find("operation/content/function")
    assert function is not None and function.get("controlid") == key
    transaction = function.find("create_sotransaction")
    assert children(function) == ["create_sotransaction"] and transaction is not None
    assert in_order(children(transaction), SOTRANSACTION_ORDER)
    assert transaction.findtext("transactiontype") == "Sales Order"
    assert [transaction.findtext(f"datecreated/{p}") for p in ("year", "month", "day")] == [
        "2026",
        "11",
        "18",
    ]
    assert (transaction.findtext("customerid"), transaction.findtext("referenceno")) == (
        "C1001",
        "4500012345",
    )
    items = transaction.findall("sotransitems/sotransitem")
    assert len(items) == 3 and all(in_order(children(item), SOTRANSITEM_ORDER) for item in items)
    assert [(i.findtext("itemid"), i.findtext("quantity"), i.findtext("price")) for i in items] == [
        ("NW-10042", "24", "4.50"),
        ("NW-20017", "6", "52.80"),
        ("NW-30555", "10", "12.00"),
    ]


def test_intacct_date_falls_back_to_the_day_accepted(order: Order, acme: PartnerProfile) -> None:
    root = ET.fromstring(emit(erp_sage_intacct, order.model_copy(update={"po_date": None}), acme).content)
    assert (
        date(*(int(root.findtext(f".//datecreated/{p}") or 0) for p in ("year", "month", "day")))
        == FIXED_NOW.date()
    )


def test_intacct_xml_escapes_what_the_partner_sent(order: Order, acme: PartnerProfile) -> None:
    """Markup in a PO number or description stays text: it cannot open an element or end the document."""
    hostile = 'A&B <x>"q"</sotransitems></request> \'s ]]>'
    order.lines[0].description = hostile
    document = emit(erp_sage_intacct, order.model_copy(update={"po_number": hostile}), acme)
    assert b"<x>" not in document.content and b"&amp;B &lt;x&gt;" in document.content
    root = ET.fromstring(document.content)  # still one well-formed request
    assert root.findtext(".//referenceno") == hostile and root.findtext(".//sotransitem/itemdesc") == hostile
    assert len(root.findall(".//sotransitem")) == 3


def test_intacct_refuses_text_xml_cannot_carry(order: Order, acme: PartnerProfile) -> None:
    order.lines[0].description = "BELL\x07"
    with pytest.raises(ErpPayloadError, match="control character"):
        emit(erp_sage_intacct, order, acme)


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda m: m.KIND)
def test_a_cancel_of_an_order_already_queued_is_queued_after_it_with_its_look_up(
    shape: ModuleType, order: Order, acme: PartnerProfile, master_sessions: sessionmaker[Session]
) -> None:
    """Through the pipeline and the outbox: the accepted order's create is queued; the partner's later
    cancel is queued behind it as the vendor's own request, its own key, and no alert."""
    pipeline = Pipeline(
        master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW, erp_kind=shape.KIND
    )
    pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    with master_sessions() as session, session.begin():
        erp_rows = select(storage.OutboundRecord).where(storage.OutboundRecord.kind == shape.KIND)
        [create] = session.scalars(erp_rows)
        assert create.order_id is not None
        later = queue_erp_payload(
            session, shape.KIND, order, acme, order_id=create.order_id, when=FIXED_NOW, cancel=True
        )
        assert reports.alert_list(session) == []
        create, cancel = session.scalars(erp_rows.order_by(storage.OutboundRecord.id))
    assert later == cancel.id and cancel.status == OutboxStatus.PENDING
    assert cancel.erp_request is not None and cancel.erp_request["find"]["key"]
    assert cancel.idempotency_key != create.idempotency_key
