"""The 855 after the order desk changed an order: AC whenever anything changed, the X12 line codes
(IS, IQ, IP, IA/IB, IR), and the buyer's own identifiers echoed, never replaced by our SKU."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import pytest

from emitters import x12_855
from gateway.model.order import Order
from gateway.model.order import Party
from gateway.model.order import Quantity
from gateway.model.outbound import AckType
from gateway.model.outbound import OrderAcknowledgment
from gateway.outbound.acknowledgments import acknowledgment_for
from parsers.x12 import MAP_DIR
from tests.inbound.test_validators import line
from tests.inbound.test_validators import order
from tests.outbound.test_855 import decided
from tests.outbound.test_855 import statuses
from tests.x12.test_acks import Counter
from tests.x12.test_acks import profile
from tests.x12.test_acks import pyx12_check
from tests.x12.test_acks import segments
from tests.x12.test_acks import sets_of

D = Decimal
TODAY = date(2026, 11, 23)
WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def sent() -> Order:
    """What the buyer sent: line 1 by our item number and their part, line 2 by their part only."""
    return order(
        line(sku="NW-99001", qty="10", buyer_part="AC-778", upc="012345678905"),
        line(sku=None, qty="6", uom="CA", price="52.80", buyer_part="AC-913", line_no="2"),
    )


def edited(received: Order) -> Order:
    return received.model_copy(deep=True)


def body(ack: OrderAcknowledgment, version: str = "004010") -> list[list[str]]:
    """The 855's segments between ST and SE, after pyx12 with the project's maps accepted it."""
    partner = profile(version)
    document = x12_855.emit(ack, partner, numbers=Counter(), when=WHEN)
    valid, errors = pyx12_check(document.content, MAP_DIR)
    assert valid, "\n".join(errors) + "\n" + document.content.decode()
    [found] = list(sets_of(segments(document, partner)))
    return found


def acks(found: list[list[str]]) -> list[list[str]]:
    return [s for s in found if s[0] in ("PO1", "ACK")]


def test_a_line_cut_to_zero_by_stock_is_rejected_not_a_quantity_change_of_zero() -> None:
    ack = decided({"short_stock": "partial"}, qty="36", ctx={"available": {"SKU-100": D(0)}})
    assert ack.ack_type == AckType.CHANGED
    assert statuses(ack) == [("IR", "36")]
    assert [s[:4] for s in body(ack) if s[0] == "ACK"] == [["ACK", "IR", "36", "EA"]]


def test_a_substituted_item_is_is_with_the_buyers_part_and_ours_and_the_po1_echoes_what_they_sent() -> None:
    received = sent()
    order_now = edited(received)
    order_now.lines[0].vendor_sku = order_now.lines[0].sku = "NW-30555"  # the desk picked another item
    order_now.lines[1].sku = "NW-20017"  # resolved from their part: not a substitution
    ack = acknowledgment_for(order_now, [], "accepted", TODAY, received=received)
    assert ack.ack_type == AckType.CHANGED
    found = acks(body(ack))
    assert found[0][:10] == ["PO1", "1", "10", "EA", "4.4", "", "VN", "NW-99001", "BP", "AC-778"]
    assert "NW-30555" not in found[0]
    assert found[1] == ["ACK", "IS", "10", "EA", "", "", "", "BP", "AC-778", "VN", "NW-30555"]
    assert found[2][:8] == ["PO1", "2", "6", "CA", "52.8", "", "VN", "NW-20017"]
    assert found[2][8:10] == ["BP", "AC-913"] and found[3][:4] == ["ACK", "IA", "6", "CA"]


def test_an_unchanged_order_is_ad_and_a_header_change_alone_makes_it_ac() -> None:
    received = sent()
    received.lines[0].sku = "NW-99001"
    same = acknowledgment_for(edited(received), [], "accepted", TODAY, received=received)
    assert same.ack_type == AckType.ACCEPTED and {s for s, _ in statuses(same)} == {"IA"}
    moved = edited(received)
    moved.parties = [Party(role="ST", id_qualifier="92", id="DC14", name="ACME DC 14")]
    ack = acknowledgment_for(moved, [], "accepted", TODAY, received=received)
    assert ack.ack_type == AckType.CHANGED and {s for s, _ in statuses(ack)} == {"IA"}
    assert ["N1", "ST", "ACME DC 14", "92", "DC14"] in body(ack)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_quantity_price_removed_and_split_lines_on_the_desk(version: str) -> None:
    received = order(
        line(qty="10"),
        line(qty="6", line_no="2", price="5.00"),
        line(qty="4", line_no="3"),
        line(qty="12", line_no="4"),
    )
    now = edited(received)
    now.lines[0].quantity = Quantity(value=D(8), uom="EA")  # line 1: fewer
    now.lines[1].unit_price = D("4.75")  # line 2: our price
    del now.lines[2]  # line 3: removed
    four = now.lines[2]
    four.quantity = Quantity(value=D(7), uom="EA")  # line 4 split 7 + 5
    now.lines.append(
        four.model_copy(
            update={"line_no": "4-2", "split_from": "4", "quantity": Quantity(value=D(5), uom="EA")}
        )
    )
    ack = acknowledgment_for(now, [], "accepted", TODAY, received=received)
    assert ack.ack_type == AckType.CHANGED
    assert [(a.line_no, [(x.status.value, x.quantity) for x in a.acks]) for a in ack.lines] == [
        ("1", [("IQ", 8)]),
        ("2", [("IP", 6)]),
        ("3", [("IR", 4)]),
        ("4", [("IA", 7), ("IA", 5)]),
    ]
    found = acks(body(ack, version))
    assert [s[1] for s in found if s[0] == "PO1"] == ["1", "2", "3", "4"]  # the buyer's line numbers
    assert found[2][:5] == ["PO1", "2", "6", "EA", "4.75"]  # at our price now
    assert ["CTT", "4", "32"] in body(ack, version)


def test_a_rejected_order_answers_every_line_the_buyer_sent_as_they_sent_it() -> None:
    received = sent()
    now = edited(received)
    now.lines[0].vendor_sku = now.lines[0].sku = "NW-30555"
    del now.lines[1]
    ack = acknowledgment_for(now, [], "rejected", TODAY, received=received)
    assert ack.ack_type == AckType.REJECTED and statuses(ack) == [("IR", "10"), ("IR", "6")]
    assert [s[6:8] for s in acks(body(ack)) if s[0] == "PO1"] == [["VN", "NW-99001"], ["BP", "AC-913"]]


def test_an_item_auto_fixed_at_intake_is_a_substitution_too_and_our_sku_stays_out_of_the_po1() -> None:
    now = order(line(sku=None, buyer_part="AC-1", qty="5"))
    now.lines[0].sku = "NW-10042"  # the closest match, applied unasked
    fixed = {
        "code": "unknown_item",
        "action": "auto_fix",
        "line_no": "1",
        "message": "matched",
        "details": {},
    }
    ack = acknowledgment_for(now, [fixed], "accepted", TODAY)
    assert ack.ack_type == AckType.CHANGED
    po1, ack_segment = acks(body(ack))
    assert po1[6:] == ["BP", "AC-1"]
    assert ack_segment == ["ACK", "IS", "5", "EA", "", "", "", "BP", "AC-1", "VN", "NW-10042"]
