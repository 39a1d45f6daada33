"""The 865 purchase order change acknowledgment: the seller's answer to an 860, line by line.

BCA carries the purpose (as the 860's BCH01) and the answer (AC, AD, RD; AT for a cancellation).
Each line of the order as it now stands is a POC with the 860's change type (NC when the 860 left
it alone) and one ACK per status, as the 855 answers a purchase order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from gateway.model.outbound import AckLine
from gateway.model.outbound import OrderAcknowledgment
from partners import PartnerProfile

from ._envelope import FunctionalGroup
from ._envelope import Segment
from ._envelope import TransactionSet
from ._envelope import build_interchange
from ._envelope import date8
from ._envelope import echo
from ._envelope import number
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument

KIND = "865"
_GROUP = "CA"
_NO_CHANGE = "NC"  # 670: concurrent item, no change


def emit(
    ack: OrderAcknowledgment,
    partner: PartnerProfile,
    *,
    numbers: ControlNumberSource,
    when: datetime,
    changes: Mapping[str, str] | None = None,
) -> OutboundDocument:
    """One interchange with one 865 answering the change of ``ack.po_number``.

    ``changes``: the 860's POC02 by line number, echoed on each POC.
    """
    body = body_segments(ack, partner, changes or {})
    interchange = build_interchange(
        partner,
        [FunctionalGroup(_GROUP, partner.version, [TransactionSet(KIND, body)])],
        numbers=numbers,
        when=when,
    )
    return interchange.outbound(kind=KIND, partner=partner, refers_to=ack.po_number)


def body_segments(
    ack: OrderAcknowledgment, partner: PartnerProfile, changes: Mapping[str, str]
) -> list[Segment]:
    """The 865 between ST and SE."""
    body: list[Segment] = [
        [
            "BCA",
            ack.purpose,
            ack.ack_type.value,
            echo(ack.po_number, partner, 22),
            "",
            "",
            date8(ack.po_date or ack.ack_date),
        ]
    ]
    if ack.currency:
        body.append(["CUR", "SE", ack.currency])
    quantity_total = Decimal(0)
    for line in ack.lines:
        body.extend(_line(line, partner, changes.get(line.line_no, _NO_CHANGE)))
        quantity_total += line.ordered
    if ack.lines:
        body.append(["CTT", str(len(ack.lines)), number(quantity_total)])
    return body


def _line(line: AckLine, partner: PartnerProfile, change: str) -> list[Segment]:
    poc: list[str] = [
        "POC",
        echo(line.line_no, partner, 20),
        change,
        number(line.ordered),
        "",
        line.uom,
        number(line.unit_price) if line.unit_price is not None else "",
        "",
    ]
    for qualifier, value in (("VN", line.sku), ("BP", line.buyer_part), ("UP", line.upc)):
        if value:
            poc += [qualifier, echo(value, partner, 48)]
    segments: list[Segment] = [poc]
    segments.extend(["ACK", part.status.value, number(part.quantity), part.uom] for part in line.acks)
    return segments
