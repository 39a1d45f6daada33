"""Last success and last failure per partner and channel: what `gateway status` shows.

Channels: ``sftp-pull``, ``drop``, ``sftp-push``, ``as2-in``, ``as2-out``, ``imap``, ``erp``, ``smtp``,
the polled marketplaces ``amazon`` and ``walmart``, the web shops' webhooks ``shopify-in`` and
``woocommerce-in``, the carrier platforms' shipment webhooks ``nshift-in`` and ``ingrid-in``, ``846`` (the inventory advice pass) and ``alerts`` (the alert checks' own pass).
A failure is also logged; the row keeps the newest of each and a count of failures in a row.
``GATEWAY_ALERT_POLLER_FAILURES`` (3) failures in a row of a poller (``POLLED``) raise a
``poller_failing`` alert (one while they go on); its next success resolves it. What we send (push, AS2 out, ERP,
SMTP) has its own alert when a document is dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Row
from sqlalchemy import select

from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.config import AlertSettings
from gateway.model.status import AlertKind

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

    from partners import PartnerProfile
    from partners import PartnerRegistry

log = logging.getLogger(__name__)
CHANNELS = (
    "sftp-pull",
    "drop",
    "sftp-push",
    "as2-in",
    "as2-out",
    "imap",
    "erp",
    "smtp",
    "amazon",
    "walmart",
    "shopify-in",
    "woocommerce-in",
    "nshift-in",
    "ingrid-in",
    "846",
    "alerts",
)
POLLED = frozenset(
    {"sftp-pull", "drop", "imap", "amazon", "walmart", "846", "alerts"}
)  # what `gateway run` polls
_TEXT_LIMIT = 2000
ERP_STATUS = "(erp)"  # the status row of the default ERP


def record_success(session: Session, *, partner: str, channel: str, at: datetime, detail: str) -> None:
    row = _row(session, partner, channel)
    failing = channel in POLLED and row.failures_in_a_row > 0  # whatever the threshold was then
    row.last_success_at, row.last_success, row.failures_in_a_row = at, detail[:_TEXT_LIMIT], 0
    if failing:
        resolve_alerts(
            session, at=at, dedupe_key=failing_key(partner, channel), kind=AlertKind.POLLER_FAILING
        )


def record_failure(session: Session, *, partner: str, channel: str, at: datetime, error: str) -> None:
    log.warning("%s %s failed: %s", partner, channel, error)
    row = _row(session, partner, channel)
    row.last_error_at, row.last_error = at, error[:_TEXT_LIMIT]
    row.failures_in_a_row += 1
    if channel in POLLED and row.failures_in_a_row >= failures_before_alert():
        raise_alert(
            session,
            kind=AlertKind.POLLER_FAILING,
            partner=partner,
            message=f"{channel} of {partner} failed {row.failures_in_a_row} times in a row; last: {error}",
            action=f"check the {channel} connection of {partner} (server, address, credentials; "
            "`gateway status` shows each try); it is retried with backoff meanwhile",
            at=at,
            dedupe_key=failing_key(partner, channel),
        )


def failures_before_alert() -> int:
    """``GATEWAY_ALERT_POLLER_FAILURES``: failures in a row of a poller before its alert."""
    return AlertSettings.from_environment().poller_failures


def failing_key(partner: str, channel: str) -> str:
    return f"{AlertKind.POLLER_FAILING}:{partner}:{channel}"


def record_outcome(
    session: Session,
    *,
    partner: str,
    channel: str,
    at: datetime,
    detail: str | None = None,
    error: str | None = None,
) -> None:
    """Record a success (``detail``) or a failure (``error``) in the caller's transaction, which
    the caller commits; never raises.

    The status row is a courtesy: it is written under a savepoint, so a failure to write it is
    logged and undoes only the row, never the caller's own work. A caller with no transaction of
    its own records in ``status_transaction``.
    """
    try:
        with session.begin_nested():
            if error is None:
                record_success(session, partner=partner, channel=channel, at=at, detail=detail or "")
            else:
                record_failure(session, partner=partner, channel=channel, at=at, error=error)
    except Exception:
        log_unrecorded(partner, channel)


@contextmanager
def status_transaction(sessions: sessionmaker[Session], partner: str, channel: str) -> Iterator[Session]:
    """A transaction of its own for status rows (``record_outcome``): a store that is down is only
    logged, never raised to the poll or send that is being recorded."""
    try:
        with sessions() as session, session.begin():
            yield session
    except Exception:
        log_unrecorded(partner, channel)


def log_unrecorded(partner: str, channel: str) -> None:
    """Log, with the exception being handled, that a status row could not be recorded."""
    log.exception("could not record the %s status of %s", channel, partner)


def status_rows(session: Session | Connection) -> list[Row[Any]]:
    """Every status row, by partner and channel; read from the table, so `gateway status` reads them
    on a read-only connection without SQLAlchemy's ORM (a session works as well)."""
    status = storage.tables.transport_status
    return list(session.execute(select(status).order_by(status.c.partner, status.c.channel)))


