"""Invoices in (or made from a shipment), 810s out, and the order taken out of open credit exposure.

An invoice is refused, with every reason at once, when its PO is unknown or not accepted, a
line names no PO line or another unit, more is invoiced than was ordered (counting earlier
invoices), or its currency is not the order's. Sending one sets the order's ``invoiced_at``:
from then on it is open AR in the ERP, not an open order here.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

import emitters
from gateway import storage
from gateway.errors import OutboundRefused
from gateway.outbound_model import InvoiceLine
from gateway.outbound_model import InvoiceRecord
from gateway.outbound_model import Place
from gateway.outbound_model import ShipmentRecord
from gateway.outbox import INVALID
from gateway.outbox import store_outbound
from gateway.shipping import partner_for
from partners import PartnerProfile
from partners import PartnerRegistry

ACCEPTED = "accepted"
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
    existing = session.scalars(
        select(storage.InvoiceRow).where(
            storage.InvoiceRow.partner == partner.name,
            storage.InvoiceRow.invoice_number == record.invoice_number,
        )
    ).first()
    outbound = (
        session.get(storage.OutboundRecord, existing.outbound_id)
        if existing and existing.outbound_id
        else None
    )
    if existing is not None and outbound is not None and outbound.status == INVALID:
        session.delete(existing)  # its 810 never left: a corrected record takes the number
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
    _check_lines(session, order, invoice)
    invoice.po_date = invoice.po_date or order.po_date
    document = emitters.x12_810.emit(
        invoice, partner, numbers=storage.ControlNumbers(session, partner.name), when=when
    )
    outbound_id = store_outbound(
        session,
        document,
        when=when,
        order_id=order.id,
        ack_window=timedelta(hours=partner.ack_window_hours),
    )
    pk = int(
        session.scalar(
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
        )
    )
    session.execute(
        update(storage.PurchaseOrder)
        .where(storage.PurchaseOrder.id == order.id, storage.PurchaseOrder.invoiced_at.is_(None))
        .values(invoiced_at=when)
    )
    outbound = session.get(storage.OutboundRecord, outbound_id)
    assert outbound is not None
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
    accepted = next((row for row in rows if row.status == ACCEPTED), None)
    if accepted is not None:
        return accepted
    if rows:
        raise OutboundRefused([f"PO {po_number} is {rows[0].status}, not accepted: it cannot be invoiced"])
    raise OutboundRefused([f"PO {po_number} is unknown: {partner.label} never sent it"])


def _check_lines(session: Session, order: storage.PurchaseOrder, invoice: InvoiceRecord) -> None:
    problems: list[str] = []
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
        now[line.line_no] = now.get(line.line_no, Decimal(0)) + line.quantity
    for line_no, quantity in now.items():
        ordered_quantity = lines[line_no].quantity or Decimal(0)
        before = earlier.get(line_no, Decimal(0))
        if before + quantity > ordered_quantity:
            problems.append(
                f"line {line_no}: invoices {quantity.normalize():f}, ordered {ordered_quantity.normalize():f}, "
                f"already invoiced {before.normalize():f}; that is more than was ordered"
            )
    if problems:
        raise OutboundRefused(problems)


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
