"""A carrier platform's booking recorded as a shipment: the order found, its lines, the 856 queued.

The booking names an order (our PO number, else the gateway's order id) of the partner the
webhook's URL names. It ships the lines it lists (by our line number or by SKU), else every open
line of the order: what was ordered less what earlier shipments took. The shipment id is the
first tracking number (cut to a hash where longer than BSN02's 30 characters), so the same
booking reported twice, by the same event again or by a later event with the same tracking
number, is one shipment with one 856; ``earlier_event`` finds an event id seen before. Everything else is ``gateway.outbound.shipping``'s
``record_shipment``: the same pre-flight checks, SSCCs and outbox.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.errors import OutboundRefused
from gateway.model.outbound import CarrierBooking
from gateway.model.outbound import Pack
from gateway.model.outbound import Place
from gateway.model.outbound import ShipmentRecord
from gateway.model.outbound import ShippedItem
from gateway.model.outbound import ShippedOrder
from gateway.model.status import DocumentStatus
from gateway.model.status import OrderStatus
from gateway.outbound.shipping import ShipmentOutcome
from gateway.outbound.shipping import outcome_of
from gateway.outbound.shipping import partner_for
from gateway.outbound.shipping import record_shipment
from gateway.outbound.shipping import sent_before
from gateway.outbound.shipping import shipped_so_far
from partners import PartnerProfile
from partners import PartnerRegistry

from .carrier_webhooks import carrier_of

_SHIPMENT_ID_MAX = 30


def shipment_id_of(booking: CarrierBooking) -> str:
    """BSN02 for the booking: its first tracking number, or a hash of it when that is too long."""
    tracking = booking.tracking_numbers[0]
    if 2 <= len(tracking) <= _SHIPMENT_ID_MAX:
        return tracking
    return "T" + hashlib.sha256(tracking.encode()).hexdigest()[: _SHIPMENT_ID_MAX - 1].upper()


def earlier_event(session: Session, platform: str, partner: str, event_id: str) -> storage.Document | None:
    """The processed document that already carried this event of the platform for the partner, if any."""
    document = storage.Document
    return session.scalars(
        select(document)
        .where(
            document.channel == platform,
            document.partner == partner,
            document.status == DocumentStatus.PROCESSED,
            document.meta["event_id"].as_string() == event_id,
        )
        .order_by(document.id)
        .limit(1)
    ).first()


def record_booking(
    session: Session, booking: CarrierBooking, partners: PartnerRegistry, partner_name: str, *, when: datetime
) -> tuple[str, ShipmentOutcome]:
    """Record the booking's shipment and queue its 856 (caller commits); refused with every reason."""
    partner = partner_for(partners, partner_name)
    shipment_id = shipment_id_of(booking)
    existing, _ = sent_before(
        session, storage.ShipmentRow, partner, storage.ShipmentRow.shipment_id, shipment_id
    )
    if existing is not None:
        return shipment_id, outcome_of(session, existing)
    order = _order(session, partner, booking.order_reference)
    items = _items(session, order, booking)
    po_number = order.po_number or booking.order_reference
    orders = [
        ShippedOrder(po_number=po_number, packs=[Pack(weight=booking.weight, items=items)])
        if partner.asn_structure == "SOPI"
        else ShippedOrder(po_number=po_number, items=items)
    ]
    record = ShipmentRecord(
        shipment_id=shipment_id,
        partner=partner.name,
        ship_date=booking.ship_date or when.date(),
        carrier=carrier_of(booking),
        tracking_number=booking.tracking_numbers[0],
        gross_weight=booking.weight,
        weight_uom="KG",  # nShift's parcel weights are kilograms; Ingrid's notification names none
        ship_from=booking.sender or _us(partner),
        orders=orders,
    )
    return shipment_id, record_shipment(session, record, partners, when=when)


def _us(partner: PartnerProfile) -> Place:
    """The ship-from when the booking names no sender (Ingrid's never does): us, by our interchange id."""
    if partner.us is None:
        raise OutboundRefused(
            [f"the booking names no sender and {partner.label}'s profile sets no [us] identity"]
        )
    return Place(role="SF", name=partner.us.id, id_qualifier=None)


def _order(session: Session, partner: PartnerProfile, reference: str) -> storage.PurchaseOrder:
    """The partner's accepted order the booking names: by PO number, else by the gateway's order id."""
    po = storage.PurchaseOrder
    rows = list(
        session.scalars(
            select(po)
            .where(po.customer_account == partner.customer_account, po.po_number == reference)
            .order_by(po.id.desc())
        )
    )
    if not rows and reference.isdigit():
        by_id = session.get(po, int(reference))
        if by_id is not None and by_id.customer_account == partner.customer_account:
            rows = [by_id]
    accepted = next((row for row in rows if row.status == OrderStatus.ACCEPTED), None)
    if accepted is not None:
        return accepted
    if rows:
        raise OutboundRefused(
            [f"order {reference} of {partner.label} is {rows[0].status}, not accepted: it cannot ship"]
        )
    raise OutboundRefused(
        [f"the booking names order {reference!r}, which is no PO number or order id {partner.label} sent us"]
    )


def _items(session: Session, order: storage.PurchaseOrder, booking: CarrierBooking) -> list[ShippedItem]:
    """The lines the booking lists, else every line with units still open."""
    lines = list(
        session.scalars(
            select(storage.OrderLineRecord)
            .where(storage.OrderLineRecord.order_id == order.id)
            .order_by(storage.OrderLineRecord.id)
        )
    )
    if booking.items:
        problems: list[str] = []
        items: list[ShippedItem] = []
        for n, item in enumerate(booking.items):
            line = next(
                (
                    row
                    for row in lines
                    if (item.line_no is not None and row.line_no == item.line_no)
                    or (item.line_no is None and item.sku in (row.sku, row.vendor_sku, row.buyer_part))
                ),
                None,
            )
            if line is None:
                named = f"line {item.line_no}" if item.line_no is not None else f"SKU {item.sku}"
                problems.append(f"item {n}: PO {order.po_number} has no {named}")
                continue
            items.append(ShippedItem(line_no=line.line_no, quantity=item.quantity, uom=line.uom or "EA"))
        if problems:
            raise OutboundRefused(problems)
        return items
    before = shipped_so_far(session, order.id)
    open_items = [
        ShippedItem(line_no=line.line_no, quantity=left, uom=line.uom or "EA")
        for line in lines
        if (left := (line.quantity or Decimal(0)) - before.get(line.line_no, Decimal(0))) > 0
    ]
    if not open_items:
        raise OutboundRefused([f"PO {order.po_number} has no open lines: everything ordered has shipped"])
    return open_items
