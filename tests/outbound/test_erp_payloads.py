"""ERP payloads: the canonical JSON, NetSuite salesOrder and Business Central salesOrders bodies.

Orders come from the demo 850 read by the real parser, with ``line.sku`` set as validation
would. Money is checked in the bytes: a ``Decimal`` must reach the JSON with its own digits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emitters import OutboundDocument
from emitters import erp_business_central
from emitters import erp_canonical
from emitters import erp_netsuite
from emitters._erp import idempotency_key
from emitters._erp import json_bytes
from gateway.errors import ErpPayloadError
from gateway.model.order import Address
from gateway.model.order import Order
from gateway.model.order import OrderPurpose
from gateway.model.order import Quantity
from partners import PartnerProfile
from tests.conftest import FIXED_NOW

SHAPES = [erp_canonical, erp_netsuite, erp_business_central]
ORDER_ID = 42


def emit(
    shape: ModuleType, order: Order, partner: PartnerProfile, order_id: int = ORDER_ID
) -> OutboundDocument:
    document = shape.emit(order, partner, order_id=order_id, when=FIXED_NOW)
    assert isinstance(document, OutboundDocument)
    return document


def body(document: OutboundDocument) -> Any:
    """The payload, with every JSON number read as the exact Decimal it was written as."""
    return json.loads(document.content, parse_float=Decimal, parse_int=Decimal)


def nulls(value: Any, path: str = "$") -> Iterator[str]:
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nulls(item, f"{path}[{index}]")


def test_canonical_json_of_the_demo_order(order: Order, acme: PartnerProfile) -> None:
    document = emit(erp_canonical, order, acme)
    assert (document.kind, document.partner, document.refers_to) == ("erp.canonical", "acme", "4500012345")
    payload = json.loads(document.content)
    assert payload == {
        "schema": "order-gateway/order",
        "version": 1,
        "order_id": 42,
        "emitted_at": "2026-11-23T09:30:00+00:00",
        "source_document_id": "7",
        "partner": "acme",
        "customer_account": "C1001",
        "channel": "x12",
        "po_number": "4500012345",
        "po_date": "2026-11-18",
        "purpose": "original",
        "currency": "USD",
        "requested_dates": [{"qualifier": "002", "date": "2026-12-01"}],
        "ship_to": {
            "role": "ST",
            "name": "ACME DC 12",
            "id_qualifier": "92",
            "id": "DC12",
            "address": {
                "lines": ["4100 Commerce Way"],
                "city": "Columbus",
                "region": "OH",
                "postal_code": "43219",
                "country": "US",
            },
            "contacts": [],
        },
        "bill_to": {
            "role": "BT",
            "name": "ACME RETAIL AP",
            "id_qualifier": "92",
            "id": "AP01",
            "contacts": [],
        },
        "terms": [
            {
                "type_code": "01",
                "basis_date_code": "3",
                "discount_percent": "2",
                "discount_days": 30,
                "net_days": 60,
            }
        ],
        "carriers": [{"scac": "UPSN", "transport_method": "M", "routing": "UPS GROUND"}],
        "references": [{"qualifier": "DP", "value": "038"}],
        "charges": [],
        "lines": [
            {
                "line_no": "1",
                "sku": "NW-10042",
                "vendor_sku": "NW-10042",
                "buyer_part": "AC-778",
                "upc": "012345678905",
                "description": "WIDGET BLUE 10MM",
                "quantity": {"value": "24", "uom": "EA"},
                "unit_price": "4.50",
                "amount": "108.00",
            },
            {
                "line_no": "2",
                "sku": "NW-20017",
                "vendor_sku": "NW-20017",
                "buyer_part": "AC-913",
                "description": "BOLT M8X40 ZINC CASE/100",
                "quantity": {"value": "6", "uom": "CA"},
                "unit_price": "52.80",
                "amount": "316.80",
            },
            {
                "line_no": "3",
                "sku": "NW-30555",
                "vendor_sku": "NW-30555",
                "description": "HEX KEY SET METRIC",
                "quantity": {"value": "10", "uom": "EA"},
                "unit_price": "12.00",
                "amount": "120.00",
            },
        ],
        "total": "544.80",
    }
    assert list(payload)[:2] == ["schema", "version"]


def test_netsuite_sales_order_body(order: Order, acme: PartnerProfile) -> None:
    document = emit(erp_netsuite, order, acme)
    assert (document.kind, document.refers_to) == ("erp.netsuite", "4500012345")
    assert body(document) == {
        "externalId": "acme-42",
        "entity": {"externalId": "C1001"},
        "otherRefNum": "4500012345",
        "tranDate": "2026-11-18",
        "currency": {"externalId": "USD"},
        "memo": "Acme Retail PO 4500012345; requested delivery 2026-12-01",
        "shippingAddress": {
            "addressee": "ACME DC 12",
            "addr1": "4100 Commerce Way",
            "city": "Columbus",
            "state": "OH",
            "zip": "43219",
            "country": "US",
        },
        "item": {
            "items": [
                {
                    "item": {"externalId": "NW-10042"},
                    "quantity": Decimal("24"),
                    "rate": Decimal("4.50"),
                    "description": "WIDGET BLUE 10MM",
                },
                {
                    "item": {"externalId": "NW-20017"},
                    "quantity": Decimal("6"),
                    "rate": Decimal("52.80"),
                    "description": "BOLT M8X40 ZINC CASE/100",
                },
                {
                    "item": {"externalId": "NW-30555"},
                    "quantity": Decimal("10"),
                    "rate": Decimal("12.00"),
                    "description": "HEX KEY SET METRIC",
                },
            ]
        },
    }
    # JSON numbers, written with the Decimal's own digits
    assert b'"quantity":6,"rate":52.80,' in document.content


def test_netsuite_ship_date_comes_from_the_requested_ship_date(order: Order, acme: PartnerProfile) -> None:
    [delivery] = order.dates
    order.dates.append(delivery.model_copy(update={"qualifier": "010", "value": date(2026, 11, 27)}))
    assert body(emit(erp_netsuite, order, acme))["shipDate"] == "2026-11-27"


def test_business_central_sales_order_with_lines(order: Order, acme: PartnerProfile) -> None:
    document = emit(erp_business_central, order, acme)
    assert (document.kind, document.refers_to) == ("erp.business_central", "4500012345")
    assert body(document) == {
        "externalDocumentNumber": "4500012345",
        "orderDate": "2026-11-18",
        "customerNumber": "C1001",
        "currencyCode": "USD",
        "requestedDeliveryDate": "2026-12-01",
        "shipToName": "ACME DC 12",
        "shipToAddressLine1": "4100 Commerce Way",
        "shipToCity": "Columbus",
        "shipToState": "OH",
        "shipToPostCode": "43219",
        "shipToCountry": "US",
        "salesOrderLines": [
            {
                "lineType": "Item",
                "lineObjectNumber": "NW-10042",
                "description": "WIDGET BLUE 10MM",
                "quantity": Decimal("24"),
                "unitPrice": Decimal("4.50"),
                "unitOfMeasureCode": "EA",
            },
            {
                "lineType": "Item",
                "lineObjectNumber": "NW-20017",
                "description": "BOLT M8X40 ZINC CASE/100",
                "quantity": Decimal("6"),
                "unitPrice": Decimal("52.80"),
                "unitOfMeasureCode": "CA",
            },
            {
                "lineType": "Item",
                "lineObjectNumber": "NW-30555",
                "description": "HEX KEY SET METRIC",
                "quantity": Decimal("10"),
                "unitPrice": Decimal("12.00"),
                "unitOfMeasureCode": "EA",
            },
        ],
    }
    assert b'"quantity":6,"unitPrice":52.80,' in document.content


@pytest.mark.parametrize("shape", SHAPES, ids=lambda m: m.__name__)
def test_same_order_same_bytes(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    first = emit(shape, order, acme).content
    assert emit(shape, order.model_copy(deep=True), acme).content == first
    assert json.loads(first.decode("utf-8"))


def test_money_survives_exactly(order: Order, acme: PartnerProfile) -> None:
    first, second, third = order.lines
    first.quantity, first.unit_price = Quantity(value=Decimal("1"), uom="EA"), Decimal("0.1")
    second.quantity, second.unit_price = Quantity(value=Decimal("1"), uom="EA"), Decimal("0.2")
    third.quantity, third.unit_price = Quantity(value=Decimal("1234567.891"), uom="EA"), Decimal("52.80")
    assert 0.1 + 0.2 != 0.3  # what a float would have done to these lines

    canonical = json.loads(emit(erp_canonical, order, acme).content)
    assert [(line["unit_price"], line["amount"]) for line in canonical["lines"]] == [
        ("0.1", "0.1"),
        ("0.2", "0.2"),
        ("52.80", "65185184.64480"),
    ]
    assert canonical["total"] == "65185184.94480"

    netsuite = emit(erp_netsuite, order, acme).content
    assert b'"quantity":1,"rate":0.1,' in netsuite
    assert b'"quantity":1234567.891,"rate":52.80,' in netsuite
    central = emit(erp_business_central, order, acme).content
    assert b'"quantity":1,"unitPrice":0.2,' in central
    assert b'"quantity":1234567.891,"unitPrice":52.80,' in central


@pytest.mark.parametrize("shape", [erp_netsuite, erp_business_central], ids=lambda m: m.__name__)
def test_line_amounts_sum_to_the_order_total(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    canonical = json.loads(emit(erp_canonical, order, acme).content)
    total = Decimal(canonical["total"])
    assert total == order.stated_total == Decimal("544.80")
    assert sum(Decimal(line["amount"]) for line in canonical["lines"]) == total
    payload = body(emit(shape, order, acme))
    lines = payload["item"]["items"] if shape is erp_netsuite else payload["salesOrderLines"]
    price = "rate" if shape is erp_netsuite else "unitPrice"
    assert sum(line["quantity"] * line[price] for line in lines) == total


def test_idempotency_key_is_stable_and_distinct() -> None:
    key = idempotency_key("erp.netsuite", "acme", 42)
    assert key == idempotency_key("erp.netsuite", "acme", 42)
    assert uuid.UUID(key).version == 5  # NetSuite's X-NetSuite-Idempotency-Key takes a UUID
    others = {
        idempotency_key("erp.business_central", "acme", 42),
        idempotency_key("erp.canonical", "acme", 42),
        idempotency_key("erp.netsuite", "acme", 43),
        idempotency_key("erp.netsuite", "globex", 42),
    }
    assert len(others) == 4
    assert key not in others


def test_order_without_optional_data_leaves_keys_out(order: Order, acme: PartnerProfile) -> None:
    order.parties = []
    order.dates = []
    order.po_date = None
    order.currency = None
    order.terms = []
    order.carriers = []
    order.references = []
    order.lines[2].unit_price = None  # an email order line with no price
    order.lines[2].description = None

    canonical = json.loads(emit(erp_canonical, order, acme).content)
    netsuite = body(emit(erp_netsuite, order, acme))
    central = body(emit(erp_business_central, order, acme))
    for payload in (canonical, netsuite, central):
        assert list(nulls(payload)) == []

    assert canonical["requested_dates"] == []
    assert {"po_date", "currency", "ship_to", "bill_to", "total"}.isdisjoint(canonical)
    assert canonical["lines"][2] == {
        "line_no": "3",
        "sku": "NW-30555",
        "vendor_sku": "NW-30555",
        "quantity": {"value": "10", "uom": "EA"},
    }

    assert list(netsuite) == ["externalId", "entity", "otherRefNum", "memo", "item"]
    assert netsuite["memo"] == "Acme Retail PO 4500012345"
    assert netsuite["item"]["items"][2] == {"item": {"externalId": "NW-30555"}, "quantity": Decimal("10")}

    assert list(central) == ["externalDocumentNumber", "customerNumber", "salesOrderLines"]
    assert central["salesOrderLines"][2] == {
        "lineType": "Item",
        "lineObjectNumber": "NW-30555",
        "quantity": Decimal("10"),
        "unitOfMeasureCode": "EA",
    }


def test_ship_to_without_an_address_still_names_the_receiver(order: Order, acme: PartnerProfile) -> None:
    assert order.ship_to is not None
    order.ship_to.address = None
    assert body(emit(erp_netsuite, order, acme))["shippingAddress"] == {"addressee": "ACME DC 12"}
    central = body(emit(erp_business_central, order, acme))
    assert [key for key in central if key.startswith("shipTo")] == ["shipToName"]


def test_street_lines_beyond_the_vendor_fields_are_folded_not_dropped(
    order: Order, acme: PartnerProfile
) -> None:
    assert order.ship_to is not None
    order.ship_to.address = Address(
        lines=["ACME DC 12", "Dock 4", "4100 Commerce Way", "Building B"], city="Columbus", country="US"
    )
    address = body(emit(erp_netsuite, order, acme))["shippingAddress"]
    assert [address["addr1"], address["addr2"], address["addr3"]] == [
        "ACME DC 12",
        "Dock 4",
        "4100 Commerce Way, Building B",
    ]
    central = body(emit(erp_business_central, order, acme))
    assert central["shipToAddressLine1"] == "ACME DC 12"
    assert central["shipToAddressLine2"] == "Dock 4, 4100 Commerce Way, Building B"


def test_the_item_is_the_resolved_sku_else_the_vendor_sku(order: Order, acme: PartnerProfile) -> None:
    order.lines[0].sku = "NW-10042-B"  # validation matched the buyer's part to another catalog item
    order.lines[1].sku = None
    netsuite = body(emit(erp_netsuite, order, acme))["item"]["items"]
    assert [line["item"]["externalId"] for line in netsuite] == ["NW-10042-B", "NW-20017", "NW-30555"]
    central = body(emit(erp_business_central, order, acme))["salesOrderLines"]
    assert [line["lineObjectNumber"] for line in central] == ["NW-10042-B", "NW-20017", "NW-30555"]
    canonical = json.loads(emit(erp_canonical, order, acme).content)["lines"]
    assert [(line["sku"], line["vendor_sku"]) for line in canonical[:2]] == [
        ("NW-10042-B", "NW-10042"),
        ("NW-20017", "NW-20017"),
    ]


@pytest.mark.parametrize("shape", [erp_netsuite, erp_business_central], ids=lambda m: m.__name__)
def test_a_line_with_no_item_number_is_refused(shape: ModuleType, order: Order, acme: PartnerProfile) -> None:
    order.lines[1].sku = order.lines[1].vendor_sku = None
    with pytest.raises(ErpPayloadError, match="line 2 has neither"):
        emit(shape, order, acme)


@pytest.mark.parametrize("shape", [erp_netsuite, erp_business_central], ids=lambda m: m.__name__)
def test_a_change_order_is_not_a_new_sales_order(
    shape: ModuleType, order: Order, acme: PartnerProfile
) -> None:
    order.purpose = OrderPurpose.CHANGE
    with pytest.raises(ErpPayloadError, match="change order"):
        emit(shape, order, acme)
    assert json.loads(emit(erp_canonical, order, acme).content)["purpose"] == "change"


def test_json_writer_refuses_what_is_not_an_exact_amount() -> None:
    with pytest.raises(TypeError, match="float"):
        json_bytes({"rate": 52.8})  # type: ignore[dict-item]  # a float on purpose: refused at run time
    with pytest.raises(ErpPayloadError):
        json_bytes({"rate": Decimal("NaN")})
    assert (
        json_bytes({"rate": Decimal("1E+2"), "name": 'Müller "AG"'})
        == '{"rate":100,"name":"Müller \\"AG\\""}'.encode()
    )


@given(
    st.integers(min_value=0, max_value=6).flatmap(lambda places: st.decimals(-(10**9), 10**9, places=places))
)
def test_every_decimal_is_written_with_its_own_digits(value: Decimal) -> None:
    text = json_bytes([value]).decode()
    assert text == f"[{value:f}]"
    [parsed] = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    assert parsed == value


def test_emitted_at_is_the_time_passed_in(order: Order, acme: PartnerProfile) -> None:
    later = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    document = erp_canonical.emit(order, acme, order_id=ORDER_ID, when=later)
    assert json.loads(document.content)["emitted_at"] == "2026-11-24T08:00:00+00:00"
