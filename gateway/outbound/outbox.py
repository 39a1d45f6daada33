"""The outbox: every document the gateway sends is stored here first, checked, then delivered.

An 855, 856, 810 or 846 is run through pyx12 with the project's own maps before it may leave; one
that fails stays in the outbox as ``invalid`` with pyx12's errors beside it. Documents the
partner must answer with a 997/999 carry the partner's window; the answer falls due that long
after the document is sent (``start_ack_clock``), so an answer that never comes is seen, and a
document that never left is shown as not sent instead of overdue.

A document with control numbers is emitted and stored in one step (``emit_and_store``), and what a
decided order sends (its 855 or 865, its ERP payload) is ``send_decision``'s, whoever decided it.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from types import ModuleType
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

import emitters
import parsers
from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.config import AlertSettings
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.outbound import OrderAcknowledgment
from gateway.model.status import AlertKind
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.acknowledgments import acknowledgment_for
from parsers.x12 import MAP_DIR
from partners import DEFAULT_TARGET
from partners import ErpTarget
from partners import PartnerProfile

CHECKED_KINDS = frozenset({"855", "865", "856", "810", "846"})
KIND_OF_GROUP = {
    "PR": "855",
    "CA": "865",
    "SH": "856",
    "IN": "810",
    "IB": "846",
}  # GS01 -> the set it carries
_ANSWERED_KINDS = frozenset(KIND_OF_GROUP.values())  # what a partner's 997/999 answers (record_partner_ack)
_BAD_VERDICTS = {"R": "rejected", "P": "partially accepted", "E": "accepted with errors"}
_ERP_EMITTERS = {  # kind -> its module in emitters, imported when the first payload of it is written
    "erp.canonical": "erp_canonical",
    "erp.netsuite": "erp_netsuite",
    "erp.business_central": "erp_business_central",
    "erp.sap_business_one": "erp_sap_business_one",
    "erp.quickbooks_online": "erp_quickbooks_online",
    "erp.sage_intacct": "erp_sage_intacct",
    "erp.fortnox": "erp_fortnox",
    "erp.visma_net": "erp_visma_net",
}
ERP_KINDS = tuple(_ERP_EMITTERS)


def erp_emitter(kind: str) -> ModuleType:
    """The emitter of ERP payloads of ``kind`` (one of ``ERP_KINDS``)."""
    module: ModuleType = getattr(emitters, _ERP_EMITTERS[kind])
    return module


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
    erp_target: str | None = None,
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
        "erp_target": erp_target,
    }
    stored = session.execute(insert(storage.OutboundRecord).returning(storage.OutboundRecord.id), row)
    if order_id is None:  # an answer to the document itself (a 997, a TA1) takes it out of the desk's queue
        storage.tally_documents(session, [document_id])  # (one about an order: the document has an order)
    return int(stored.scalar_one())


def emit_and_store(
    session: Session,
    partner: PartnerProfile,
    emit: Callable[[emitters.ControlNumberSource], emitters.OutboundDocument],
    *,
    when: datetime,
    document_id: int | None = None,
    order_id: int | None = None,
    hold: Sequence[str] = (),
) -> int:
    """Emit a document to ``partner`` with its next control numbers, then store it (``store_outbound``).

    ``emit`` is given the partner's control numbers, drawn in the caller's transaction: spent once it
    commits, also by a document pyx12 refuses (kept ``invalid``), and given back if it rolls back. A
    document the partner answers with a 997/999 (855, 865, 856, 810) is due that answer the partner's
    ``ack_window_hours`` after it is sent (a profile that sets none: ``GATEWAY_ALERT_ACK_WINDOW_HOURS``,
    24); our own acknowledgments (TA1, 997, 999) wait for nothing.
    """
    document = emit(storage.ControlNumbers(session, partner.name))
    answered = document.kind in _ANSWERED_KINDS
    return store_outbound(
        session,
        document,
        when=when,
        document_id=document_id,
        order_id=order_id,
        ack_window=timedelta(hours=ack_window_hours(partner)) if answered else None,
        hold=hold,
    )


def ack_window_hours(partner: PartnerProfile) -> float:
    """How long after sending the partner's 997/999 is due: the profile's ``ack_window_hours`` when
    it sets one, else ``GATEWAY_ALERT_ACK_WINDOW_HOURS`` (24)."""
    if "ack_window_hours" in partner.model_fields_set:
        return partner.ack_window_hours
    return AlertSettings.from_environment().ack_window_hours


def store_acknowledgment(
    session: Session,
    ack: OrderAcknowledgment,
    partner: PartnerProfile,
    *,
    when: datetime,
    document_id: int | None,
    order_id: int,
    changes: Mapping[str, str] | None = None,
) -> int:
    """An order's 855 to ``partner``, or an 865 for ``changes`` (an 860's POC02 by line), emitted and stored."""
    return emit_and_store(
        session,
        partner,
        lambda numbers: (
            emitters.x12_865.emit(ack, partner, numbers=numbers, when=when, changes=changes)
            if changes is not None
            else emitters.x12_855.emit(ack, partner, numbers=numbers, when=when)
        ),
        when=when,
        document_id=document_id,
        order_id=order_id,
    )


@dataclass(frozen=True, slots=True)
class DecisionSent:
    """The outbox rows a decided order produced: its 855 and its ERP payload, when it got them."""

    acknowledgment_id: int | None = None
    erp_payload_id: int | None = None


def send_decision(
    session: Session,
    order: Order,
    partner: PartnerProfile,
    *,
    order_id: int,
    status: str,
    findings: Sequence[Mapping[str, Any]],
    when: datetime,
    erp_kind: str | None,
    document_id: int | None,
    acknowledge: bool = True,
    received: Order | None = None,
    purpose: str = "00",
    changes: Mapping[str, str] | None = None,
) -> DecisionSent:
    """What a decided order sends, whether the gateway or the order desk decided it.

    The 855 goes to EDI (X12) orders whose partner's profile asks for one, for an accepted or a
    rejected order; ``acknowledge=False`` withholds it (a set the 997 already rejects for syntax:
    for the partner it was never received). An accepted order's ERP payload is queued when the
    gateway has a default ERP (``erp_kind``) or the profile routes it to one (``[erp]``). An order
    still in exception sends nothing. ``received`` is the order before the order desk changed it,
    which the 855 answers line by line. ``purpose`` is
    the 855's BAK01: ``04`` answers a partner's change (``gateway.inbound.amendments``). ``changes`` (an 860's
    POC02 by line) asks for an 865 instead of the 855, for a profile whose acks list 865.
    """
    acknowledgment_id = None
    if (
        acknowledge
        and (partner.wants_855 or changes is not None)
        and status != OrderStatus.EXCEPTION
        and order.channel == Channel.X12
        and order.po_number
    ):
        ack = acknowledgment_for(order, findings, status, when.date(), received=received)
        ack.purpose = purpose
        acknowledgment_id = store_acknowledgment(
            session, ack, partner, when=when, document_id=document_id, order_id=order_id, changes=changes
        )
    erp_payload_id = None
    if status == OrderStatus.ACCEPTED and (erp_kind or partner.erp is not None):
        erp_payload_id = queue_erp_payload(session, erp_kind, order, partner, order_id=order_id, when=when)
    return DecisionSent(acknowledgment_id, erp_payload_id)


def queue_erp_payload(
    session: Session,
    kind: str | None,
    order: Order,
    partner: PartnerProfile,
    *,
    order_id: int,
    when: datetime,
    cancel: bool = False,
) -> int | None:
    """Queue what the ERP must hear of a decided order; returns the last payload's id, or None.

    ``kind`` is the default ERP's (``GATEWAY_ERP_KIND``; None: no default). An order the ERP has not
    had (no earlier payload of it pending or sent) gets its create, for the target its profile routes
    it to (``partners.ErpRouting.route``: its bill-to / sold-to account's, the partner's own, else the
    default); one it has gets that same target's update, or with ``cancel`` its cancel (an order it
    never had needs none). Each payload has its own idempotency key, stable per target and order. One
    that cannot be written, or whose target the profile no longer names, raises an alert instead.
    """
    outbound = storage.OutboundRecord
    earlier = session.execute(
        select(outbound.kind, outbound.erp_target, outbound.status)
        .where(outbound.order_id == order_id, outbound.kind.in_(ERP_KINDS))
        .order_by(outbound.id)
    ).all()
    had = [row for row in earlier if row.status in (OutboxStatus.PENDING, OutboxStatus.SENT)]
    if cancel and not had:
        return None
    target: ErpTarget | None = None
    if had:  # a change or cancel goes where the create went
        kind, name = had[-1].kind, had[-1].erp_target or DEFAULT_TARGET
        if name != DEFAULT_TARGET:
            target = partner.erp.named(name) if partner.erp else None
            if target is None:
                _cannot_go(
                    session,
                    order,
                    partner,
                    order_id,
                    when,
                    f"it went to ERP target {name!r}, which the profile no longer names",
                    action=f"name target {name!r} in the [erp] table of {partner.name}'s profile again, "
                    "or make the change in that ERP by hand",
                )
                return None
    else:
        target = partner.erp.route(order, partner.customer_account) if partner.erp else None
        kind, name = (target.kind, target.name) if target else (kind, DEFAULT_TARGET)
        if kind is None:
            return None  # no ERP for this order: no target names it and there is no default
    emitter = erp_emitter(kind)
    same = [row for row in earlier if row.kind == kind and (row.erp_target or DEFAULT_TARGET) == name]
    try:
        shaped, profile = (
            (order, partner) if target is None else emitters.apply_field_map(order, partner, target.field_map)
        )
        if not had:
            documents = [emitter.emit(shaped, profile, order_id=order_id, when=when)]
        else:
            shape = emitter.emit_cancel if cancel else emitter.emit_update
            documents = shape(shaped, profile, order_id=order_id, when=when)
    except emitters.ErpPayloadError as exc:
        _cannot_go(
            session,
            order,
            partner,
            order_id,
            when,
            str(exc),
            action="correct the order (or the ERP field map) so the payload can be written, "
            "then approve it again on the desk",
        )
        return None
    last = None
    for sequence, document in enumerate(documents, start=len(same)):
        last = store_outbound(
            session,
            document,
            when=when,
            order_id=order_id,
            idempotency_key=emitters.idempotency_key(
                kind, partner.name, order_id, sequence, target=None if name == DEFAULT_TARGET else name
            ),
            erp_target=name,
        )
    return last


def _cannot_go(
    session: Session,
    order: Order,
    partner: PartnerProfile,
    order_id: int,
    when: datetime,
    why: str,
    *,
    action: str,
) -> None:
    raise_alert(
        session,
        kind=AlertKind.ERP_PAYLOAD,
        partner=partner.name,
        order_id=order_id,
        message=f"order {order_id} (PO {order.po_number}) cannot go to the ERP: {why}",
        action=action,
        at=when,
    )


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
        if row.ack_received_at is None:  # the first answer times the turnaround (the dashboard's KPI)
            storage.tally_ack(session, row, at=when)
        # the first answer's time is kept (migration 0030 times the turnaround from it); the last verdict
        row.ack_received_at, row.ack_code = row.ack_received_at or when, ack.code or None
        resolve_alerts(session, at=when, outbound_id=row.id, kind=AlertKind.ACK_OVERDUE)
        verdict = _BAD_VERDICTS.get(ack.code)
        if verdict:
            rejected = ", ".join(f"set {n} {code}" for n, code in sorted(ack.sets.items()) if code != "A")
            raise_alert(
                session,
                kind=AlertKind.ACK_REJECTED,
                partner=ack.partner,
                outbound_id=row.id,
                order_id=row.order_id,
                message=f"{ack.partner} {verdict} our {kind} {row.refers_to} (group {ack.group_control_number})"
                + (f": {rejected}" if rejected else ""),
                action=f"read the partner's 997/999 (AK3/AK4 say what was wrong), correct our {kind} "
                "and send it again",
                at=when,
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
