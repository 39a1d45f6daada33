"""What happens to an outbound document after a failed send: back off and retry, or dead-letter loudly.

The n-th failure waits ``backoff * 2**(n-1)`` seconds (capped; longer when the receiver asked
for it). A failure that repeating cannot cure, or the last allowed attempt, moves the document
to ``dead`` and raises an alert (``gateway.alerts``: logged at ERROR, stored, sent to a person). A person
puts it back with ``redeliver`` once the cause is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts import raise_alert
from gateway.alerts import resolve_alerts
from gateway.model.status import AlertKind
from gateway.model.status import OutboxStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0

    def delay(self, attempts: int) -> float:
        return min(self.backoff_seconds * 2 ** (attempts - 1), self.backoff_cap_seconds)


@dataclass(slots=True)
class RetryTally:
    """What a sending pass left of its failed attempts: to be retried, or dead-lettered.

    Each sender's report (dispatch, ERP delivery, mail) adds what it counts as gone.
    """

    retrying: int = 0
    dead: int = 0

    def count_failure(self, outcome: OutboxStatus) -> None:
        """Count what ``record_failed_attempt`` returned."""
        if outcome == OutboxStatus.DEAD:
            self.dead += 1
        else:
            self.retrying += 1


@contextmanager
def locked_outbound(
    sessions: sessionmaker[Session], outbound_id: int
) -> Iterator[tuple[Session, storage.OutboundRecord]]:
    """A transaction holding outbox row ``outbound_id`` locked, to book how an attempt to send it went.
    The row was claimed earlier in the pass, so it exists; the transaction commits on leaving."""
    with sessions() as session, session.begin():
        row = session.get(storage.OutboundRecord, outbound_id, with_for_update=True)
        assert row is not None
        yield session, row


def record_failed_attempt(
    session: Session,
    row: storage.OutboundRecord,
    error: str,
    *,
    policy: RetryPolicy,
    retryable: bool,
    now: datetime,
    retry_after: float | None = None,
    refused_by: str = "the receiver",
) -> OutboxStatus:
    """Book a failed attempt (``row.attempts`` already counts it): schedule the next, or dead-letter.
    Returns the row's new status: ``PENDING`` (it is retried) or ``DEAD``."""
    row.last_error = error
    if retryable and row.attempts < policy.max_attempts:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + timedelta(seconds=max(policy.delay(row.attempts), retry_after or 0))
        return OutboxStatus.PENDING
    row.status, row.next_attempt_at = OutboxStatus.DEAD, None
    why = f"{refused_by} refused it" if not retryable else f"{row.attempts} attempts failed"
    message = f"{row.kind} {row.id} for {row.refers_to or row.partner} is dead-lettered: {why}; last: {error}"
    raise_alert(
        session,
        kind=AlertKind.DELIVERY_DEAD,
        partner=row.partner,
        outbound_id=row.id,
        order_id=row.order_id,
        message=message,
        action="fix the cause (the error says what was refused), then queue it again: "
        f"`gateway alerts --redeliver {row.id}`, or from the desk",
        at=now,
    )
    return OutboxStatus.DEAD


def redeliver(session: Session, outbound_id: int, *, now: datetime) -> bool:
    """Put a dead document back in the queue, due now (once the cause is fixed); resolves its alert."""
    row = session.get(storage.OutboundRecord, outbound_id)
    if row is None or row.status != OutboxStatus.DEAD:
        return False
    row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, None
    resolve_alerts(session, at=now, outbound_id=outbound_id)
    return True
