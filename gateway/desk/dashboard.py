"""The order desk's dashboard: touchless rate, open exceptions, time to resolve, volume, and what failed.

The window is whole UTC days: the last ``days`` of them, today included. Volume counts the
orders stored in the window. A decision counts in the window it was made in: the gateway
decides an order when it stores it (``created_at``), a person when they approve or reject it
(``decided_at``).

- **Touchless rate**: orders the gateway accepted alone (``decided_by`` is NULL) over every
  decision (accepted or rejected, by the gateway or by a person). Orders still in exception
  are not decided yet and count in neither.
- **Median time to resolve**: ``decided_at - created_at`` over the orders people accepted or
  rejected (merged duplicates included), to the precision of the tally's buckets: each time is
  rounded down to the minute under 30 min, to 5 min under 4 h, to 30 min under a day, to 2 h
  under a week and to the day beyond (``gateway.storage.resolve_bucket``), and the median is
  taken over those; the count of people's decisions is exact.
- **Exceptions by reason**: what is open now, as the queue's facets count it.
- **Overdue 997s**: ``gateway.outbound.ack_window.ack_overdue``, the rule ``gateway outbox --overdue`` uses.
- **Failed deliveries**: outbound documents dead-lettered, plus open delivery alerts whose
  document is not (or no longer) dead, so one failure counts once.
- **KPIs** (``kpis``, from ``gateway.desk.kpis``, which defines each precisely): order accuracy
  (orders accepted without any change, i.e. no desk edit or revalidation, no partner change or
  cancellation, no reject, ÷ the orders of the window no longer in exception), receipt to ERP
  delivery, receipt to the 856 and our X12's 997 turnaround by partner, as medians and 90th percentiles.

Volume, the gateway's and the people's decisions, the time to resolve, the KPIs, the open exceptions
and the waiting documents are read from the tally (``gateway.storage._tally``: a few rows per day,
channel, partner and bucket of time to resolve, kept in the transaction of every change), not
counted over the orders and documents; acks and deliveries are index range counts. So the cost
follows the days, partners and alerts, not the orders stored (``bench/desk_queue.py`` times it
at 1,000 and 100,000 orders).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.desk._alerts_read import OpenAlert
from gateway.desk._alerts_read import open_alerts
from gateway.model.status import AlertKind
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.outbound.ack_window import ack_overdue

from .exception_queue import as_utc
from .exception_queue import count_waiting_documents
from .exception_queue import open_reason_counts
from .exception_queue import waiting_groups
from .kpis import Kpis
from .kpis import kpis
from .kpis import median

DELIVERY_ALERTS = (
    AlertKind.DELIVERY_DEAD,
)  # gateway.outbound.retries raises it when a document is dead-lettered
MAX_DAYS = 366
SHOWN_ALERTS = 10


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The figures for the window ``[since, until)``; ``touchless_rate`` is 0..1, None if nothing was decided.

    ``exceptions_by_reason`` holds every reason of ``queue.ALL_REASONS`` in order, with the
    open orders and waiting documents under it (an item with two reasons counts under both).
    """

    now: datetime
    since: datetime
    until: datetime
    days: int
    touchless_rate: float | None
    touchless: int
    decided: int
    exceptions_by_reason: list[tuple[str, int]]
    open_exceptions: int
    waiting_documents: int
    median_resolve_hours: float | None
    resolved_by_people: int
    volume_by_channel: list[tuple[str, int]]
    volume_by_partner: list[tuple[str, int]]
    daily_volume: list[tuple[date, int]]
    orders: int
    overdue_acks: int
    failed_deliveries: int
    open_alerts: int
    alerts: list[OpenAlert]  # the newest open ones, with their action and desk page
    kpis: Kpis


