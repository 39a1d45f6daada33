"""What a shop webhook's topic leaves on record: the audit entry of a topic not read, and the
audit entry and alert of a cancelling topic on a live order's body.

The web view answers the shop; these write what a person later reads, each in one transaction
(nothing recorded on failure: the view answers 500 and the shop sends the body again).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import parsers
from gateway import storage
from gateway.alerts import raise_alert
from gateway.model.status import AlertKind
from partners import PartnerProfile

log = logging.getLogger(__name__)

IGNORED_TOPIC_ACTION = "channel_topic_ignored"  # the audit entry of a body acknowledged and not stored
MISMATCH_ACTION = "channel_topic_mismatch"  # the audit entry of a cancelling topic on a live order's body


def body_facts(topic: str, body: bytes) -> dict[str, str | int]:
    """What an audit entry keeps of a body acknowledged with a topic: the topic, its size and digest."""
    return {"topic": topic[:200], "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def record_ignored_topic(
    sessions: sessionmaker[Session], partner: str, topic: str, body: bytes, *, at: datetime
) -> None:
    """Audit a verified body of a topic the gateway does not read (acknowledged, not stored)."""
    with sessions() as session, session.begin():
        storage.record_audit(
            session,
            actor=f"partner:{partner}",
            action=IGNORED_TOPIC_ACTION,
            subject_type="channel",
            subject_id=partner,
            after=body_facts(topic, body),
            at=at,
        )


def record_topic_mismatch(
    sessions: sessionmaker[Session],
    profile: PartnerProfile,
    *,
    kind: str,
    topic: str,
    body: bytes,
    check: parsers.TopicCheck,
    document_id: int,
    status: str,
    order_id: int | None,
    delivery: str,
    at: datetime,
) -> None:
    """A cancelling topic whose signed body is a live order: audited and alerted, nothing cancelled.

    The body was stored and read as what it says (document ``document_id``); a person checks the
    shop, and the channel's secret.
    """
    facts = body_facts(topic, body)
    order = check.order or "(no order number in the body)"
    message = (
        f"{profile.name}'s {kind} webhook came with the topic {topic[:80]!r} but its signed body is no "
        f"cancellation ({check.said}) for order {order}: nothing was cancelled; the body was stored as "
        f"document {document_id} and read as the order it is ({status}). The topic header "
        "is not signed: this may be a captured body replayed with the header changed."
    )
    action = (
        f"Check in {kind} whether order {order} is cancelled. If it is, cancel it on the desk; if it is not, "
        f"treat the channel's secret ({profile.channel.secret_env if profile.channel else '-'}) as leaked "
        "and rotate it."
    )
    log.error("%s (sha256 %s, %d bytes, delivery %r)", message, facts["sha256"], len(body), delivery)
    with sessions() as session, session.begin():
        storage.record_audit(
            session,
            actor=f"partner:{profile.name}",
            action=MISMATCH_ACTION,
            subject_type="document",
            subject_id=str(document_id),
            after={**facts, "order": check.order, "body_says": check.said, "delivery": delivery or None},
            at=at,
        )
        raise_alert(
            session,
            kind=AlertKind.CHANNEL_TOPIC_MISMATCH,
            message=message,
            action=action,
            at=at,
            partner=profile.name,
            order_id=order_id,
            document_id=document_id,
        )
