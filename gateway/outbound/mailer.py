"""Sends the replies to customers (outbox kind ``email.reply``, status ``pending``) by SMTP.

Settings, from the environment:

- ``GATEWAY_SMTP_HOST`` (unset: nothing is sent; pending replies wait in the outbox);
- ``GATEWAY_SMTP_PORT`` (default 25, or 587 with STARTTLS, 465 with TLS);
- ``GATEWAY_SMTP_SECURITY``: ``none``, ``starttls`` (default) or ``tls``;
- ``GATEWAY_SMTP_USER`` and ``GATEWAY_SMTP_PASSWORD``: log in when a user is set;
- ``GATEWAY_SMTP_FROM``: the From address (required with a host).

Each reply is claimed and leased in its own committed transaction before the SMTP exchange, as
``gateway.outbound.dispatch`` does for X12, so no transaction stays open across the network. A reply
that goes is stored as sent, with the From, Date and Message-ID it went with. A failure is
retried with backoff (``gateway.outbound.retries``); one the server refuses for good (a 5xx answer,
a failed login) or the last allowed attempt goes ``dead`` with an alert, the SMTP error kept
beside it, where the order page shows it and the clerk may correct and send it again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import getaddresses
from email.utils import make_msgid

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import SmtpSettings
from gateway.errors import TransportError
from gateway.model.status import OutboxStatus
from gateway.outbound.replies import KIND
from gateway.outbound.replies import parse
from gateway.outbound.retries import RetryTally
from gateway.outbound.retries import locked_outbound
from gateway.outbound.retries import record_failed_attempt
from gateway.outbound.transport_status import record_failure
from gateway.outbound.transport_status import record_success

log = logging.getLogger(__name__)
CHANNEL = "smtp"
_LEASE = timedelta(minutes=10)
_BATCH = 50


def send_message(settings: SmtpSettings, content: bytes, *, now: datetime) -> bytes:
    """Send one stored reply, its From, Date and Message-ID set now; returns the bytes that went.

    Raises ``TransportError`` (``retryable=False`` when the server refused it for good).
    """
    message = parse(content)
    for header in ("From", "Date", "Message-ID"):
        del message[header]
    message["From"] = settings.sender
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=_domain(settings.sender))
    if not any(address for _, address in getaddresses(message.get_all("To", []))):
        raise TransportError("the reply has no To address", retryable=False)
    deliver(settings, message)
    return _bytes(message)


def deliver(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server as it is (its headers set by the caller).

    Raises ``TransportError`` (``retryable=False`` when the server refused it for good).
    """
    try:
        with _connect(settings) as client:
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        said = "; ".join(f"{to}: {code} {_text(why)}" for to, (code, why) in exc.recipients.items())
        raise TransportError(f"recipient refused: {said}", retryable=any(c < 500 for c in codes)) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise TransportError(
            f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}", retryable=False
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise TransportError(
            f"{exc.smtp_code} {_text(exc.smtp_error)}", retryable=exc.smtp_code < 500
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransportError(f"{type(exc).__name__}: {exc or 'no detail'}") from exc


@dataclass(slots=True)
class MailReport(RetryTally):
    sent: int = 0


def send_due_replies(
    sessions: sessionmaker[Session],
    settings: SmtpSettings,
    *,
    now: datetime,
    only: int | None = None,
) -> MailReport:
    """Send every pending reply that is due (or only outbox row ``only``, if it is pending), once each."""
    report = MailReport()
    while True:
        with sessions() as session, session.begin():
            claimed = _claim(session, now, only)
        for outbound_id, partner, content in claimed:
            try:
                sent = send_message(settings, content, now=now)
            except TransportError as exc:
                _failed(sessions, outbound_id, partner, str(exc), exc.retryable, settings, now, report)
            except Exception as exc:  # a bug must not stop the other replies; retried and shown
                log.exception("sending reply %s failed unexpectedly", outbound_id)
                _failed(
                    sessions,
                    outbound_id,
                    partner,
                    f"{type(exc).__name__}: {exc}",
                    True,
                    settings,
                    now,
                    report,
                )
            else:
                _succeeded(sessions, outbound_id, partner, sent, settings, now)
                report.sent += 1
        if only is not None or len(claimed) < _BATCH:
            return report


def _claim(session: Session, now: datetime, only: int | None) -> list[tuple[int, str, bytes]]:
    outbound = storage.OutboundRecord
    query = select(outbound).where(
        outbound.kind == KIND,
        outbound.status == OutboxStatus.PENDING,
        or_(outbound.next_attempt_at.is_(None), outbound.next_attempt_at <= now),
    )
    if only is not None:
        query = query.where(outbound.id == only)
    rows = session.scalars(query.order_by(outbound.id).limit(_BATCH).with_for_update(skip_locked=True)).all()
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + _LEASE
    return [(row.id, row.partner, row.content) for row in rows]


def _succeeded(
    sessions: sessionmaker[Session],
    outbound_id: int,
    partner: str,
    sent: bytes,
    settings: SmtpSettings,
    now: datetime,
) -> None:
    with locked_outbound(sessions, outbound_id) as (session, row):
        row.content, row.status, row.delivered_at = sent, OutboxStatus.SENT, now
        row.next_attempt_at, row.last_error = None, None
        record_success(
            session,
            partner=partner,
            channel=CHANNEL,
            at=now,
            detail=f"reply {outbound_id} via {settings.host}",
        )


def _failed(
    sessions: sessionmaker[Session],
    outbound_id: int,
    partner: str,
    error: str,
    retryable: bool,
    settings: SmtpSettings,
    now: datetime,
    report: MailReport,
) -> None:
    with locked_outbound(sessions, outbound_id) as (session, row):
        outcome = record_failed_attempt(
            session,
            row,
            error,
            policy=settings.policy,
            retryable=retryable,
            now=now,
            refused_by=f"the mail server {settings.host}",
        )
        record_failure(
            session, partner=partner, channel=CHANNEL, at=now, error=f"reply {outbound_id}: {error}"
        )
    report.count_failure(outcome)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "tls":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout_seconds,
            context=ssl.create_default_context(),
        )
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
    except BaseException:
        client.close()
        raise
    return client


def _domain(address: str) -> str | None:
    found = [a for _, a in getaddresses([address]) if "@" in a]
    return found[0].rpartition("@")[2] if found else None


def _text(said: bytes | str) -> str:
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def _bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=policy.SMTP)