def _row(session: Session, partner: str, channel: str) -> storage.TransportStatus:
    if channel not in CHANNELS:
        raise ValueError(f"unknown transport channel {channel!r}")
    session.execute(
        storage.conflict_insert(session)(storage.TransportStatus)
        .values(partner=partner, channel=channel, failures_in_a_row=0)
        .on_conflict_do_nothing()
    )
    row = session.get(storage.TransportStatus, (partner, channel), with_for_update=True)
    assert row is not None
    return row


def erp_status_row(target: str) -> str:
    """The status row of an ERP target, which belongs to no one partner: ``(erp)`` for the default
    (GATEWAY_ERP_*), ``(erp:NAME)`` for a target a profile's ``[erp]`` table names."""
    from partners import DEFAULT_TARGET  # (the profiles' models: not at import, for `gateway --help`)

    return ERP_STATUS if target == DEFAULT_TARGET else f"(erp:{target})"


def status_report(session: Session | Connection, partners: PartnerRegistry) -> list[dict[str, Any]]:
    """Last success and last error per partner and channel; configured channels never run show too.

    A refused profile file is a row of its own: channel ``profile``, named by its file, its
    error as ``last_error``.
    """
    seen = {(row.partner, row.channel): row for row in status_rows(session)}
    configured = {(p.name, channel) for p in partners for channel in configured_channels(p)}
    configured |= {(erp_status_row(t.name), "erp") for p in partners if p.erp for t in p.erp.targets()}
    result = []
    for partner, channel in sorted(configured | set(seen)):
        row = seen.get((partner, channel))
        result.append(
            {
                "partner": partner,
                "channel": channel,
                "configured": (partner, channel) in configured,
                "last_success_at": row.last_success_at if row else None,
                "last_success": row.last_success if row else None,
                "last_error_at": row.last_error_at if row else None,
                "last_error": row.last_error if row else None,
                "failures_in_a_row": row.failures_in_a_row if row else 0,
            }
        )
    for refused in partners.refused:
        result.append(
            {
                "partner": refused.path.name,
                "channel": "profile",
                "configured": False,
                "last_success_at": None,
                "last_success": None,
                "last_error_at": None,
                "last_error": refused.error,
                "failures_in_a_row": 1,
            }
        )
    return result


def configured_channels(profile: PartnerProfile) -> list[str]:
    from partners import WEBHOOK_KINDS  # loaded already: the profile is one

    channels: list[str] = []
    if profile.channel and profile.channel.kind in WEBHOOK_KINDS:
        channels.append(f"{profile.channel.kind}-in")  # the webhook's status row (gateway.web.channels)
    if profile.sftp_pull:
        channels.append("sftp-pull")
    if profile.drop:
        channels.append("drop")
    if profile.as2:
        channels.append("as2-in")
    if profile.delivery:
        channels.append("sftp-push" if profile.delivery.via == "sftp" else "as2-out")
    return channels
