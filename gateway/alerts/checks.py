"""The time-based alerts and the daily digest: one pass, run by ``gateway run``'s pollers.

Each pass raises an alert for what has become true since the last (a partner's 997/999 overdue
after its window, a document still ``received`` ``GATEWAY_ALERT_STUCK_MINUTES`` after it was
stored, a profile file that does not load) and resolves those that stopped being true. A
condition that stays true is raised once, not once a pass. From ``GATEWAY_ALERT_DIGEST_HOUR``
(UTC) each day the pass queues the digest: every open alert, with its action and link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts._raise import queue_digest
from gateway.alerts._raise import raise_alert
from gateway.alerts._raise import resolve_alerts
from gateway.alerts._text import digest_text
from gateway.config import AlertSettings
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind
from gateway.model.status import DocumentStatus
from gateway.outbound.ack_window import ack_overdue
from partners import PartnerRegistry

_BATCH = 200  # raised per kind and pass: a backlog is told over a few passes, not in one transaction


@dataclass(slots=True)
class CheckReport:
    raised: int = 0
    resolved: int = 0
    digest: bool = False

    def __str__(self) -> str:
        digest = ", digest queued" if self.digest else ""
        return f"{self.raised} alerts raised, {self.resolved} resolved{digest}"


def run_checks(
    sessions: sessionmaker[Session], partners: PartnerRegistry, settings: AlertSettings, *, now: datetime
) -> CheckReport:
    """One pass of every check and the digest, in one transaction."""
    report = CheckReport()
    with sessions() as session, session.begin():
        check_overdue_acks(session, now=now, report=report)
        check_stuck_documents(session, settings, now=now, report=report)
        check_refused_profiles(session, partners, now=now, report=report)
        report.digest = queue_digest_if_due(session, settings, now=now)
    return report


def check_overdue_acks(session: Session, *, now: datetime, report: CheckReport) -> None:
    outbound = storage.OutboundRecord
    open_ids = _open_subjects(session, AlertKind.ACK_OVERDUE, storage.Alert.outbound_id)
    for row in session.scalars(
        select(outbound)
        .where(ack_overdue(now), outbound.id.not_in(open_ids))
        .order_by(outbound.id)
        .limit(_BATCH)
    ):
        raise_alert(
            session,
            kind=AlertKind.ACK_OVERDUE,
            partner=row.partner,
            outbound_id=row.id,
            order_id=row.order_id,
            message=f"no 997/999 from {row.partner} for our {row.kind} {row.refers_to or row.id} "
            f"(group {row.group_control_number}), due {row.ack_due_at:%Y-%m-%d %H:%M} UTC",
            action=f"ask {row.partner} whether they received it; send it again from the desk if not",
            at=now,
        )
        report.raised += 1
    answered = select(outbound.id).where(outbound.ack_received_at.is_not(None))
    for key in _open_where(session, AlertKind.ACK_OVERDUE, storage.Alert.outbound_id.in_(answered)):
        report.resolved += resolve_alerts(session, at=now, dedupe_key=key, kind=AlertKind.ACK_OVERDUE)


def check_stuck_documents(
    session: Session, settings: AlertSettings, *, now: datetime, report: CheckReport
) -> None:
    document = storage.Document
    before = now - timedelta(minutes=settings.stuck_minutes)
    open_ids = _open_subjects(session, AlertKind.DOCUMENT_STUCK, storage.Alert.document_id)
    for row in session.scalars(
        select(document)
        .where(
            document.status == DocumentStatus.RECEIVED,
            document.received_at <= before,
            document.id.not_in(open_ids),
        )
        .order_by(document.id)
        .limit(_BATCH)
    ):
        raise_alert(
            session,
            kind=AlertKind.DOCUMENT_STUCK,
            partner=row.partner,
            document_id=row.id,
            message=f"document {row.id} ({row.filename or row.channel}) was stored at "
            f"{row.received_at:%Y-%m-%d %H:%M} UTC and is still not processed",
            action="check that the worker runs (gateway status, the worker's log); "
            f"process it by hand with `gateway reprocess {row.id}`",
            at=now,
        )
        report.raised += 1
    moved_on = select(document.id).where(document.status != DocumentStatus.RECEIVED)
    for key in _open_where(session, AlertKind.DOCUMENT_STUCK, storage.Alert.document_id.in_(moved_on)):
        report.resolved += resolve_alerts(session, at=now, dedupe_key=key, kind=AlertKind.DOCUMENT_STUCK)


def check_refused_profiles(
    session: Session, partners: PartnerRegistry, *, now: datetime, report: CheckReport
) -> None:
    keys = set()
    for refused in partners.refused:
        key = profile_key(refused.path.name)
        keys.add(key)
        if _open_where(session, AlertKind.PROFILE_REFUSED, storage.Alert.dedupe_key == key):
            continue
        raise_alert(
            session,
            kind=AlertKind.PROFILE_REFUSED,
            partner=refused.name,
            message=f"profile file {refused.path.name} does not load: {refused.error}",
            action=f"fix {refused.path} and restart the gateway; until then "
            f"{refused.name or 'that partner'} cannot trade",
            at=now,
            dedupe_key=key,
        )
        report.raised += 1
    for key in _open_where(session, AlertKind.PROFILE_REFUSED, storage.Alert.dedupe_key.not_in(keys)):
        report.resolved += resolve_alerts(session, at=now, dedupe_key=key, kind=AlertKind.PROFILE_REFUSED)


def profile_key(file_name: str) -> str:
    return f"{AlertKind.PROFILE_REFUSED}:{file_name}"


def queue_digest_if_due(session: Session, settings: AlertSettings, *, now: datetime) -> bool:
    """Queue today's digest once, from ``digest_hour`` UTC; True when it was queued now."""
    moment = now.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
    if now < moment:
        return False
    notice = storage.AlertNotification
    done = session.scalar(
        select(notice.id).where(notice.event == AlertEvent.DIGEST, notice.created_at >= moment).limit(1)
    )
    if done is not None:
        return False
    alert = storage.Alert
    open_alerts = list(
        session.scalars(select(alert).where(alert.resolved_at.is_(None)).order_by(alert.at, alert.id))
    )
    queue_digest(session, body=digest_text(open_alerts, settings.public_url, at=now), at=now)
    return True


def _open_subjects(session: Session, kind: AlertKind, column: InstrumentedAttribute[int | None]) -> list[int]:
    """What the open alerts of ``kind`` are about (their outbound or document ids)."""
    alert = storage.Alert
    return [
        value
        for value in session.scalars(select(column).where(alert.kind == kind, alert.resolved_at.is_(None)))
        if value is not None
    ]


def _open_where(session: Session, kind: AlertKind, condition: ColumnElement[bool]) -> list[str]:
    """The dedupe keys of the open alerts of ``kind`` that meet ``condition``."""
    alert = storage.Alert
    return [
        key
        for key in session.scalars(
            select(alert.dedupe_key).where(alert.kind == kind, alert.resolved_at.is_(None), condition)
        )
        if key is not None
    ]
