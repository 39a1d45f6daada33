"""Carrier platforms' shipment webhooks: ``POST /webhooks/<partner>/nshift`` and ``/webhooks/<partner>/ingrid``.

The URL names the partner whose order ships. Each body is authenticated before anything else,
and an unauthenticated one is answered 401 and never stored (as ``channels`` does):

- nShift: the base64 HMAC-SHA256 of the raw body under ``GATEWAY_NSHIFT_WEBHOOK_SECRET`` in
  ``X-Nshift-Signature`` (``channels.verified``). nShift's own webhook signing could not be
  confirmed from its published pages; this is our choice, to be set up on nShift's side.
- Ingrid: Ingrid's webhooks send the headers configured for them (documented); configure
  ``Authorization: Bearer <GATEWAY_INGRID_WEBHOOK_SECRET>``, compared in constant time.

An authenticated body is stored durably (``storage.store_document``, channel ``nshift``/``ingrid``)
in the transaction that records its shipment, before the answer, so nothing is lost: a refused
one is stored with its reasons beside it (status ``rejected``, ``error``), shown on the desk, and
answered 422 with every reason. The same bytes
again are the same document and get its first answer; the same event id again (other bytes) gets
the first event's shipment, and the same tracking number again is the same shipment
(``carrier_shipments``): one shipment, one 856. An event with nothing shipped yet (no
tracking number) is stored, answered 200 and records nothing.
"""

from __future__ import annotations

import hmac
import io
import logging
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from gateway import storage
from gateway.errors import OutboundRefused
from gateway.model.status import DocumentStatus
from gateway.outbound.carrier_shipments import earlier_event
from gateway.outbound.carrier_shipments import record_booking
from gateway.outbound.carrier_webhooks import read_booking
from gateway.outbound.transport_status import record_outcome
from gateway.outbound.transport_status import status_transaction

from .channels import MAX_BODY_BYTES
from .channels import verified
from .services import services

log = logging.getLogger(__name__)

SECRET_VARIABLES = {"nshift": "GATEWAY_NSHIFT_WEBHOOK_SECRET", "ingrid": "GATEWAY_INGRID_WEBHOOK_SECRET"}
NSHIFT_SIGNATURE = "X-Nshift-Signature"
REFUSED = "shipment_refused"

shipment_webhooks = Blueprint("shipment_webhooks", __name__, url_prefix="/webhooks")


@shipment_webhooks.before_request
def _body_limit() -> None:
    request.max_content_length = MAX_BODY_BYTES


@shipment_webhooks.errorhandler(RequestEntityTooLarge)
def _too_large(_: RequestEntityTooLarge) -> tuple[Response, int]:
    return _answer(413, message=f"the body is larger than {MAX_BODY_BYTES} bytes; refused, not stored")


@shipment_webhooks.post("/<name>/nshift")
def nshift(name: str) -> tuple[Response, int]:
    return _webhook(name, "nshift")


@shipment_webhooks.post("/<name>/ingrid")
def ingrid(name: str) -> tuple[Response, int]:
    return _webhook(name, "ingrid")


def _webhook(name: str, platform: str) -> tuple[Response, int]:
    found = services()
    if found.partners.get(name) is None:
        return _answer(404, message=f"no partner profile is named {name!r}")
    variable = SECRET_VARIABLES[platform]
    secret = found.secrets(variable)
    if not secret:
        log.error("the %s shipment webhook cannot be checked: %s is not set", platform, variable)
        return _answer(503, message=f"the webhook's secret is not configured (set {variable})")
    body = request.get_data(cache=False)
    if not _authentic(platform, body, secret):
        why = f"{platform} webhook authentication missing or wrong for a body of {len(body)} bytes"
        log.warning(
            "refused a %s shipment webhook for %s from %s: %s", platform, name, request.remote_addr, why
        )
        with status_transaction(found.sessions, name, f"{platform}-in") as session:
            record_outcome(session, partner=name, channel=f"{platform}-in", at=found.clock(), error=why)
        return _answer(401, message="authentication failed; the body was not stored")
    try:
        return _record(name, platform, body)
    except IntegrityError:  # the same booking recorded by a delivery running at the same time
        return _record(name, platform, body)


