"""Carrier platforms' shipment webhooks: ``POST /webhooks/<partner>/nshift`` and ``/webhooks/<partner>/ingrid``.

The URL names the partner whose order ships. Each body is authenticated before anything else,
and an unauthenticated one is answered 401 and never stored (as ``channels`` does):

- nShift: the base64 HMAC-SHA256 of the raw body under ``GATEWAY_NSHIFT_WEBHOOK_SECRET`` in
  ``X-Nshift-Signature`` (``channels.verified``). nShift's own webhook signing could not be
  confirmed from its published pages; this is our choice, to be set up on nShift's side.
- Ingrid: Ingrid's webhooks send the headers configured for them (documented); configure
  ``Authorization: Bearer <GATEWAY_INGRID_WEBHOOK_SECRET>``, compared in constant time.

An authenticated body is stored durably (channel ``nshift``/``ingrid``) in the transaction that
records its shipment (``gateway.outbound.carrier_intake``), before the answer, so nothing is lost: a refused
one is stored with its reasons beside it (status ``rejected``, ``error``), shown on the desk, and
answered 422 with every reason. The same bytes
again are the same document and get its first answer; the same event id again (other bytes) gets
the first event's shipment, and the same tracking number again is the same shipment
(``carrier_shipments``): one shipment, one 856. An event with nothing shipped yet (no
tracking number) is stored, answered 200 and records nothing.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.model.status import DocumentStatus
from gateway.outbound.carrier_intake import StoredBooking
from gateway.outbound.carrier_intake import take_booking
from gateway.outbound.transport_status import record_outcome
from gateway.outbound.transport_status import status_transaction

from .channels import MAX_BODY_BYTES
from .channels import verified
from .services import services

log = logging.getLogger(__name__)

SECRET_VARIABLES = {"nshift": "GATEWAY_NSHIFT_WEBHOOK_SECRET", "ingrid": "GATEWAY_INGRID_WEBHOOK_SECRET"}
NSHIFT_SIGNATURE = "X-Nshift-Signature"

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
    when = found.clock()
    outcome = take_booking(found.sessions, found.partners, name, platform, body, when=when)
    if outcome.fresh:
        with status_transaction(found.sessions, name, f"{platform}-in") as session:
            if outcome.status == DocumentStatus.REJECTED:
                error = "; ".join(outcome.refused)
                record_outcome(session, partner=name, channel=f"{platform}-in", at=when, error=error)
            else:
                recorded = outcome.meta.get("recorded")
                detail = f"shipment {outcome.meta['shipment_id']}" if recorded else "nothing shipped yet"
                record_outcome(session, partner=name, channel=f"{platform}-in", at=when, detail=detail)
    return _stored_answer(outcome)


def _authentic(platform: str, body: bytes, secret: str) -> bool:
    if platform == "nshift":
        return verified(body, secret, request.headers.get(NSHIFT_SIGNATURE))
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), secret.encode())


def _stored_answer(outcome: StoredBooking) -> tuple[Response, int]:
    """The answer for what became of the document: the same for the same bytes, every time."""
    if outcome.status == DocumentStatus.REJECTED:
        return _answer(422, document_id=outcome.document_id, refused=outcome.refused)
    if outcome.status != DocumentStatus.PROCESSED:
        return _answer(409, document_id=outcome.document_id, message=f"the document is {outcome.status}")
    meta = outcome.meta
    return _answer(
        200,
        document_id=outcome.document_id,
        recorded=bool(meta.get("recorded")),
        shipment_id=meta.get("shipment_id"),
        outbound_id=meta.get("outbound_id"),
        duplicate=bool(meta.get("duplicate")),
    )


def _answer(status: int, **body: Any) -> tuple[Response, int]:
    return jsonify(body), status
