"""A canonical order's JSON: what ``model_dump_json`` writes (the store's canonical text) is what
``model_dump`` gives, provenance written compactly for X12 values and in full otherwise, and it
reads back as the same order."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from bench.generate import write_interchange
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.order import X12Source
from parsers import ParsedOrder
from parsers.x12 import read_x12
from partners import PartnerRegistry
from tests.conftest import INBOX


def _x12_orders(raw: bytes, partners: PartnerRegistry) -> list[Order]:
    events = read_x12(io.BytesIO(raw), partners=partners, document_id="7")
    return [event.order for event in events if isinstance(event, ParsedOrder)]


def _generated() -> bytes:
    text = io.StringIO()
    write_interchange(text, orders=3)
    return text.getvalue().encode("ascii")


def _mixed() -> Order:
    """An order whose values come from a PDF, a sheet, another document and a clerk."""
    order = Order(partner="acme", channel=Channel.PDF, po_number="PO 1", po_date=date(2026, 11, 20))
    order.provenance["po_number"] = Provenance(page=1, bbox=(10.0, 20.5, 30.0, 40.0), confidence=0.9)
    order.provenance["po_date"] = Provenance(
        document_id="3", segment_index=4, segment_id="BEG", element="BEG05"
    )
    line = OrderLine(line_no="1", quantity=Quantity(value=Decimal("2.50"), uom="EA"), unit_price=Decimal("1"))
    line.provenance["quantity"] = Provenance(sheet="Order", cell="C7")
    line.provenance["unit_price"] = Provenance(
        segment_index=9, segment_id="PO1", element="PO104", keyed_by="ann", keyed_at="2026-11-23T09:30:00Z"
    )
    order.lines.append(line)
    party = Party(role="ST", name="Store 1")
    party.provenance["name"] = Provenance(mime_part="1.2")
    order.parties.append(party)
    return order


@pytest.mark.parametrize(
    "source", ["acme-4500012345.edi", "globex-GX-778812.edi", "initech-INI-2026-0042.edi", "generated"]
)
def test_x12_orders_write_the_same_json_both_ways_and_read_back(
    source: str, partners: PartnerRegistry
) -> None:
    raw = _generated() if source == "generated" else (INBOX / source).read_bytes()
    orders = _x12_orders(raw, partners)
    assert orders
    for order in orders:
        written = order.model_dump_json(exclude_none=True, exclude_defaults=True)
        dumped = order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        assert json.loads(written) == json.loads(json.dumps(dumped))
        assert re.fullmatch(r"BEG03@\d+", dumped["provenance"]["po_number"])  # element@segment, compactly
        assert Order.model_validate_json(written) == order


def test_provenance_is_written_in_full_unless_it_is_only_an_x12_place() -> None:
    order = _mixed()
    dumped = order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    assert json.loads(order.model_dump_json(exclude_none=True, exclude_defaults=True)) == dumped
    assert dumped["provenance"] == {
        "po_number": {"page": 1, "bbox": [10.0, 20.5, 30.0, 40.0], "confidence": 0.9},
        "po_date": {"document_id": "3", "segment_index": 4, "segment_id": "BEG", "element": "BEG05"},
    }
    line = dumped["lines"][0]["provenance"]
    assert line["quantity"] == {"sheet": "Order", "cell": "C7"}
    assert line["unit_price"] == {
        "segment_index": 9,
        "segment_id": "PO1",
        "element": "PO104",
        "keyed_by": "ann",
        "keyed_at": "2026-11-23T09:30:00Z",
    }
    assert dumped["parties"][0]["provenance"] == {"name": {"mime_part": "1.2"}}
    # python mode writes provenance the same way
    python = order.model_dump(exclude_none=True, exclude_defaults=True)
    assert python["provenance"]["po_date"] == dumped["provenance"]["po_date"]
    assert Order.model_validate(dumped) == order
    assert Order.model_validate_json(order.model_dump_json(exclude_none=True, exclude_defaults=True)) == order


def test_an_unread_order_keeps_an_empty_provenance_out_of_its_json() -> None:
    order = Order(partner=None, channel=Channel.EMAIL)
    assert "provenance" not in order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    assert json.loads(order.model_dump_json(exclude_none=True, exclude_defaults=True)) == order.model_dump(
        mode="json", exclude_none=True, exclude_defaults=True
    )


def test_an_x12_place_replaced_by_a_clerk_is_written_in_full(partners: PartnerRegistry) -> None:
    """The reader's ``X12Source`` is written from its type; one a clerk keyed over is a plain ``Provenance``."""
    [order, *_] = _x12_orders(_generated(), partners)
    line = order.lines[0]
    read = line.provenance["unit_price"]
    assert type(read) is X12Source and read == Provenance(
        segment_index=read.segment_index, segment_id="PO1", element="PO104"
    )
    keyed = read._replace(keyed_by="ann", keyed_at="2026-11-23T09:30:00Z")
    assert type(keyed) is Provenance
    line.provenance["unit_price"] = keyed
    dumped = order.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    assert json.loads(order.model_dump_json(exclude_none=True, exclude_defaults=True)) == dumped
    assert dumped["lines"][0]["provenance"]["unit_price"] == {
        "segment_index": read.segment_index,
        "segment_id": "PO1",
        "element": "PO104",
        "keyed_by": "ann",
        "keyed_at": "2026-11-23T09:30:00Z",
    }
    assert dumped["lines"][0]["provenance"]["quantity"] == f"PO102@{read.segment_index}"