def _authentic(platform: str, body: bytes, secret: str) -> bool:
    if platform == "nshift":
        return verified(body, secret, request.headers.get(NSHIFT_SIGNATURE))
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), secret.encode())


def _record(name: str, platform: str, body: bytes) -> tuple[Response, int]:
    """Store the body and record its booking in one transaction, or store it with why it is refused.

    One transaction: a crash leaves either nothing (unanswered, so the platform sends it again)
    or the document with what became of it; never a stored body waiting for a reader (the order
    pipeline's recovery pass takes every document left ``received``).
    """
    found = services()
    when = found.clock()
    try:
        booking = read_booking(platform, body)
        with found.sessions() as session, session.begin():
            document, created = _stored(session, body, platform, name, when)
            if not created and document.status != DocumentStatus.RECEIVED:
                return _stored_answer(document)
            meta: dict[str, Any] = {"recorded": False}
            earlier = None if booking is None else earlier_event(session, platform, name, booking.event_id)
            if earlier is not None:  # the same event again, in other bytes: its first answer
                meta = {**earlier.meta, "duplicate": True, "duplicate_of": earlier.id}
            elif booking is not None:
                shipment_id, outcome = record_booking(session, booking, found.partners, name, when=when)
                meta = {
                    "recorded": True,
                    "event_id": booking.event_id,
                    "shipment_id": shipment_id,
                    "outbound_id": outcome.outbound_id,
                    "duplicate": outcome.duplicate,
                    "provenance": booking.provenance,
                }
            document.status, document.meta = DocumentStatus.PROCESSED, {**document.meta, **meta}
            answer = _stored_answer(document)
    except OutboundRefused as exc:
        with found.sessions() as session, session.begin():
            document, created = _stored(session, body, platform, name, when)
            if not created and document.status != DocumentStatus.RECEIVED:
                return _stored_answer(document)
            document.status, document.error_code = DocumentStatus.REJECTED, REFUSED
            document.error = "; ".join(exc.problems)
            document.errors = [{"code": REFUSED, "message": p, "location": None} for p in exc.problems]
            storage.tally_documents(session, [document.id])  # onto the desk's queue
            answer = _stored_answer(document)
        with status_transaction(found.sessions, name, f"{platform}-in") as session:
            record_outcome(
                session, partner=name, channel=f"{platform}-in", at=when, error="; ".join(exc.problems)
            )
        return answer
    with status_transaction(found.sessions, name, f"{platform}-in") as session:
        detail = f"shipment {meta['shipment_id']}" if meta.get("recorded") else "nothing shipped yet"
        record_outcome(session, partner=name, channel=f"{platform}-in", at=when, detail=detail)
    return answer


def _stored(
    session: Session, body: bytes, platform: str, name: str, when: datetime
) -> tuple[storage.Document, bool]:
    """The body as a document (the one already stored for the same bytes, if any)."""
    document, created = storage.store_document(
        session, io.BytesIO(body), channel=platform, filename=None, received_at=when, partner=name
    )
    if created:
        document.format = platform
    return document, created


def _stored_answer(document: storage.Document) -> tuple[Response, int]:
    """The answer for what became of the document: the same for the same bytes, every time."""
    if document.status == DocumentStatus.REJECTED:
        refused = [error.get("message") for error in document.errors]
        return _answer(422, document_id=document.id, refused=refused)
    if document.status != DocumentStatus.PROCESSED:
        return _answer(409, document_id=document.id, message=f"the document is {document.status}")
    meta = document.meta
    return _answer(
        200,
        document_id=document.id,
        recorded=bool(meta.get("recorded")),
        shipment_id=meta.get("shipment_id"),
        outbound_id=meta.get("outbound_id"),
        duplicate=bool(meta.get("duplicate")),
    )


def _answer(status: int, **body: Any) -> tuple[Response, int]:
    return jsonify(body), status
