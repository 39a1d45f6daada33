"""Web-shop webhooks: ``POST /channels/<profile>/shopify`` and ``POST /channels/<profile>/woocommerce``.

Each body is checked before anything else: the base64 HMAC-SHA256 of the raw body under the
channel's secret (named by the profile's ``secret_env``) must equal the signature header
(``X-Shopify-Hmac-Sha256``, ``X-WC-Webhook-Signature``), compared in constant time. A body that
fails is answered 401, logged and counted on the channel's status row (``shopify-in``,
``woocommerce-in``), and never stored as an order. A verified body is stored durably through the
pipeline (``ingest_stream``) before the 200 goes back, so a crash before the answer only makes the
shop send it again, and the same bytes are one document. WooCommerce's ping at webhook creation
(the form body ``webhook_id=N``, which WooCommerce sends unsigned) is answered 200 and not stored.

The topic header (``X-Shopify-Topic``, ``X-WC-Webhook-Topic``; ``partners.topic_use``) and the
delivery's id (``X-Shopify-Webhook-Id``, ``X-WC-Webhook-Delivery-ID``) are kept on the stored document.
The topic is not covered by the HMAC, so a cancelling topic cancels only where the signed body agrees
(``parsers.cancel_topic_check``: Shopify's ``cancelled_at`` set; WooCommerce's bare ``{"id": N}`` or a
``cancelled``/``trash`` status), also when the document is read again. A cancelling topic on a live
order's body (a captured body replayed with the header changed) is stored and read as the order it is
(one order per channel order id, as a resend or an update), answered 200 so the shop stops retrying,
and recorded loudly: an audit entry (topic, size, SHA-256, delivery) and a ``channel_topic_mismatch``
alert naming the partner and the order. A verified body whose topic the gateway does not read is
answered 200, logged, counted on the status row and audited with its topic and digest, and not stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import re
from typing import TYPE_CHECKING

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

import parsers
from gateway import storage
from gateway.alerts import raise_alert
from gateway.model.status import AlertKind
from gateway.outbound.transport_status import record_outcome
from gateway.outbound.transport_status import status_transaction
from partners import DELIVERY_HEADERS
from partners import TOPIC_HEADERS
from partners import WEBHOOK_DELIVERY
from partners import WEBHOOK_TOPIC
from partners import PartnerProfile
from partners import TopicUse
from partners import handled_topics
from partners import topic_use

from .services import services

if TYPE_CHECKING:
    from gateway.inbound.pipeline import IngestOutcome

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024  # a Shopify order of 250 lines is a few hundred kB
SIGNATURE_HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature"}
IGNORED_TOPIC_ACTION = "channel_topic_ignored"  # the audit entry of a body acknowledged and not stored
MISMATCH_ACTION = "channel_topic_mismatch"  # the audit entry of a cancelling topic on a live order's body
_PING = re.compile(rb"^webhook_id=[0-9]{1,20}$")

channels = Blueprint("channels", __name__, url_prefix="/channels")


def signature(body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 of ``body`` under ``secret``: what Shopify and WooCommerce send."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verified(body: bytes, secret: str, sent: str | None) -> bool:
    """The sent signature matches the body's, compared in constant time."""
    return sent is not None and hmac.compare_digest(signature(body, secret).encode(), sent.strip().encode())


@channels.before_request
def _body_limit() -> None:
    request.max_content_length = MAX_BODY_BYTES


@channels.errorhandler(RequestEntityTooLarge)
def _too_large(_: RequestEntityTooLarge) -> tuple[Response, int]:
    return _answer(413, f"the body is larger than {MAX_BODY_BYTES} bytes; refused, not stored")


@channels.post("/<name>/shopify")
def shopify(name: str) -> tuple[Response, int]:
    return _webhook(name, "shopify")


@channels.post("/<name>/woocommerce")
def woocommerce(name: str) -> tuple[Response, int]:
    return _webhook(name, "woocommerce")