def dashboard(session: Session, *, now: datetime, days: int = 30) -> Dashboard:
    """The figures for the last ``days`` UTC days up to ``now`` (1 to 366)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    now = as_utc(now)
    until = datetime.combine(now.date() + timedelta(days=1), time(), UTC)
    since = until - timedelta(days=days)
    median, by_people = _median_resolve_hours(session, since, until)
    alone = storage.figure_totals(session, storage.TALLY_ALONE, since.date(), until.date())
    touchless, rejected_alone = alone.get(OrderStatus.ACCEPTED, 0), alone.get(OrderStatus.REJECTED, 0)
    decided = touchless + rejected_alone + by_people
    per_channel, daily = _volume_by_channel_and_day(session, since, days)
    waiting = waiting_groups(session)
    reasons = open_reason_counts(session, waiting)
    return Dashboard(
        now=now,
        since=since,
        until=until,
        days=days,
        touchless_rate=round(touchless / decided, 4) if decided else None,
        touchless=touchless,
        decided=decided,
        exceptions_by_reason=list(reasons.items()),
        open_exceptions=sum(storage.open_counts(session, storage.TALLY_CHANNEL).values()),
        waiting_documents=count_waiting_documents(session, waiting),
        median_resolve_hours=median,
        resolved_by_people=by_people,
        volume_by_channel=_ranked(per_channel),
        volume_by_partner=_ranked(
            storage.figure_totals(session, storage.TALLY_PARTNER, since.date(), until.date())
        ),
        daily_volume=daily,
        orders=sum(per_channel.values()),
        overdue_acks=_overdue_acks(session, now),
        failed_deliveries=_failed_deliveries(session),
        open_alerts=session.scalar(select(func.count()).where(storage.Alert.resolved_at.is_(None))) or 0,
        alerts=open_alerts(session, limit=SHOWN_ALERTS),
        kpis=kpis(session, since=since.date(), until=until.date()),
    )


def _median_resolve_hours(session: Session, since: datetime, until: datetime) -> tuple[float | None, int]:
    """The median hours from stored to decided over the people's decisions in the window (to the
    tally's bucket precision), and their count: from the tally's buckets, not the orders."""
    buckets = Counter(
        {
            int(minutes): count
            for minutes, count in storage.figure_totals(
                session, storage.TALLY_RESOLVED, since.date(), until.date()
            ).items()
        }
    )
    middle = median(buckets)
    return (None, 0) if middle is None else (round(middle / 60, 2), sum(buckets.values()))


def _volume_by_channel_and_day(
    session: Session, since: datetime, days: int
) -> tuple[dict[str, int], list[tuple[date, int]]]:
    """Orders of the window per channel, and per UTC day, from the tally."""
    first = since.date()
    per_channel: dict[str, int] = {}
    per_day = [0] * days
    for day, channel, count in storage.day_counts(
        session, storage.TALLY_CHANNEL, first, first + timedelta(days=days)
    ):
        per_channel[channel] = per_channel.get(channel, 0) + count
        per_day[(day - first).days] += count
    return (
        {channel: count for channel, count in per_channel.items() if count},
        [(first + timedelta(days=n), count) for n, count in enumerate(per_day)],
    )


def _overdue_acks(session: Session, now: datetime) -> int:
    return (
        session.scalar(select(func.count()).select_from(storage.OutboundRecord).where(ack_overdue(now))) or 0
    )


def _failed_deliveries(session: Session) -> int:
    outbound = storage.OutboundRecord
    alert = storage.Alert
    dead = session.scalar(select(func.count()).where(outbound.status == OutboxStatus.DEAD)) or 0
    alerts = session.scalar(
        select(func.count())
        .select_from(alert)
        .outerjoin(outbound, outbound.id == alert.outbound_id)
        .where(
            alert.resolved_at.is_(None),
            alert.kind.in_(DELIVERY_ALERTS),
            or_(outbound.id.is_(None), outbound.status != OutboxStatus.DEAD),
        )
    )
    return dead + (alerts or 0)


def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
