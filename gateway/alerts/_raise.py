"""Raising and resolving alerts, in the caller's transaction: the one way an ``alert`` row is written.

An alert is raised once per ``dedupe_key`` while it is open: raising it again counts a repeat
(``repeats``, ``last_at``, the newest message) and queues nothing. A new alert, and each one
resolved (by its condition ending, or by a person: ``resolve_alert``, whose name and note the
"resolved" notice carries), queues an ``alert_notification`` with no channel yet; the send pass
(``gateway.alerts.sending``) fans it out to the channels configured and sends it, outside the
transaction that raised it. Nothing here commits or touches the network.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from gateway import storage
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind
from gateway.model.status import NotificationStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_TEXT_LIMIT = 4000


def raise_alert(
    session: Session,
    *,
    kind: AlertKind,
    message: str,
    action: str,
    at: datetime,
    partner: str | None = None,
    outbound_id: int | None = None,
    order_id: int | None = None,
    document_id: int | None = None,
    dedupe_key: str | None = None,
) -> storage.Alert:
    """Raise an alert (or count a repeat of the open one with the same ``dedupe_key``); returns it.

    ``dedupe_key`` defaults to the kind and what it is about (partner, outbound, order, document).
    """
    key = dedupe_key or default_key(kind, partner, outbound_id, order_id, document_id)
    log.error("alert %s (%s): %s", kind, partner or "-", message)
    alert = storage.Alert
    open_one = session.scalars(
        select(alert)
        .where(alert.dedupe_key == key, alert.resolved_at.is_(None))
        .order_by(alert.id)
        .limit(1)
        .with_for_update()
    ).first()
    if open_one is not None:
        open_one.repeats += 1
        open_one.last_at, open_one.message = at, message[:_TEXT_LIMIT]
        return open_one
    row = storage.Alert(
        at=at,
        kind=kind,
        partner=partner,
        outbound_id=outbound_id,
        order_id=order_id,
        document_id=document_id,
        message=message[:_TEXT_LIMIT],
        action=action[:_TEXT_LIMIT],
        dedupe_key=key,
        repeats=0,
        last_at=at,
    )
    session.add(row)
    session.flush()
    _queue(session, row.id, AlertEvent.RAISED, at)
    return row


def resolve_alerts(
    session: Session,
    *,
    at: datetime,
    outbound_id: int | None = None,
    dedupe_key: str | None = None,
    kind: AlertKind | None = None,
) -> int:
    """Resolve the open alerts of an outbound document, or of a dedupe key (of one kind, if given);
    each queues a "resolved" notice. Returns how many were open."""
    if outbound_id is None and dedupe_key is None:
        raise ValueError("resolve_alerts needs an outbound_id or a dedupe_key")
    alert = storage.Alert
    query = select(alert).where(alert.resolved_at.is_(None))
    if outbound_id is not None:
        query = query.where(alert.outbound_id == outbound_id)
    if dedupe_key is not None:
        query = query.where(alert.dedupe_key == dedupe_key)
    if kind is not None:
        query = query.where(alert.kind == kind)
    rows = list(session.scalars(query.order_by(alert.id).with_for_update()))
    for row in rows:
        row.resolved_at = at
        _queue(session, row.id, AlertEvent.RESOLVED, at)
    return len(rows)


def resolve_alert(
    session: Session, alert_id: int, *, at: datetime, by: str, note: str = ""
) -> storage.Alert | None:
    """A person resolves one open alert (the desk, ``gateway alerts --resolve``): its "resolved"
    notice says who and why. Returns it, or None when no open alert has that id. A condition that
    is still true raises it again (a new alert) at the next check or failure."""
    row = session.get(storage.Alert, alert_id, with_for_update=True)
    if row is None or row.resolved_at is not None:
        return None
    row.resolved_at = at
    said = f"Resolved by {by}" + (f": {note.strip()}" if note.strip() else "")
    _queue(session, row.id, AlertEvent.RESOLVED, at, body=said[:_TEXT_LIMIT])
    return row


def default_key(
    kind: AlertKind,
    partner: str | None,
    outbound_id: int | None,
    order_id: int | None,
    document_id: int | None,
) -> str:
    """``kind:partner:outbound:order:document``: one open alert of a kind per subject."""
    return ":".join(
        str(part) if part is not None else "" for part in (kind, partner, outbound_id, order_id, document_id)
    )


def queue_digest(session: Session, *, body: str, at: datetime) -> None:
    """Queue the daily digest (its text written now) for the channels configured when it is sent."""
    _queue(session, None, AlertEvent.DIGEST, at, body=body)


def _queue(
    session: Session, alert_id: int | None, event: AlertEvent, at: datetime, *, body: str | None = None
) -> None:
    session.add(
        storage.AlertNotification(
            alert_id=alert_id,
            event=event,
            channel=None,
            status=NotificationStatus.PENDING,
            attempts=0,
            next_at=None,
            created_at=at,
            body=body,
        )
    )
