"""The 856 ship notice (ASN): Shipment/Order/Pack/Item (SOPI) or Shipment/Order/Item (SOI).

The shipment level carries TD1 (packaging, lading quantity, gross weight), TD5 (carrier by SCAC
under TD502 2, else by its own code under ZZ; the service as TD505 routing),
REF*BM and REF*CN, the ship and delivery dates and the SF/ST parties; each order level a PRF
back to the PO; each pack a MAN*GM with its SSCC-18; each item LIN/SN1/PID naming the PO line
it ships. ``hierarchy_errors`` checks the HL parent chain of what was written before it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from gateway.errors import EnvelopeError
from gateway.model.outbound import ShipmentRecord
from gateway.model.outbound import ShippedItem
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
from ._parties import place_segments

KIND = "856"
Structure = Literal["SOPI", "SOI"]
STRUCTURE_CODES: dict[str, str] = {"SOPI": "0001", "SOI": "0004"}  # BSN05
_PARENT_LEVEL = {"S": None, "O": "S", "P": "O"}


class AsnError(EnvelopeError):
    """The ASN as written would mislead the partner (a broken HL chain, an empty order)."""


def emit(
    shipment: ShipmentRecord,
    partner: PartnerProfile,
    *,
    structure: Structure,
    numbers: ControlNumberSource,
    when: datetime,
) -> OutboundDocument:
    """One interchange with one 856 for ``shipment``; every pack must already have its SSCC."""
    body = body_segments(shipment, partner, structure)
    problems = hierarchy_errors(body, structure)
    if problems:
        raise AsnError("; ".join(problems))
    interchange = build_interchange(
        partner,
        [FunctionalGroup("SH", partner.version, [TransactionSet(KIND, body)])],
        numbers=numbers,
        when=when,
    )
    return interchange.outbound(kind=KIND, partner=partner, refers_to=shipment.shipment_id)


def body_segments(shipment: ShipmentRecord, partner: PartnerProfile, structure: Structure) -> list[Segment]:
    """The 856 between ST and SE."""
    when = shipment.ship_time.strftime("%H%M") if shipment.ship_time else "0000"
    body: list[Segment] = [
        [
            "BSN",
            "00",
            echo(shipment.shipment_id, partner, 30),
            date8(shipment.ship_date),
            when,
            STRUCTURE_CODES[structure],
        ]
    ]
    levels = _Levels(body)
    levels.open("S", None)
    packages = sum(len(o.packs) for o in shipment.orders) if structure == "SOPI" else len(shipment.orders)
    td1 = ["TD1", shipment.packaging_code, str(packages)]
    if shipment.gross_weight is not None:
        td1 += ["", "", "", "G", number(shipment.gross_weight), shipment.weight_uom]
    body.append(td1)
    carrier = shipment.carrier
    if carrier.scac or carrier.code or carrier.routing:
        qualifier, identity = (
            ("2", carrier.scac) if carrier.scac else ("ZZ", carrier.code) if carrier.code else ("", "")
        )
        td5 = [
            "TD5",
            "",
            qualifier,
            echo(identity, partner, 80) if identity else "",
            carrier.transport_method,
        ]
        if carrier.routing:
            td5.append(echo(carrier.routing, partner, 35))
        body.append(td5)
    if shipment.bill_of_lading:
        body.append(["REF", "BM", echo(shipment.bill_of_lading, partner, 30)])
    if shipment.tracking_number:
        body.append(["REF", "CN", echo(shipment.tracking_number, partner, 30)])
    body.append(["DTM", "011", date8(shipment.ship_date)])
    if shipment.estimated_delivery:
        body.append(["DTM", "017", date8(shipment.estimated_delivery)])
    body.extend(place_segments(shipment.ship_from, partner))
    if shipment.ship_to is not None:
        body.extend(place_segments(shipment.ship_to, partner))
    for order in shipment.orders:
        order_hl = levels.open("O", 1)
        prf = ["PRF", echo(order.po_number, partner, 22)]
        if order.po_date:
            prf += ["", "", date8(order.po_date)]
        body.append(prf)
        if structure == "SOPI":
            for pack in order.packs:
                if pack.sscc is None:
                    raise AsnError(f"a pack of PO {order.po_number} has no SSCC")
                pack_hl = levels.open("P", order_hl)
                if pack.weight is not None:
                    body.append(["MEA", "PD", "G", number(pack.weight), shipment.weight_uom])
                body.append(["MAN", "GM", pack.sscc])
                for item in pack.items:
                    levels.open("I", pack_hl)
                    body.extend(_item(item, partner))
            loose = order.items
        else:
            loose = order.all_items()
        for item in loose:
            levels.open("I", order_hl)
            body.extend(_item(item, partner))
    body.append(["CTT", str(levels.count)])
    return body


class _Levels:
    """Writes HL segments, numbering them in order."""

    def __init__(self, body: list[Segment]) -> None:
        self.body = body
        self.count = 0

    def open(self, level: str, parent: int | None) -> int:
        self.count += 1
        self.body.append(["HL", str(self.count), "" if parent is None else str(parent), level])
        return self.count


def _item(item: ShippedItem, partner: PartnerProfile) -> list[Segment]:
    lin = ["LIN", echo(item.line_no, partner, 20)]
    for qualifier, value in (("VN", item.sku), ("UP", item.upc), ("BP", item.buyer_part)):
        if value:
            lin += [qualifier, echo(value, partner, 48)]
    segments: list[Segment] = [lin, ["SN1", "", number(item.quantity), item.uom]]
    if item.description:
        segments.append(["PID", "F", "", "", "", echo(item.description, partner, 80)])
    return segments


def hierarchy_errors(body: Sequence[Segment], structure: Structure) -> list[str]:
    """What is wrong with the HL chain of an 856 body: numbering, parents, levels, empty levels."""
    item_parent = "P" if structure == "SOPI" else "O"
    allowed = {**_PARENT_LEVEL, "I": item_parent}
    if structure == "SOI":
        allowed.pop("P")
    levels: dict[str, str] = {}
    children: dict[str, int] = {}
    problems: list[str] = []
    for segment in body:
        if segment[0] != "HL":
            continue
        hl_id, parent, level = (str(segment[i]) if len(segment) > i else "" for i in (1, 2, 3))
        if hl_id != str(len(levels) + 1):
            problems.append(f"HL {hl_id!r} is out of sequence (expected {len(levels) + 1})")
        if level not in allowed:
            problems.append(f"HL {hl_id} has level {level!r}, not one of {structure}")
        elif allowed[level] is None and parent:
            problems.append(f"HL {hl_id} ({level}) must not have a parent")
        elif allowed[level] is not None:
            if parent not in levels:
                problems.append(f"HL {hl_id} ({level}) names parent {parent!r}, which is not an earlier HL")
            elif levels[parent] != allowed[level]:
                problems.append(
                    f"HL {hl_id} ({level}) hangs under a {levels[parent]} level, not {allowed[level]}"
                )
            else:
                children[parent] = children.get(parent, 0) + 1
        levels[hl_id] = level
    if not levels or next(iter(levels.values())) != "S":
        problems.append("the first HL must be the shipment (S)")
    problems += [
        f"HL {hl} ({level}) has nothing under it"
        for hl, level in levels.items()
        if level != "I" and not children.get(hl)
    ]
    return problems
