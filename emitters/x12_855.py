"""The 855 purchase order acknowledgment: accepted, accepted with changes, or rejected, line by line.

BAK carries the order-level answer (AD, AC, RD); each PO1 echoes the ordered line at our
price with one ACK per status (an accepted part and a backordered part are two ACKs).
Reasons for changes or a rejection go in an N9 loop, which every 855 reader shows: as MSG in
004010, as MTX (MTX02) in 005010, where the standard replaced MSG with MTX.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from gateway.model.order import Party
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

KIND = "855"
_SCHEDULED_SHIP = "068"  # DTM/ACK04: current schedule ship
_MSG_LIMIT = 264
_MTX_LIMIT = 4096


def emit(
    ack: OrderAcknowledgment, partner: PartnerProfile, *, numbers: ControlNumberSource, when: datetime
) -> OutboundDocument:
    """One interchange with one 855 answering ``ack.po_number``."""
    body = body_segments(ack, partner)
    interchange = build_interchange(
        partner,
        [FunctionalGroup("PR", partner.version, [TransactionSet(KIND, body)])],
        numbers=numbers,
        when=when,
    )
    return interchange.outbound(kind=KIND, partner=partner, refers_to=ack.po_number)


def body_segments(ack: OrderAcknowledgment, partner: PartnerProfile) -> list[Segment]:
    """The 855 between ST and SE."""
    po_date = ack.po_date or ack.ack_date
    body: list[Segment] = [
        [
            "BAK",
            ack.purpose,
            ack.ack_type.value,
            echo(ack.po_number, partner, 22),
            date8(po_date),
            "",
            "",
            "",
            "",
            date8(ack.ack_date),
        ]
    ]
    if ack.currency:
        body.append(["CUR", "SE", ack.currency])
    if ack.reasons:
        body.append(["N9", "L1", "ACKNOWLEDGMENT NOTES"])
        body.extend(_text(reason, partner) for reason in ack.reasons)
    if ack.ship_to is not None:
        body.extend(_party(ack.ship_to, partner))
    quantity_total = Decimal(0)
    for line in ack.lines:
        body.extend(_line(line, partner))
        quantity_total += line.ordered
    if ack.lines:
        body.append(["CTT", str(len(ack.lines)), number(quantity_total)])
    return body


def _text(reason: str, partner: PartnerProfile) -> Segment:
    """One reason in the N9 loop: MSG01 in 004010, MTX02 in 005010."""
    if partner.version >= "005010":
        return ["MTX", "", echo(reason, partner, _MTX_LIMIT)]
    return ["MSG", echo(reason, partner, _MSG_LIMIT)]


def _party(party: Party, partner: PartnerProfile) -> list[Segment]:
    n1: list[str] = ["N1", party.role, echo(party.name, partner, 60)]
    if party.id and party.id_qualifier:
        n1 += [echo(party.id_qualifier, partner, 2), echo(party.id, partner, 80)]
    return [n1] if len(n1) > 3 or n1[2] else []


def _line(line: AckLine, partner: PartnerProfile) -> list[Segment]:
    po1: list[str] = [
        "PO1",
        echo(line.line_no, partner, 20),
        number(line.ordered),
        line.uom,
        number(line.unit_price) if line.unit_price is not None else "",
        "",
    ]
    for qualifier, value, limit in (("VN", line.sku, 48), ("BP", line.buyer_part, 48), ("UP", line.upc, 48)):
        if value:
            po1 += [qualifier, echo(value, partner, limit)]
    segments: list[Segment] = [po1]
    if line.description:
        segments.append(["PID", "F", "", "", "", echo(line.description, partner, 80)])
    for part in line.acks:
        ack = ["ACK", part.status.value, number(part.quantity), part.uom]
        if part.ship_date is not None:
            ack += [_SCHEDULED_SHIP, date8(part.ship_date)]
        if part.product_ids:  # ACK07 onwards, after ACK04-06 (date qualifier, date, request reference)
            ack += [""] * (7 - len(ack))
            for qualifier, value in part.product_ids:
                ack += [qualifier, echo(value, partner, 48)]
        segments.append(ack)
    return segments
