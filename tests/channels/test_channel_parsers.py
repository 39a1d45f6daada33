"""Each channel's fixture (re-typed from the vendor's published example) read with provenance pointers and Decimal money."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import parsers
from gateway import storage
from gateway.inbound.pipeline import Pipeline
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderPurpose
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import ROOT

FIXTURES = ROOT / "fixtures" / "channels"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def channel_profile(kind: str, **channel: Any) -> PartnerProfile:
    secret = {"secret_env": "TEST_SECRET"} if kind in ("shopify", "woocommerce") else {}
    return PartnerProfile.model_validate(
        {"name": f"shop-{kind}", "customer_account": "C9001", "channel": {"kind": kind, **secret, **channel}}
    )


def parse_one(raw: bytes, profile: PartnerProfile | None = None) -> tuple[Order, list[str]]:
    result = parsers.parse(raw, partners=PartnerRegistry(), partner=profile, document_id="7")
    assert result.format == parsers.JSON and not result.issues, result.issues
    [parsed] = result.orders
    return parsed.order, [issue.code for issue in parsed.issues]


def pointer(obj: Any, name: str) -> str | None:
    return obj.provenance[name].pointer


def resolve(document: Any, path: str) -> Any:
    """The value at an RFC 6901 pointer: the provenance must point at what was read."""
    for token in path.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def test_shopify_webhook_body() -> None:
    raw = read("shopify/order-create-webhook.json")
    order, issues = parse_one(raw, channel_profile("shopify"))
    assert issues == []
    assert order.channel == Channel.SHOPIFY and order.partner == "shop-shopify"
    assert order.po_number == "#9999" and pointer(order, "po_number") == "/name"
    assert str(order.po_date) == "2026-03-02" and order.currency == "USD"
    assert order.purpose == OrderPurpose.ORIGINAL
    refs = {r.qualifier: r.value for r in order.references}
    assert refs == {"channel_order_id": "820982911946154508", "financial_status": "paid"}
    first = order.lines[1]
    assert first.buyer_part == "IPOD2008PINK" and first.vendor_sku is None  # only through the xref
    assert first.quantity is not None and first.quantity.value == 1 and first.quantity.uom == "EA"
    assert first.unit_price == Decimal("199.00") and isinstance(first.unit_price, Decimal)
    assert pointer(first, "quantity") == "/line_items/1/quantity"
    assert pointer(first, "unit_price") == "/line_items/1/price"
    assert pointer(first, "buyer_part") == "/line_items/1/sku"
    ship_to = order.ship_to
    assert ship_to is not None and ship_to.address is not None
    assert ship_to.name == "Steve Shipper" and ship_to.address.city == "Shippington"
    assert ship_to.address.provenance["postal_code"].pointer == "/shipping_address/zip"
    document = json.loads(raw)
    for line in order.lines:
        for name in ("quantity", "unit_price", "buyer_part"):
            assert resolve(document, pointer(line, name) or "") is not None


def test_shopify_rest_get_wrapped_and_own_skus() -> None:
    body = json.loads(read("shopify/order-create-webhook.json"))
    raw = json.dumps({"order": body}).encode()
    order, _ = parse_one(raw, channel_profile("shopify", own_skus=True))
    assert order.po_number == "#9999" and pointer(order, "po_number") == "/order/name"
    assert order.lines[0].vendor_sku == "IPOD2008PINK" == order.lines[0].buyer_part
    assert pointer(order.lines[0], "unit_price") == "/order/line_items/0/price"


def test_shopify_cancelled_order_is_a_cancellation() -> None:
    body = json.loads(read("shopify/order-create-webhook.json"))
    body["cancelled_at"] = "2026-03-03T10:00:00-05:00"
    order, _ = parse_one(json.dumps(body).encode())
    assert order.purpose == OrderPurpose.CANCEL and pointer(order, "purpose") == "/cancelled_at"


def test_woocommerce_order() -> None:
    raw = read("woocommerce/order-727.json")
    order, issues = parse_one(raw, channel_profile("woocommerce"))
    assert issues == []
    assert order.channel == Channel.WOOCOMMERCE and order.po_number == "727"
    assert str(order.po_date) == "2017-03-22" and pointer(order, "po_date") == "/date_created"
    no_sku, bar = order.lines
    assert (
        no_sku.buyer_part is None and no_sku.description == "Woo Single #1"
    )  # validation says it is unknown
    assert no_sku.unit_price == Decimal("3") and no_sku.quantity is not None and no_sku.quantity.value == 2
    assert bar.buyer_part == "Bar3" and bar.unit_price == Decimal("12")
    assert bar.other_ids == {
        "woocommerce_product_id": "22",
        "woocommerce_variation_id": "23",
        "woocommerce_line_id": "316",
    }
    assert pointer(bar, "quantity") == "/line_items/1/quantity"
    assert order.bill_to is not None and order.bill_to.contacts[0].channels["email"] == "john.doe@example.com"
    assert order.ship_to is not None and order.ship_to.address is not None
    assert order.ship_to.address.lines == ["969 Market"] and order.ship_to.address.region == "CA"


def test_amazon_order_with_items() -> None:
    raw = read("amazon/order-902-3159896-1390916.json")
    order, issues = parse_one(raw, channel_profile("amazon"))
    assert issues == []
    assert order.channel == Channel.AMAZON and order.po_number == "902-3159896-1390916"
    assert pointer(order, "po_number") == "/AmazonOrderId" and order.currency == "USD"
    one, two = order.lines
    assert one.buyer_part == "CBA_OTF_1" and one.other_ids["asin"] == "BT0093TELA"
    assert one.unit_price == Decimal("25.99")
    # ItemPrice is the line's price: 17.95 for two is 8.975 each
    assert two.quantity is not None and two.quantity.value == 2 and two.unit_price == Decimal("8.975")
    assert pointer(two, "unit_price") == "/OrderItems/1/ItemPrice/Amount"
    assert pointer(two, "quantity") == "/OrderItems/1/QuantityOrdered"
    assert order.ship_to is not None and order.ship_to.address is not None
    assert order.ship_to.address.postal_code == "48817"


def test_walmart_order() -> None:
    raw = read("walmart/order-1796277083968.json")
    order, issues = parse_one(raw, channel_profile("walmart"))
    assert issues == []
    assert order.channel == Channel.WALMART and order.po_number == "1796277083968"
    assert str(order.po_date) == "2024-05-02"  # orderDate 1714608000000 ms, UTC
    assert {r.qualifier: r.value for r in order.references} == {"customer_order_id": "4021604321823"}
    [line] = order.lines
    assert line.line_no == "1" and line.buyer_part == "EXAMPLE-SKU-001"
    assert line.quantity is not None and line.quantity.value == 1 and line.quantity.uom == "EA"
    # the JSON number 29.99 is read as Decimal, never float; the SHIPPING charge is no part of it
    assert line.unit_price == Decimal("29.99") and isinstance(line.unit_price, Decimal)
    assert pointer(line, "unit_price") == "/orderLines/orderLine/0/charges/charge/0/chargeAmount/amount"
    assert pointer(line, "quantity") == "/orderLines/orderLine/0/orderLineQuantity/amount"


def test_walmart_all_lines_cancelled_is_a_cancellation() -> None:
    body = json.loads(read("walmart/order-1796277083968.json"))
    body["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0]["status"] = "Cancelled"
    order, _ = parse_one(json.dumps(body).encode())
    assert order.purpose == OrderPurpose.CANCEL


def walmart_lines(*quantities_and_cancelled: tuple[int, list[int | None]]) -> dict[str, Any]:
    """The sample Walmart order with one line per (ordered, [cancelled amounts]); None: no statusQuantity."""
    body: dict[str, Any] = json.loads(read("walmart/order-1796277083968.json"))
    [sample] = body["orderLines"]["orderLine"]
    lines = []
    for number, (ordered, cancelled) in enumerate(quantities_and_cancelled, start=1):
        line = json.loads(json.dumps(sample))
        line["lineNumber"] = str(number)
        line["orderLineQuantity"]["amount"] = str(ordered)
        line["charges"]["charge"][0]["chargeAmount"]["amount"] = f"{ordered * 10}.00"
        statuses = [
            {"status": "Cancelled", "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(n)}}
            if n is not None
            else {"status": "Cancelled"}
            for n in cancelled
        ]
        left = ordered - sum(n or ordered for n in cancelled)
        if left > 0:
            statuses.insert(
                0, {"status": "Created", "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(left)}}
            )
        line["orderLineStatuses"]["orderLineStatus"] = statuses
        lines.append(line)
    body["orderLines"]["orderLine"] = lines
    return body


def test_walmart_cancelled_lines_leave_the_order_or_lessen_it() -> None:
    body = walmart_lines((1, []), (3, [1]), (2, [2]), (4, [None]))
    order, issues = parse_one(json.dumps(body).encode())
    assert order.purpose == OrderPurpose.ORIGINAL and issues == []
    assert [(line.line_no, line.quantity.value if line.quantity else None) for line in order.lines] == [
        ("1", Decimal("1")),
        ("2", Decimal("2")),
    ]
    assert order.lines[1].unit_price == Decimal("10.00")  # the price per unit as ordered
    assert order.notes == [
        "line 2: 1 of 3 cancelled on Walmart (/orderLines/orderLine/1/orderLineStatuses/orderLineStatus/1/statusQuantity/amount)",
        "line 3 was cancelled on Walmart (/orderLines/orderLine/2/orderLineStatuses/orderLineStatus/0/statusQuantity/amount)",
        "line 4 was cancelled on Walmart (/orderLines/orderLine/3/orderLineStatuses/orderLineStatus/0)",
    ]


def test_walmart_every_line_cancelled_keeps_its_lines_in_the_cancellation() -> None:
    order, _ = parse_one(json.dumps(walmart_lines((3, [3]), (1, [None]))).encode())
    assert order.purpose == OrderPurpose.CANCEL and [line.line_no for line in order.lines] == ["1", "2"]


def test_amazon_rounded_unit_price_is_a_warning() -> None:
    body = json.loads(read("amazon/order-902-3159896-1390916.json"))
    body["OrderItems"][1]["QuantityOrdered"] = 3
    order, issues = parse_one(json.dumps(body).encode())
    assert order.lines[1].unit_price == Decimal("5.9833") and issues == ["amazon.price_rounded"]


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        (b'{"line_items": [', "json.malformed", "line 1, column 17"),
        (b'{"id": 1, "line_items": [], "financial_status": NaN}', "json.malformed", "NaN"),
        (b'{"name": "\xff"}', "json.malformed", "not UTF-8"),
        (b"[1, 2]", "channel.not_an_order", "an array"),
        (b'{"hello": "world"}', "channel.unknown_json", "its keys: hello"),
    ],
)
def test_bad_json_gets_a_specific_error(raw: bytes, code: str, words: str) -> None:
    result = parsers.parse(raw, partners=PartnerRegistry(), partner=channel_profile("shopify"))
    assert result.orders == [] and result.format == parsers.JSON
    [issue] = result.issues
    assert issue.code == code and words in issue.message


def test_a_woocommerce_order_sent_to_a_shopify_channel_is_refused() -> None:
    result = parsers.parse(
        read("woocommerce/order-727.json"), partners=PartnerRegistry(), partner=channel_profile("shopify")
    )
    assert result.orders == [] and [i.code for i in result.issues] == ["channel.kind_mismatch"]


@pytest.mark.parametrize(
    ("change", "code", "at"),
    [
        (lambda b: b["line_items"][0].update(quantity=0), "shopify.bad_quantity", "/line_items/0/quantity"),
        (lambda b: b["line_items"][0].pop("quantity"), "shopify.missing_quantity", "/line_items/0"),
        (lambda b: b["line_items"][1].update(price="12,OO"), "shopify.bad_number", "/line_items/1/price"),
        (
            lambda b: b["line_items"][1].update(price={"amount": 1}),
            "shopify.bad_number",
            "/line_items/1/price",
        ),
        (lambda b: b.update(created_at="yesterday"), "shopify.bad_date", "/created_at"),
        (lambda b: b.pop("name"), "shopify.missing_order_number", "/"),
        (lambda b: b.update(line_items=[]), "shopify.no_lines", "/"),
    ],
)
def test_malformed_values_are_errors_at_their_pointer(change: Any, code: str, at: str) -> None:
    body = json.loads(read("shopify/order-create-webhook.json"))
    change(body)
    result = parsers.parse(
        json.dumps(body).encode(), partners=PartnerRegistry(), partner=channel_profile("shopify")
    )
    [parsed] = result.orders
    [issue] = [i for i in parsed.issues if i.code == code]
    assert issue.is_error and issue.location == at and at in issue.message


def test_amazon_without_its_items_is_an_error() -> None:
    body = json.loads(read("amazon/order-902-3159896-1390916.json"))
    del body["OrderItems"]
    order, issues = parse_one(json.dumps(body).encode())
    assert order.lines == [] and issues == ["amazon.no_items"]


def test_json_is_told_from_bytes_not_the_name() -> None:
    assert parsers.detect_format(b'\xef\xbb\xbf  {"id": 1}') == parsers.JSON
    assert parsers.detect_format(b"ISA*00*") == parsers.X12


def test_a_sheet_whose_first_cell_is_bracketed_is_read_as_csv_not_json() -> None:
    raw = b"[Item],[Description],[Qty],[Price]\nNW-60010,WIDGET GREEN 8MM,36,1.25\nNW-60011,WIDGET 10MM,24,1.40\n"
    result = parsers.parse(raw, partners=PartnerRegistry(), document_id="7")
    assert result.format == parsers.CSV and not result.issues
    [parsed] = result.orders
    line = parsed.order.lines[0]
    assert line.quantity is not None and line.quantity.value == Decimal("36")
    assert (line.vendor_sku, line.unit_price) == ("NW-60010", Decimal("1.25"))
    assert line.provenance["quantity"].cell == "C2"


@pytest.mark.parametrize(
    "head",
    [
        b'[{"id": 1}]',
        b'{"id": 1, "line_items": [',  # cut off where the head ends
        b'{"id": 1,, "broken": true}',  # malformed: the JSON reader says where
        b'\n  {\n  "id": 1\n}',
        b"[1, 2]",
    ],
)
def test_json_openings_stay_json(head: bytes) -> None:
    assert parsers.detect_format(head) == parsers.JSON


@pytest.mark.parametrize(
    "head", [b"[Item];[Qty]\nA-1;3\nB-2;4\n", b"{SKU}\t{Qty}\nA-1\t3\nB-2\t4\n", b"[1],[2]\n[3],[4]\n"]
)
def test_bracketed_rows_are_not_json(head: bytes) -> None:
    assert parsers.detect_format(head) == parsers.CSV


def test_malformed_json_gets_the_json_error() -> None:
    result = parsers.parse(b'{"id": 1,, "x": 2}', partners=PartnerRegistry(), document_id="7")
    assert result.format == parsers.JSON
    assert [issue.code for issue in result.issues] == ["json.malformed"]


def test_canonical_json_round_trip_keeps_pointers() -> None:
    order, _ = parse_one(read("walmart/order-1796277083968.json"))
    again = Order.model_validate(order.model_dump(mode="json"))
    assert again.lines[0].provenance["unit_price"].pointer == pointer(order.lines[0], "unit_price")
    assert again.lines[0].unit_price == Decimal("29.99")


def test_fixtures_exist_for_every_channel() -> None:
    kinds = {path.parent.name for path in Path(FIXTURES).glob("*/*.json")}
    assert kinds == {"shopify", "woocommerce", "amazon", "walmart"}


def test_a_walmart_order_read_again_with_a_cancelled_line_amends_the_stored_order(
    master_sessions: sessionmaker[Session],
) -> None:
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW)
    first = pipeline.ingest_stream(
        io.BytesIO(json.dumps(walmart_lines((1, []), (3, []))).encode()),
        channel="walmart",
        filename=None,
        partner="acme",
    )
    [order_id] = first.order_ids
    again = pipeline.ingest_stream(
        io.BytesIO(json.dumps(walmart_lines((1, [1]), (3, [1]))).encode()),
        channel="walmart",
        filename=None,
        partner="acme",
    )
    assert again.order_ids == [order_id]
    with pipeline.sessions() as session:
        stored = session.get(storage.PurchaseOrder, order_id)
        assert stored is not None and stored.version == 2
        lines = [(line["line_no"], line["quantity"]["value"]) for line in stored.canonical["lines"]]
        assert lines == [("2", "2")]
        assert session.scalar(select(func.count()).select_from(storage.PurchaseOrder)) == 1
