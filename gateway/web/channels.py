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
alert naming the partner and the order (`gateway.inbound.channel_topics`). A verified body whose topic the gateway does not read is
answered 200, logged, counted on the status row and audited with its topic and digest, and not stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import re

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

import parsers
from gateway.inbound.channel_topics import record_ignored_topic
from gateway.inbound.channel_topics import record_topic_mismatch
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

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024  # a Shopify order of 250 lines is a few hundred kB
SIGNATURE_HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "woocommerce": "X-WC-Webhook-Signature"}
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
        record_topic_mismatch(
            found.sessions,
            profile,
            kind=kind,
            topic=topic or "",
            body=body,
            check=check,
            document_id=outcome.document_id,
            status=str(outcome.status),
            order_id=outcome.order_ids[0] if outcome.order_ids else None,
            delivery=delivery,
            at=found.clock(),
        )
    response = jsonify(
        document_id=outcome.document_id,
        status=str(outcome.status),
        duplicate=outcome.duplicate,
        order_ids=outcome.order_ids,
        topic_mismatch=mismatch,
    )
    return response, 200


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
    record_ignored_topic(found.sessions, profile.name, topic, body, at=found.clock())
    with status_transaction(found.sessions, profile.name, f"{kind}-in") as session:
        record_outcome(session, partner=profile.name, channel=f"{kind}-in", at=found.clock(), detail=detail)
    response = jsonify(
        message=f"topic {topic!r} acknowledged; not an order event, nothing stored", topic=topic
    )
    return response, 200


def _refused(profile: PartnerProfile, kind: str, why: str) -> None:
    """Log and count a body whose signature failed (the status row's failures in a row)."""
    found = services()
    log.warning("refused a %s webhook for %s from %s: %s", kind, profile.name, request.remote_addr, why)
    with status_transaction(found.sessions, profile.name, f"{kind}-in") as session:
        record_outcome(session, partner=profile.name, channel=f"{kind}-in", at=found.clock(), error=why)


def _answer(status: int, message: str) -> tuple[Response, int]:
    return jsonify(message=message), status
