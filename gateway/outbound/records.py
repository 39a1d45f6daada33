"""Shipment and invoice records as the ERP hands them in (CLI file or HTTP body): read, record, report.

The one path both ``gateway ship`` / ``gateway invoice`` and ``POST /api/shipments`` /
``POST /api/invoices`` take: the JSON is read into the record model (every field error named
with its path), recorded in one transaction, and answered with a JSON-ready outcome.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from typing import TypeVar

from pydantic import BaseModel
from pydantic import ValidationError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.errors import OutboundRefused
from gateway.model.outbound import InvoiceRecord
from gateway.model.outbound import ShipmentRecord
from gateway.outbound.invoicing import invoices_for_shipment
from gateway.outbound.invoicing import record_invoice
from gateway.outbound.shipping import partner_for
from gateway.outbound.shipping import record_shipment
from partners import PartnerRegistry

Record = TypeVar("Record", bound=BaseModel)


def read_record(model: type[Record], data: bytes | str) -> Record:
    """``data`` as a ``model``; a malformed one is refused with one problem per bad field."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'record'}: {error['msg']}" for error in exc.errors()
        ]
        raise OutboundRefused(problems) from exc


def submit_shipment(
    sessions: sessionmaker[Session], partners: PartnerRegistry, data: bytes | str, *, when: datetime
) -> dict[str, Any]:
    """Record one shipment and queue its 856; raises ``OutboundRefused`` with every reason."""
    record = read_record(ShipmentRecord, data)
    with sessions() as session, session.begin():
        outcome = record_shipment(session, record, partners, when=when)
    return {"shipment_id": record.shipment_id, "partner": record.partner, **asdict(outcome)}


def submit_invoice(
    sessions: sessionmaker[Session], partners: PartnerRegistry, data: bytes | str, *, when: datetime
) -> dict[str, Any]:
    """Record one invoice and queue its 810."""
    record = read_record(InvoiceRecord, data)
    with sessions() as session, session.begin():
        outcome = record_invoice(session, record, partners, when=when)
    return {"partner": record.partner, **asdict(outcome)}


def invoice_shipment(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    partner_name: str,
    shipment_id: str,
    *,
    when: datetime,
) -> list[dict[str, Any]]:
    """An invoice per PO of a sent shipment, at the accepted prices, each with its 810."""
    partner = partner_for(partners, partner_name)
    with sessions() as session, session.begin():
        records = invoices_for_shipment(session, partner, shipment_id, invoice_date=when.date())
        return [
            {"partner": partner.name, **asdict(record_invoice(session, record, partners, when=when))}
            for record in records
        ]
