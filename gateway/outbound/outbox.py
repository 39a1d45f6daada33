"""The outbox: every document the gateway sends is stored here first, checked, then delivered.

An 855, 856 or 810 is run through pyx12 with the project's own maps before it may leave; one
that fails stays in the outbox as ``invalid`` with pyx12's errors beside it. Documents the
partner must answer with a 997/999 carry the partner's window; the answer falls due that long
after the document is sent (``start_ack_clock``), so an answer that never comes is seen, and a
document that never left is shown as not sent instead of overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

import emitters
import parsers
from gateway import storage
from gateway.model.order import Order
from gateway.model.status import OutboxStatus
from parsers.x12 import MAP_DIR
from partners import PartnerProfile

CHECKED_KINDS = frozenset({"855", "865", "856", "810"})
KIND_OF_GROUP = {"PR": "855", "CA": "865", "SH": "856", "IN": "810"}  # GS01 -> the set it carries
_BAD_VERDICTS = {"R": "rejected", "P": "partially accepted", "E": "accepted with errors"}
ERP_EMITTERS = {
    "erp.canonical": emitters.erp_canonical,
    "erp.netsuite": emitters.erp_netsuite,
    "erp.business_central": emitters.erp_business_central,
}
ERP_KINDS = tuple(ERP_EMITTERS)


def pre_send_errors(document: emitters.OutboundDocument) -> list[str]:
    """What stops ``document`` from leaving: pyx12's errors for X12 business documents, else none."""
    if document.kind not in CHECKED_KINDS:
        return []
    return parsers.check_interchange(document.content, MAP_DIR)


def store_outbound(
    session: Session,
    document: emitters.OutboundDocument,
    *,
    when: datetime,
    document_id: int | None = None,
    order_id: int | None = None,
    ack_window: timedelta | None = None,
    idempotency_key: str | None = None,
    hold: Sequence[str] = (),
) -> int:
    """Store ``document`` in the outbox, checked; returns its id.

    ``ack_window``: the partner's 997/999 is due that long after the document is sent.
    ``hold``: why it must wait for a person; it is stored ``held`` (``invalid`` wins) with those reasons.
    """
    checked = pre_send_errors(document)
    status = OutboxStatus.INVALID if checked else OutboxStatus.HELD if hold else OutboxStatus.PENDING
    errors = [*checked, *hold]
    row = {
        "partner": document.partner,
        "kind": document.kind,
        "content": document.content,
        "interchange_control_number": document.interchange_control_number,
        "group_control_number": document.group_control_number,
        "transaction_control_numbers": document.transaction_control_numbers,
        "document_id": document_id,
        "order_id": order_id,
        "status": status,
        "errors": errors,
        "created_at": when,
        "refers_to": document.refers_to,
        "ack_window_seconds": round(ack_window.total_seconds())
        if ack_window is not None and status != OutboxStatus.INVALID
        else None,
        "idempotency_key": idempotency_key,
        "erp_request": document.request,
    }
    stored = session.execute(insert(storage.OutboundRecord).returning(storage.OutboundRecord.id), row)
    if order_id is None:  # an answer to the document itself (a 997, a TA1) takes it out of the desk's queue
        storage.tally_documents(session, [document_id])  # (one about an order: the document has an order)
    return int(stored.scalar_one())


def queue_erp_payload(
    session: Session,
    kind: str,
    order: Order,
    partner: PartnerProfile,
    *,
    order_id: int,
    when: datetime,
    cancel: bool = False,
) -> int | None:
    """Queue what the ERP must hear of a decided order; returns the last payload's id, or None.

    An order the ERP has not had (no earlier payload of it pending or sent) gets its create; one it
    has gets the ERP's update, or with ``cancel`` its cancel (an order it never had needs none).
    Each payload has its own idempotency key. One that cannot be written raises an alert instead.
    """
    emitter = ERP_EMITTERS[kind]
    outbound = storage.OutboundRecord
    earlier = list(
        session.scalars(select(outbound.status).where(outbound.order_id == order_id, outbound.kind == kind))
    )
    sent_before = any(status in (OutboxStatus.PENDING, OutboxStatus.SENT) for status in earlier)
    if cancel and not sent_before:
        return None
    try:
        if not sent_before:
            documents = [emitter.emit(order, partner, order_id=order_id, when=when)]
        else:
            shape = emitter.emit_cancel if cancel else emitter.emit_update
            documents = shape(order, partner, order_id=order_id, when=when)
    except emitters.ErpPayloadError as exc:
        session.execute(
            insert(storage.Alert),
            {
                "at": when,
                "kind": "erp_payload",
                "partner": partner.name,
                "message": f"order {order_id} (PO {order.po_number}) cannot go to the ERP: {exc}",
            },
        )
        return None
    last = None
    for sequence, document in enumerate(documents, start=len(earlier)):
        last = store_outbound(
            session,
            document,
            when=when,
            order_id=order_id,
            idempotency_key=emitters.idempotency_key(kind, partner.name, order_id, sequence),
        )
    return last


def record_partner_ack(session: Session, ack: parsers.ReceivedAck, *, when: datetime) -> str | None:
    """Mark what a partner's 997/999 answers as acknowledged; a bad verdict raises an alert.

    Returns why nothing matched, or None.
    """
    kind = KIND_OF_GROUP.get(ack.functional_id)
    if kind is None or ack.partner is None or not ack.group_control_number.isdigit():
        return f"a 997/999 for group {ack.functional_id} {ack.group_control_number} answers nothing we track"
    outbound = storage.OutboundRecord
    rows = session.scalars(
        select(outbound).where(
            outbound.partner == ack.partner,
            outbound.kind == kind,
            outbound.group_control_number == int(ack.group_control_number),
        )
    ).all()
    if not rows:
        return f"the 997/999 answers {kind} group {ack.group_control_number}, which we never sent to {ack.partner}"
    for row in rows:
        row.ack_received_at, row.ack_code = when, ack.code or None
        verdict = _BAD_VERDICTS.get(ack.code)
        if verdict:
            rejected = ", ".join(f"set {n} {code}" for n, code in sorted(ack.sets.items()) if code != "A")
            session.execute(
                insert(storage.Alert),
                {
                    "at": when,
                    "kind": "ack_rejected",
                    "partner": ack.partner,
                    "outbound_id": row.id,
                    "message": f"{ack.partner} {verdict} our {kind} {row.refers_to} (group {ack.group_control_number})"
                    + (f": {rejected}" if rejected else ""),
                },
            )
    return None


def start_ack_clock(row: storage.OutboundRecord, *, at: datetime) -> None:
    """The document left at ``at``: the partner's 997/999 is due a window later (first send only)."""
    if row.ack_window_seconds is not None and row.ack_due_at is None:
        row.ack_due_at = at + timedelta(seconds=row.ack_window_seconds)


def confirm_delivery(session: Session, outbound_id: int, *, at: datetime) -> bool:
    """Mark a document that waited for its receipt (an async MDN) as sent; False if it was not waiting."""
    row = session.get(storage.OutboundRecord, outbound_id, with_for_update=True)
    if row is None or row.status not in (OutboxStatus.AWAITING_MDN, OutboxStatus.PENDING):
        return False
    row.status, row.delivered_at, row.next_attempt_at, row.last_error = OutboxStatus.SENT, at, None, None
    start_ack_clock(row, at=at)
    return True
