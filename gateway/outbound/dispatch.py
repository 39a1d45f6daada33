"""Sends our X12 documents to partners over the channel their profile names (SFTP or AS2).

A partner with a ``[delivery]`` table has every pending X12 document in its outbox handed to
the sender for that channel. A failure is retried with exponential backoff; when the
attempts run out, or the failure cannot be cured by repeating it, the document goes ``dead``
and an alert is raised. An AS2 message whose MDN comes asynchronously waits as
``awaiting_mdn``; when none comes within the partner's window it is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.errors import TransportError
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import ERP_KINDS
from gateway.outbound.outbox import start_ack_clock
from gateway.outbound.replies import KIND as REPLY_KIND
from gateway.outbound.retries import RetryPolicy
from gateway.outbound.retries import RetryTally
from gateway.outbound.retries import locked_outbound
from gateway.outbound.retries import record_failed_attempt
from gateway.outbound.transport_status import record_failure
from gateway.outbound.transport_status import record_success
from partners import As2Link
from partners import PartnerProfile
from partners import PartnerRegistry

log = logging.getLogger(__name__)
_CHANNEL = {"sftp": "sftp-push", "as2": "as2-out"}
_LEASE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Sent:
    """A transfer that worked; ``confirmed`` is False while an asynchronous MDN is still due."""

    detail: str
    confirmed: bool = True


class Sender(Protocol):
    """One channel's way out. Raises ``gateway.errors.TransportError`` when the transfer failed."""

    def send(self, *, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int) -> Sent: ...


@dataclass(slots=True)
class DispatchReport(RetryTally):
    sent: int = 0
    awaiting_mdn: int = 0


def send_due(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    limit: int = 500,
) -> DispatchReport:
    """Send every X12 document that is due for a partner with a ``[delivery]`` route, once each.

    A claimed row is leased (its next attempt pushed past ``_LEASE``) and committed before the
    transfer, so no transaction stays open across the network and a crash mid-transfer only
    delays the document until the lease runs out.
    """
    report = DispatchReport()
    routes = {p.name: p for p in partners if has_route(p, senders)}
    if not routes:
        return report
    with sessions() as session, session.begin():
        claimed = _claim(session, routes, now, limit)
    for outbound_id, partner, filename, content in claimed:
        profile = routes[partner]
        assert profile.delivery is not None
        channel = _CHANNEL[profile.delivery.via]
        try:
            sent = senders[profile.delivery.via].send(
                content=content, filename=filename, profile=profile, outbound_id=outbound_id
            )
        except TransportError as exc:
            _failed(sessions, outbound_id, profile, channel, str(exc), exc.retryable, now, report)
        except Exception as exc:  # a sender bug must not stop the others; it is retried and shown
            log.exception("sending outbound %s to %s failed unexpectedly", outbound_id, partner)
            _failed(
                sessions, outbound_id, profile, channel, f"{type(exc).__name__}: {exc}", True, now, report
            )
        else:
            _succeeded(sessions, outbound_id, profile, channel, sent, now, report)
    return report


def has_route(profile: PartnerProfile | None, senders: Mapping[str, Sender]) -> bool:
    """Whether ``profile``'s X12 documents can leave: a ``[delivery]`` route this process has a sender for."""
    return profile is not None and profile.delivery is not None and profile.delivery.via in senders


def outbound_filename(partner: str, kind: str, outbound_id: int, interchange: int | None) -> str:
    """``acme-856-000000123-42.edi``: unique per document, the same on every attempt."""
    control = f"{interchange:09d}" if interchange is not None else "noisa"
    return f"{partner}-{kind}-{control}-{outbound_id}.edi"


def _claim(
    session: Session, routes: Mapping[str, PartnerProfile], now: datetime, limit: int
) -> list[tuple[int, str, str, bytes]]:
    outbound = storage.OutboundRecord
    rows = session.scalars(
        select(outbound)
        .where(
            outbound.partner.in_(list(routes)),
            outbound.kind.not_in((*ERP_KINDS, REPLY_KIND)),  # those go by HTTP and by SMTP
            outbound.status.in_((OutboxStatus.PENDING, OutboxStatus.AWAITING_MDN)),
            or_(outbound.next_attempt_at.is_(None), outbound.next_attempt_at <= now),
        )
        .order_by(outbound.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        if row.status == OutboxStatus.AWAITING_MDN:
            policy = _policy(routes[row.partner])
            window = _mdn_window(routes[row.partner])
            error = f"no MDN came within {window:g} minutes of attempt {row.attempts}"
            if row.attempts >= policy.max_attempts:
                record_failed_attempt(session, row, error, policy=policy, retryable=True, now=now)
                continue
            row.last_error = error
        row.attempts += 1
        row.next_attempt_at = now + _LEASE
        name = outbound_filename(row.partner, row.kind, row.id, row.interchange_control_number)
        claimed.append((row.id, row.partner, name, row.content))
    return claimed


def _succeeded(
    sessions: sessionmaker[Session],
    outbound_id: int,
    profile: PartnerProfile,
    channel: str,
    sent: Sent,
    now: datetime,
    report: DispatchReport,
) -> None:
    with locked_outbound(sessions, outbound_id) as (session, row):
        if sent.confirmed or row.status == OutboxStatus.SENT:  # an async MDN may already have confirmed it
            if row.status != OutboxStatus.SENT:
                row.status, row.delivered_at = OutboxStatus.SENT, now
            row.next_attempt_at, row.last_error = None, None
            report.sent += 1
        else:
            row.status = OutboxStatus.AWAITING_MDN
            row.next_attempt_at = now + timedelta(minutes=_mdn_window(profile))
            report.awaiting_mdn += 1
        start_ack_clock(row, at=now)  # it left now, confirmed or not: the partner can answer it
        record_success(session, partner=profile.name, channel=channel, at=now, detail=sent.detail)


def _failed(
    sessions: sessionmaker[Session],
    outbound_id: int,
    profile: PartnerProfile,
    channel: str,
    error: str,
    retryable: bool,
    now: datetime,
    report: DispatchReport,
) -> None:
    policy = _policy(profile)
    with locked_outbound(sessions, outbound_id) as (session, row):
        if row.status == OutboxStatus.SENT:  # confirmed meanwhile (an async MDN for an earlier attempt)
            return
        outcome = record_failed_attempt(
            session, row, error, policy=policy, retryable=retryable, now=now, refused_by=profile.label
        )
        record_failure(session, partner=profile.name, channel=channel, at=now, error=error)
    report.count_failure(outcome)


def _policy(profile: PartnerProfile) -> RetryPolicy:
    delivery = profile.delivery
    assert delivery is not None
    return RetryPolicy(delivery.max_attempts, delivery.backoff_seconds, delivery.backoff_cap_seconds)


def _mdn_window(profile: PartnerProfile) -> float:
    """Minutes an asynchronous MDN may take before the document is sent again."""
    return (
        profile.as2.mdn_window_minutes if profile.as2 else As2Link.model_fields["mdn_window_minutes"].default
    )
