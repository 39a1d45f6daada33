"""Shipments in, 856 ASNs out: the pre-flight check, SSCC labels, and the record of what shipped.

A shipment is refused, with every reason at once, when it names a PO the partner never sent
(or one not accepted), a PO line that does not exist, a unit other than the one ordered, or
more units than were ordered once earlier shipments are counted. The PO rows are locked
while checking, so two shipments for one PO cannot both slip past the ordered quantity.

Every SSCC on the ASN is recorded once, ever (``storage.Sscc``): a supplied one already used,
on any shipment, is refused; ours come from the GS1 company prefix's counter and skip every
SSCC recorded. A shipment whose 856 never left (``invalid``) gives its SSCCs back to the
corrected record.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import TypeVar

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

import emitters
from emitters.x12_856 import AsnError
from gateway import storage
from gateway.errors import ControlNumberExhausted
from gateway.errors import OutboundRefused
from gateway.model.gs1 import is_valid_sscc
from gateway.model.outbound import Place
from gateway.model.outbound import ShipmentRecord
from gateway.model.outbound import ShippedItem
from gateway.model.outbound import ShippedOrder
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import emit_and_store
from partners import PartnerProfile
from partners import PartnerRegistry


@dataclass(slots=True)
class ShipmentOutcome:
    shipment_pk: int
    outbound_id: int | None
    status: str
    duplicate: bool = False
    errors: list[str] = field(default_factory=list)
    ssccs: list[str] = field(default_factory=list)


def partner_for(partners: PartnerRegistry, name: str) -> PartnerProfile:
    partner = partners.get(name)
    if partner is None:
        raise OutboundRefused([f"unknown partner {name!r}: no profile of that name"])
    return partner


_Sent = TypeVar("_Sent", storage.ShipmentRow, storage.InvoiceRow)


def sent_before(
    session: Session, model: type[_Sent], partner: PartnerProfile, number: Any, value: str
) -> tuple[_Sent | None, storage.OutboundRecord | None]:
    """The row an earlier record numbered ``value`` (in column ``number``) left for ``partner``,
    and the outbox row of the document it sent (None if there is none)."""
    existing = session.scalars(select(model).where(model.partner == partner.name, number == value)).first()
    return existing, outbound_of(session, existing)


def outbound_of(
    session: Session, row: storage.ShipmentRow | storage.InvoiceRow | None
) -> storage.OutboundRecord | None:
    """The outbox row of the 856 or 810 that ``row`` sent, if it sent one."""
    if row is None or not row.outbound_id:
        return None
    return session.get(storage.OutboundRecord, row.outbound_id)


def record_shipment(
    session: Session, record: ShipmentRecord, partners: PartnerRegistry, *, when: datetime
) -> ShipmentOutcome:
    """Check ``record``, write its 856 into the outbox and remember what shipped (caller commits)."""
    partner = partner_for(partners, record.partner)
    received = record.model_dump(mode="json")
    existing, outbound = sent_before(
        session, storage.ShipmentRow, partner, storage.ShipmentRow.shipment_id, record.shipment_id
    )
    if existing is not None and outbound is not None and outbound.status == OutboxStatus.INVALID:
        # its 856 never left: a corrected record takes the shipment id
        session.execute(delete(storage.ShippedLine).where(storage.ShippedLine.shipment_pk == existing.id))
        session.execute(  # nor did its labels: the corrected record may carry the same ones
            delete(storage.Sscc).where(
                storage.Sscc.partner == partner.name, storage.Sscc.shipment_id == record.shipment_id
            )
        )
        session.delete(existing)
        session.flush()
    elif existing is not None:
        if existing.record != received:
            raise OutboundRefused(
                [f"shipment {record.shipment_id} was already sent with other contents; use a new shipment id"]
            )
        return outcome_of(session, existing)
    shipment = record.model_copy(deep=True)
    problems: list[str] = []
    order_ids: dict[str, int] = {}
    for order in shipment.orders:
        order_id = _check_order(session, partner, order, problems)
        if order_id is not None:
            order_ids[order.po_number] = order_id
    problems += _check_structure(shipment, partner)
    ssccs = _label_packs(session, shipment, partner, when, problems)
    if shipment.ship_to is None and shipment.orders[0].po_number in order_ids:
        shipment.ship_to = _ship_to_of(session, order_ids[shipment.orders[0].po_number])
    if problems:
        raise OutboundRefused(problems)
    try:
        outbound_id = emit_and_store(
            session,
            partner,
            lambda numbers: emitters.x12_856.emit(
                shipment, partner, structure=partner.asn_structure, numbers=numbers, when=when
            ),
            when=when,
        )
    except AsnError as exc:
        raise OutboundRefused([str(exc)]) from exc
    pk = int(
        session.execute(
            insert(storage.ShipmentRow).returning(storage.ShipmentRow.id),
            {
                "partner": partner.name,
                "shipment_id": record.shipment_id,
                "record": received,
                "outbound_id": outbound_id,
                "created_at": when,
            },
        ).scalar_one()
    )
    session.execute(
        insert(storage.ShippedLine),
        [
            {
                "shipment_pk": pk,
                "order_id": order_ids[order.po_number],
                "line_no": item.line_no,
                "quantity": item.quantity,
                "uom": item.uom,
            }
            for order in shipment.orders
            for item in order.all_items()
        ],
    )
    outbound = session.get(storage.OutboundRecord, outbound_id)
    assert outbound is not None
    if outbound.status != OutboxStatus.INVALID:  # an 856 that may leave: the dashboard's time to ship
        storage.tally_shipment(session, order_ids.values(), at=when)
    return ShipmentOutcome(pk, outbound_id, outbound.status, errors=list(outbound.errors), ssccs=ssccs)


def outcome_of(session: Session, row: storage.ShipmentRow) -> ShipmentOutcome:
    """What an earlier record of the same shipment left: the outcome a repeat of it answers with."""
    outbound = outbound_of(session, row)
    return ShipmentOutcome(
        row.id,
        row.outbound_id,
        outbound.status if outbound else "unknown",
        duplicate=True,
        errors=list(outbound.errors) if outbound else [],
    )


def _check_order(
    session: Session, partner: PartnerProfile, order: ShippedOrder, problems: list[str]
) -> int | None:
    """The accepted PO this part of the shipment answers, locked; its lines checked and filled in."""
    po = storage.PurchaseOrder
    rows = session.scalars(
        select(po)
        .where(po.customer_account == partner.customer_account, po.po_number == order.po_number)
        .order_by(po.id.desc())
        .with_for_update()
    ).all()
    accepted = next((row for row in rows if row.status == OrderStatus.ACCEPTED), None)
    if accepted is None:
        if rows:
            problems.append(f"PO {order.po_number} is {rows[0].status}, not accepted: it cannot ship")
        else:
            problems.append(f"PO {order.po_number} is unknown: {partner.label} never sent it")
        return None
    order.po_date = order.po_date or accepted.po_date
    lines = {
        row.line_no: row
        for row in session.scalars(
            select(storage.OrderLineRecord).where(storage.OrderLineRecord.order_id == accepted.id)
        )
    }
    before = shipped_so_far(session, accepted.id)
    now: dict[str, Decimal] = {}
    for item in order.all_items():
        line = lines.get(item.line_no)
        if line is None:
            problems.append(f"PO {order.po_number} has no line {item.line_no}")
            continue
        if line.uom and item.uom != line.uom:
            problems.append(
                f"PO {order.po_number} line {item.line_no} was ordered in {line.uom}, the shipment says {item.uom}"
            )
        now[item.line_no] = now.get(item.line_no, Decimal(0)) + item.quantity
        _fill(item, line)
    for line_no, quantity in now.items():
        ordered = lines[line_no].quantity or Decimal(0)
        earlier = before.get(line_no, Decimal(0))
        if earlier + quantity > ordered:
            problems.append(
                f"PO {order.po_number} line {line_no}: ships {quantity:f}, ordered {ordered.normalize():f}, "
                f"already shipped {earlier.normalize():f}; that is more than was ordered"
            )
    return accepted.id


def shipped_so_far(session: Session, order_id: int) -> dict[str, Decimal]:
    """The units of each line of the order that earlier shipments took, by line number."""
    shipped = storage.ShippedLine
    return {
        line_no: Decimal(total)
        for line_no, total in session.execute(
            select(shipped.line_no, func.sum(shipped.quantity))
            .where(shipped.order_id == order_id)
            .group_by(shipped.line_no)
        )
    }


def _fill(item: ShippedItem, line: storage.OrderLineRecord) -> None:
    """What the record leaves out is taken from the PO line, so the ASN reconciles to it."""
    item.sku = item.sku or line.sku or line.vendor_sku
    item.upc = item.upc or line.upc
    item.buyer_part = item.buyer_part or line.buyer_part
    item.description = item.description or line.description


def _check_structure(shipment: ShipmentRecord, partner: PartnerProfile) -> list[str]:
    if partner.asn_structure != "SOPI":
        return []
    return [
        f"{partner.label} takes pack-level ASNs (SOPI): PO {order.po_number} has items outside any pack"
        for order in shipment.orders
        if order.items or not order.packs
    ]


def _label_packs(
    session: Session, shipment: ShipmentRecord, partner: PartnerProfile, when: datetime, problems: list[str]
) -> list[str]:
    """Claim every supplied SSCC, then give each pack without one the next unused SSCC of the prefix.

    Supplied ones go first, so a serial allocated here can never be one a later pack supplies.
    An SSCC recorded before (on any shipment, ours or supplied) is refused: it is used once, ever.
    """
    packs = [(order, pack) for order in shipment.orders for pack in order.packs]
    for order, pack in packs:
        if pack.sscc is None:
            continue
        if not is_valid_sscc(pack.sscc):
            problems.append(f"SSCC {pack.sscc} on PO {order.po_number} has a wrong check digit")
            continue
        holder = storage.claim_sscc(
            session, pack.sscc, partner=partner.name, shipment_id=shipment.shipment_id, when=when
        )
        if holder is None:
            continue
        if holder.partner == partner.name and holder.shipment_id == shipment.shipment_id:
            problems.append(
                f"SSCC {pack.sscc} is on two packs of shipment {shipment.shipment_id}; an SSCC is never used twice"
            )
        else:
            problems.append(
                f"SSCC {pack.sscc} on PO {order.po_number} is already used, on shipment {holder.shipment_id} "
                f"to {partner.label if holder.partner == partner.name else holder.partner}; an SSCC is never used twice"
            )
    for order, pack in packs:
        if pack.sscc is not None:
            continue
        if partner.gs1_company_prefix is None:
            problems.append(
                f"a pack of PO {order.po_number} has no SSCC and {partner.label}'s profile sets no "
                "gs1_company_prefix to make one"
            )
            continue
        try:
            pack.sscc = storage.allocate_sscc(
                session,
                partner.gs1_company_prefix,
                partner=partner.name,
                shipment_id=shipment.shipment_id,
                when=when,
            )
        except ControlNumberExhausted as exc:
            problems.append(str(exc))
            return []
    return [pack.sscc for _, pack in packs if pack.sscc is not None]


def _ship_to_of(session: Session, order_id: int) -> Place | None:
    row = session.get(storage.PurchaseOrder, order_id)
    parties: list[dict[str, Any]] = (row.canonical or {}).get("parties", []) if row else []
    party = next((p for p in parties if p.get("role") == "ST"), None)
    if party is None or not party.get("name"):
        return None
    address = party.get("address") or {}
    return Place(
        role="ST",
        name=party["name"],
        id_qualifier=party.get("id_qualifier"),
        id=party.get("id"),
        address=address.get("lines", []),
        city=address.get("city"),
        state=address.get("region"),
        postal_code=address.get("postal_code"),
        country=address.get("country"),
    )
