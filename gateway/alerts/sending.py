"""The send pass of alert notifications: fan each one out to the channels configured, then send what is due.

Run by the worker's send pass (``gateway.jobs.inline.Worker.send_out``, and on PostgreSQL the
job queue's ``send_outbound``), never inside the transaction that raised the alert. Each
notification is claimed and leased in its own committed transaction before the network, as
``gateway.outbound.mailer`` does for replies, so two workers never send one twice and an outage
leaves it ``pending`` with ``next_at`` later: an SMTP server or webhook that is down costs time,
never the notice. Channels: email (``GATEWAY_ALERT_EMAIL_TO`` through ``GATEWAY_SMTP_*``) and a
webhook (``GATEWAY_ALERT_WEBHOOK_URL``, plain JSON or Slack's ``{"text": ...}``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import make_msgid

import httpx
from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts._text import Notice
from gateway.alerts._text import alert_notice
from gateway.alerts._text import digest_notice
from gateway.config import AlertSettings
from gateway.config import SmtpSettings
from gateway.errors import TransportError
from gateway.model.status import AlertChannel
from gateway.model.status import AlertEvent
from gateway.model.status import NotificationStatus
from gateway.outbound.http_status import worth_retrying
from gateway.outbound.mailer import deliver

log = logging.getLogger(__name__)
_LEASE = timedelta(minutes=5)
_BATCH = 50
_TEXT_LIMIT = 2000


@dataclass(slots=True)
class NoticeReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    channel: str
    notice: Notice


def send_due_notifications(
    sessions: sessionmaker[Session],
    settings: AlertSettings,
    smtp: SmtpSettings | None,
    *,
    now: datetime,
    client: httpx.Client,
) -> NoticeReport:
    """Fan out new notifications, then send each one that is due, once."""
    report = NoticeReport()
    if not settings.channels:
        return report  # they wait, unsent, until a channel is configured
    with sessions() as session, session.begin():
        fan_out(session, settings.channels)
    ready = [AlertChannel.WEBHOOK] if settings.webhook_url else []
    if smtp is not None and settings.email_to:
        ready.append(AlertChannel.EMAIL)  # without GATEWAY_SMTP_HOST emails wait
    while ready:
        with sessions() as session, session.begin():
            claimed = _claim(session, ready, settings, now)
        for item in claimed:
            try:
                failure = _send(item, settings, smtp, client, now)
            except Exception as exc:  # a bug must not stop the other notices; retried and logged
                log.exception("sending alert notification %s failed unexpectedly", item.id)
                failure = _Failure(f"{type(exc).__name__}: {exc}", True, None)
            if failure is None:
                _sent(sessions, item.id, now)
                report.sent += 1
            else:
                _failed(sessions, item, failure, settings, now, report)
        if len(claimed) < _BATCH:
            break
    return report


def fan_out(session: Session, channels: tuple[str, ...]) -> int:
    """One row per channel for each notification not fanned out yet (its own row is replaced)."""
    notice = storage.AlertNotification
    rows = list(
        session.scalars(
            select(notice)
            .where(notice.channel.is_(None), notice.status == NotificationStatus.PENDING)
            .order_by(notice.id)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        for channel in channels:
            session.add(
                storage.AlertNotification(
                    alert_id=row.alert_id,
                    event=row.event,
                    channel=channel,
                    status=NotificationStatus.PENDING,
                    attempts=0,
                    next_at=None,
                    created_at=row.created_at,
                    body=row.body,
                )
            )
    if rows:
        session.execute(delete(notice).where(notice.id.in_([row.id for row in rows])))
    return len(rows)


def send_email(smtp: SmtpSettings, settings: AlertSettings, notice: Notice, *, now: datetime) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(settings.email_to)
    message["Subject"] = notice.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2].rstrip(">") or None)
    message.set_content(notice.text)
    deliver(smtp, message)


@dataclass(frozen=True, slots=True)
class _Failure:
    error: str
    retryable: bool
    retry_after: float | None  # what the receiver asked for (``Retry-After``), in seconds


def _send(
    item: _Claimed, settings: AlertSettings, smtp: SmtpSettings | None, client: httpx.Client, now: datetime
) -> _Failure | None:
    try:
        if item.channel == AlertChannel.EMAIL:
            assert smtp is not None
            send_email(smtp, settings, item.notice, now=now)
            return None
        return post_webhook(client, settings, item.notice)
    except TransportError as exc:
        return _Failure(str(exc), exc.retryable, None)


def post_webhook(client: httpx.Client, settings: AlertSettings, notice: Notice) -> _Failure | None:
    """POST the notice: None when it was taken, else why not (and whether to try again)."""
    assert settings.webhook_url is not None
    body = (
        {"text": f"{notice.subject}\n{notice.text}"}
        if settings.webhook_format == "slack"
        else notice.as_json()
    )
    try:
        answer = client.post(settings.webhook_url, json=body, timeout=settings.timeout_seconds)
    except httpx.HTTPError as exc:
        return _Failure(f"webhook: {type(exc).__name__}: {exc or 'no detail'}", True, None)
    if answer.is_success:
        return None
    retryable = worth_retrying(answer.status_code)
    wait = answer.headers.get("Retry-After", "").strip()
    return _Failure(
        f"webhook answered {answer.status_code}: {answer.text[:200]}",
        retryable,
        float(wait) if wait.isdigit() else None,
    )


def _claim(
    session: Session, channels: list[AlertChannel], settings: AlertSettings, now: datetime
) -> list[_Claimed]:
    notice = storage.AlertNotification
    rows = session.scalars(
        select(notice)
        .where(
            notice.channel.in_(channels),
            notice.status == NotificationStatus.PENDING,
            or_(notice.next_at.is_(None), notice.next_at <= now),
        )
        .order_by(notice.id)
        .limit(_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        row.attempts += 1
        row.next_at = now + _LEASE
        if row.event == AlertEvent.DIGEST:
            text = digest_notice(row.body or "", settings.public_url)
        else:
            alert = session.get(storage.Alert, row.alert_id)
            assert alert is not None
            text = alert_notice(alert, row.event, settings.public_url, said=row.body)
        claimed.append(_Claimed(row.id, str(row.channel), text))
    return claimed


def _sent(sessions: sessionmaker[Session], notification_id: int, now: datetime) -> None:
    with sessions() as session, session.begin():
        row = session.get(storage.AlertNotification, notification_id, with_for_update=True)
        assert row is not None
        row.status, row.sent_at, row.next_at, row.last_error = NotificationStatus.SENT, now, None, None


def _failed(
    sessions: sessionmaker[Session],
    item: _Claimed,
    failure: _Failure,
    settings: AlertSettings,
    now: datetime,
    report: NoticeReport,
) -> None:
    with sessions() as session, session.begin():
        row = session.get(storage.AlertNotification, item.id, with_for_update=True)
        assert row is not None
        row.last_error = failure.error[:_TEXT_LIMIT]
        if failure.retryable:
            wait = max(settings.delay(row.attempts), failure.retry_after or 0)
            row.next_at = now + timedelta(seconds=wait)
            report.retrying += 1
            log.warning(
                "alert notification %s by %s failed (%s); next try in %.0f s",
                item.id,
                item.channel,
                failure.error,
                wait,
            )
        else:
            row.status, row.next_at = NotificationStatus.DEAD, None
            report.dead += 1
            log.error(
                "alert notification %s by %s refused for good: %s", item.id, item.channel, failure.error
            )