def _webhook(name: str, kind: str) -> tuple[Response, int]:
    found = services()
    profile = found.partners.get(name)
    if profile is None or profile.channel is None or profile.channel.kind != kind:
        return _answer(404, f"no {kind} channel profile is named {name!r}")
    variable = profile.channel.secret_env
    secret = found.secrets(variable) if variable else None
    if not secret:
        log.error("the %s webhook of %s cannot be checked: %s is not set", kind, name, variable)
        return _answer(503, f"the channel's secret is not configured (set {variable})")
    body = request.get_data(cache=False)
    if kind == "woocommerce" and _PING.match(body):
        return _answer(200, "ping received; nothing stored")
    if not verified(body, secret, request.headers.get(SIGNATURE_HEADERS[kind])):
        _refused(profile, kind, f"{SIGNATURE_HEADERS[kind]} missing or wrong for a body of {len(body)} bytes")
        return _answer(401, "signature check failed; the body was not stored")
    topic = request.headers.get(TOPIC_HEADERS[kind])
    use = topic_use(kind, topic)
    if use is TopicUse.IGNORED:
        return _ignored(profile, kind, topic or "", body)
    delivery = (request.headers.get(DELIVERY_HEADERS[kind]) or "").strip()[:200]
    meta = {WEBHOOK_TOPIC: topic.strip().lower()} if topic and topic.strip() else {}
    if delivery:
        meta[WEBHOOK_DELIVERY] = delivery
    check = parsers.cancel_topic_check(kind, body) if use is TopicUse.CANCEL else None
    outcome = found.pipeline.ingest_stream(
        io.BytesIO(body), channel=kind, filename=None, partner=name, meta=meta or None
    )
    with status_transaction(found.sessions, name, f"{kind}-in") as session:
        record_outcome(
            session,
            partner=name,
            channel=f"{kind}-in",
            at=found.clock(),
            detail=f"document {outcome.document_id}: {outcome.status}",
        )
    mismatch = check is not None and not check.agrees
    if check is not None and mismatch:
        _mismatch(profile, kind, topic or "", body, check, outcome, delivery)
    response = jsonify(
        document_id=outcome.document_id,
        status=str(outcome.status),
        duplicate=outcome.duplicate,
        order_ids=outcome.order_ids,
        topic_mismatch=mismatch,
    )
    return response, 200


def _mismatch(
    profile: PartnerProfile,
    kind: str,
    topic: str,
    body: bytes,
    check: parsers.TopicCheck,
    outcome: IngestOutcome,
    delivery: str,
) -> None:
    """A cancelling topic whose signed body is a live order: audited and alerted, nothing cancelled.

    The body was stored and read as what it says; a person checks the shop (and the secret).
    """
    found = services()
    facts = _body_facts(topic, body)
    order = check.order or "(no order number in the body)"
    message = (
        f"{profile.name}'s {kind} webhook came with the topic {topic[:80]!r} but its signed body is no "
        f"cancellation ({check.said}) for order {order}: nothing was cancelled; the body was stored as "
        f"document {outcome.document_id} and read as the order it is ({outcome.status}). The topic header "
        "is not signed: this may be a captured body replayed with the header changed."
    )
    action = (
        f"Check in {kind} whether order {order} is cancelled. If it is, cancel it on the desk; if it is not, "
        f"treat the channel's secret ({profile.channel.secret_env if profile.channel else '-'}) as leaked "
        "and rotate it."
    )
    log.error("%s (sha256 %s, %d bytes, delivery %r)", message, facts["sha256"], len(body), delivery)
    with found.sessions() as session, session.begin():  # not recorded: a 500, and the shop sends it again
        storage.record_audit(
            session,
            actor=f"partner:{profile.name}",
            action=MISMATCH_ACTION,
            subject_type="document",
            subject_id=str(outcome.document_id),
            after={**facts, "order": check.order, "body_says": check.said, "delivery": delivery or None},
            at=found.clock(),
        )
        raise_alert(
            session,
            kind=AlertKind.CHANNEL_TOPIC_MISMATCH,
            message=message,
            action=action,
            at=found.clock(),
            partner=profile.name,
            order_id=outcome.order_ids[0] if outcome.order_ids else None,
            document_id=outcome.document_id,
        )


def _ignored(profile: PartnerProfile, kind: str, topic: str, body: bytes) -> tuple[Response, int]:
    """A verified body of a topic the gateway does not read: acknowledged and recorded, not stored."""
    found = services()
    log.info(
        "acknowledged a %s webhook for %s with topic %r (%d bytes): not an order event",
        kind,
        profile.name,
        topic,
        len(body),
    )
    detail = f"topic {topic[:80]!r} acknowledged, not stored (reads {', '.join(handled_topics(kind))})"
    with found.sessions() as session, session.begin():  # not recorded: a 500, and the shop sends it again
        storage.record_audit(
            session,
            actor=f"partner:{profile.name}",
            action=IGNORED_TOPIC_ACTION,
            subject_type="channel",
            subject_id=profile.name,
            after=_body_facts(topic, body),
            at=found.clock(),
        )
    with status_transaction(found.sessions, profile.name, f"{kind}-in") as session:
        record_outcome(session, partner=profile.name, channel=f"{kind}-in", at=found.clock(), detail=detail)
    response = jsonify(
        message=f"topic {topic!r} acknowledged; not an order event, nothing stored", topic=topic
    )
    return response, 200


def _body_facts(topic: str, body: bytes) -> dict[str, str | int]:
    """What an audit entry keeps of a body acknowledged with a topic: the topic, its size and digest."""
    return {"topic": topic[:200], "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def _refused(profile: PartnerProfile, kind: str, why: str) -> None:
    """Log and count a body whose signature failed (the status row's failures in a row)."""
    found = services()
    log.warning("refused a %s webhook for %s from %s: %s", kind, profile.name, request.remote_addr, why)
    with status_transaction(found.sessions, profile.name, f"{kind}-in") as session:
        record_outcome(session, partner=profile.name, channel=f"{kind}-in", at=found.clock(), error=why)


def _answer(status: int, message: str) -> tuple[Response, int]:
    return jsonify(message=message), status
