"""Invoices in (or made from a shipment), 810s out, and the order taken out of open credit exposure.

An invoice is refused, with every reason at once, when its PO is unknown or not accepted, a
line names no PO line or another unit, more is invoiced than was ordered (counting earlier
invoices), or its currency is not the order's. Sending one sets the order's ``invoiced_at``:
from then on it is open AR in the ERP, not an open order here.

A line's unit price is held to the accepted order line's, within the partner's
``[invoicing] price_tolerance``. Beyond it, ``price_mismatch = "refuse"`` refuses the invoice
with the other reasons; ``"hold"`` records it with its 810 ``held`` in the outbox and an open
``invoice_held`` alert, until ``release_invoice`` lets it go or a corrected record under the
same number replaces it. A held invoice counts as invoiced quantity but does not set
``invoiced_at`` until it is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

import emitters
import validators
from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.errors import OutboundRefused
from gateway.model.outbound import InvoiceLine
from gateway.model.outbound import InvoiceRecord
from gateway.model.outbound import Place
from gateway.model.outbound import ShipmentRecord
from gateway.model.status import AlertKind
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import emit_and_store
from gateway.outbound.shipping import partner_for
from gateway.outbound.shipping import sent_before
from partners import PartnerProfile
from partners import PartnerRegistry

_NUMBER_KIND = "INVOICE"


@dataclass(slots=True)
class InvoiceOutcome:
    invoice_pk: int
    invoice_number: str
    outbound_id: int | None
    status: str
    total: Decimal
    duplicate: bool = False
    errors: list[str] = field(default_factory=list)


def record_invoice(
    session: Session, record: InvoiceRecord, partners: PartnerRegistry, *, when: datetime
) -> InvoiceOutcome:
    """Check ``record``, write its 810 into the outbox and mark the order invoiced (caller commits)."""
    partner = partner_for(partners, record.partner)
    received = record.model_dump(mode="json")
    existing, outbound = sent_before(
        session, storage.InvoiceRow, partner, storage.InvoiceRow.invoice_number, record.invoice_number
    )
    if (
        existing is not None
        and outbound is not None
        and (
            outbound.status == OutboxStatus.INVALID
            or (outbound.status == OutboxStatus.HELD and existing.record != received)
        )
    ):
        # its 810 never left: a corrected record takes the number (the same one held is a duplicate)
        if outbound.status == OutboxStatus.HELD:
            outbound.status = OutboxStatus.INVALID
            outbound.errors = [
                *outbound.errors,
                f"replaced: invoice {record.invoice_number} was sent again corrected",
            ]
            resolve_alerts(session, at=when, outbound_id=outbound.id)
        session.delete(existing)
        session.flush()
    elif existing is not None:
        if existing.record != received:
            raise OutboundRefused([f"invoice {record.invoice_number} was already sent with other contents"])
        return InvoiceOutcome(
            existing.id,
            existing.invoice_number,
            existing.outbound_id,
            outbound.status if outbound else "unknown",
            existing.total,
            duplicate=True,
        )
    invoice = record.model_copy(deep=True)
    order = _accepted_order(session, partner, invoice.po_number)
    held = _check_lines(session, order, invoice, partner)
    invoice.po_date = invoice.po_date or order.po_date
    outbound_id = emit_and_store(
        session,
        partner,
        lambda numbers: emitters.x12_810.emit(invoice, partner, numbers=numbers, when=when),
        when=when,
        order_id=order.id,
        hold=held,
    )
    pk = int(
        session.execute(
            insert(storage.InvoiceRow).returning(storage.InvoiceRow.id),
            {
                "partner": partner.name,
                "invoice_number": record.invoice_number,
                "order_id": order.id,
                "record": received,
                "total": invoice.total,
                "outbound_id": outbound_id,
                "created_at": when,
            },
        ).scalar_one()
    )
    outbound = session.get(storage.OutboundRecord, outbound_id)
    assert outbound is not None
    if outbound.status == OutboxStatus.HELD:
        raise_alert(
            session,
            kind=AlertKind.INVOICE_HELD,
            partner=partner.name,
            outbound_id=outbound_id,
            order_id=order.id,
            message=f"invoice {record.invoice_number} to {partner.label} is held: {'; '.join(held)}",
            action=f"release it (gateway invoice --release {record.invoice_number} --partner {partner.name}) "
            "or send it corrected under the same number",
            at=when,
        )
    else:
        _mark_invoiced(session, order.id, when)
    return InvoiceOutcome(
        pk, record.invoice_number, outbound_id, outbound.status, invoice.total, errors=list(outbound.errors)
    )


def _accepted_order(session: Session, partner: PartnerProfile, po_number: str) -> storage.PurchaseOrder:
    po = storage.PurchaseOrder
    rows = session.scalars(
        select(po)
        .where(po.customer_account == partner.customer_account, po.po_number == po_number)
        .order_by(po.id.desc())
        .with_for_update()
    ).all()
    accepted = next((row for row in rows if row.status == OrderStatus.ACCEPTED), None)
    if accepted is not None:
        return accepted
    if rows:
        raise OutboundRefused([f"PO {po_number} is {rows[0].status}, not accepted: it cannot be invoiced"])
    raise OutboundRefused([f"PO {po_number} is unknown: {partner.label} never sent it"])


def release_invoice(
    session: Session, partner: PartnerProfile, invoice_number: str, *, now: datetime, actor: str = "cli"
) -> int:
    """Let a held invoice's 810 leave as it is, a person having looked; returns its outbound id.

    The release is in the audit log under ``actor``, with the reasons it was held.
    """
    row = session.scalars(
        select(storage.InvoiceRow).where(
            storage.InvoiceRow.partner == partner.name, storage.InvoiceRow.invoice_number == invoice_number
        )
    ).first()
    if row is None or row.outbound_id is None:
        raise OutboundRefused([f"no invoice {invoice_number} was recorded for {partner.label}"])
    outbound = session.get(storage.OutboundRecord, row.outbound_id, with_for_update=True)
    assert outbound is not None
    if outbound.status != OutboxStatus.HELD:
        raise OutboundRefused([f"invoice {invoice_number} is not held: its 810 is {outbound.status}"])
    storage.record_audit(
        session,
        actor=actor,
        action="invoice.release",
        subject_type="outbound",
        subject_id=str(outbound.id),
        before={"status": OutboxStatus.HELD, "errors": outbound.errors},
        after={"status": OutboxStatus.PENDING},
        at=now,
    )
    outbound.status, outbound.errors = OutboxStatus.PENDING, []
    resolve_alerts(session, at=now, outbound_id=outbound.id)
    if row.order_id is not None:
        _mark_invoiced(session, row.order_id, now)
    return outbound.id


def _mark_invoiced(session: Session, order_id: int, when: datetime) -> None:
    session.execute(
        update(storage.PurchaseOrder)
        .where(storage.PurchaseOrder.id == order_id, storage.PurchaseOrder.invoiced_at.is_(None))
        .values(invoiced_at=when)
    )


def _check_lines(
    session: Session, order: storage.PurchaseOrder, invoice: InvoiceRecord, partner: PartnerProfile
) -> list[str]:
    """Refuses what cannot be invoiced; returns the price differences a ``hold`` policy holds for."""
    problems: list[str] = []
    prices: list[str] = []
    policy = partner.invoicing
    tolerance = policy.price_tolerance
    if order.currency and invoice.currency != order.currency:
        problems.append(f"invoice currency {invoice.currency} is not the order's {order.currency}")
    lines = {
        row.line_no: row
        for row in session.scalars(
            select(storage.OrderLineRecord).where(storage.OrderLineRecord.order_id == order.id)
        )
    }
    earlier: dict[str, Decimal] = {}
    for row in session.scalars(
        select(storage.InvoiceRow.record).where(storage.InvoiceRow.order_id == order.id)
    ):
        for line in row.get("lines", []):
            earlier[line["line_no"]] = earlier.get(line["line_no"], Decimal(0)) + Decimal(line["quantity"])
    now: dict[str, Decimal] = {}
    for line in invoice.lines:
        ordered = lines.get(line.line_no)
        if ordered is None:
            problems.append(f"PO {invoice.po_number} has no line {line.line_no}")
            continue
        if ordered.uom and line.uom != ordered.uom:
            problems.append(f"line {line.line_no} was ordered in {ordered.uom}, the invoice says {line.uom}")
        elif ordered.unit_price is not None and not tolerance.allows(ordered.unit_price, line.unit_price):
            prices.append(
                f"PO {invoice.po_number} line {line.line_no}: invoiced at {validators.money(line.unit_price)}, "
                f"the accepted order price is {validators.money(ordered.unit_price)} "
                f"({partner.label}'s tolerance: {tolerance.describe()})"
            )
        now[line.line_no] = now.get(line.line_no, Decimal(0)) + line.quantity
    for line_no, quantity in now.items():
        ordered_quantity = lines[line_no].quantity or Decimal(0)
        before = earlier.get(line_no, Decimal(0))
        if before + quantity > ordered_quantity:
            problems.append(
                f"line {line_no}: invoices {quantity.normalize():f}, ordered {ordered_quantity.normalize():f}, "
                f"already invoiced {before.normalize():f}; that is more than was ordered"
            )
    if policy.price_mismatch == "refuse":
        problems += prices
    if problems:
        raise OutboundRefused(problems)
    return prices


def invoices_for_shipment(
    session: Session, partner: PartnerProfile, shipment_id: str, *, invoice_date: date
) -> list[InvoiceRecord]:
    """One invoice per PO on a sent shipment: what shipped, at the price on the accepted order."""
    row = session.scalars(
        select(storage.ShipmentRow).where(
            storage.ShipmentRow.partner == partner.name, storage.ShipmentRow.shipment_id == shipment_id
        )
    ).first()
    if row is None:
        raise OutboundRefused([f"no shipment {shipment_id} was sent to {partner.label}"])
    shipment = ShipmentRecord.model_validate(row.record)
    invoices: list[InvoiceRecord] = []
    for shipped in shipment.orders:
        order = _accepted_order(session, partner, shipped.po_number)
        lines = {
            line.line_no: line
            for line in session.scalars(
                select(storage.OrderLineRecord).where(storage.OrderLineRecord.order_id == order.id)
            )
        }
        quantities: dict[str, Decimal] = {}
        for item in shipped.all_items():
            quantities[item.line_no] = quantities.get(item.line_no, Decimal(0)) + item.quantity
        invoice_lines = [
            InvoiceLine(
                line_no=line_no,
                quantity=quantity,
                uom=lines[line_no].uom or "EA",
                unit_price=_price(lines[line_no], shipped.po_number),
                sku=lines[line_no].sku or lines[line_no].vendor_sku,
                upc=lines[line_no].upc,
                buyer_part=lines[line_no].buyer_part,
                description=lines[line_no].description,
            )
            for line_no, quantity in quantities.items()
        ]
        number = storage.allocate_control_number(session, partner.name, _NUMBER_KIND)
        invoices.append(
            InvoiceRecord(
                invoice_number=f"IN{number:08d}",
                partner=partner.name,
                invoice_date=invoice_date,
                po_number=shipped.po_number,
                po_date=order.po_date,
                currency=order.currency or "USD",
                shipment_id=shipment.shipment_id,
                ship_date=shipment.ship_date,
                bill_of_lading=shipment.bill_of_lading,
                carrier=shipment.carrier,
                parties=[_remit_to(shipment.ship_from), *([shipment.ship_to] if shipment.ship_to else [])],
                lines=invoice_lines,
            )
        )
    return invoices


def _price(line: storage.OrderLineRecord, po_number: str) -> Decimal:
    if line.unit_price is None:
        raise OutboundRefused([f"PO {po_number} line {line.line_no} has no price to invoice at"])
    return line.unit_price


def _remit_to(ship_from: Place) -> Place:
    return ship_from.model_copy(update={"role": "RI"})
