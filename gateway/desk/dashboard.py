"""The order desk's dashboard: touchless rate, open exceptions, time to resolve, volume, and what failed.

The window is whole UTC days: the last ``days`` of them, today included. Volume counts the
orders stored in the window. A decision counts in the window it was made in: the gateway
decides an order when it stores it (``created_at``), a person when they approve or reject it
(``decided_at``).

- **Touchless rate**: orders the gateway accepted alone (``decided_by`` is NULL) over every
  decision (accepted or rejected, by the gateway or by a person). Orders still in exception
  are not decided yet and count in neither.
- **Median time to resolve**: ``decided_at - created_at`` over the orders people accepted or
  rejected (merged duplicates included).
- **Exceptions by reason**: what is open now, as the queue's facets count it.
- **Overdue 997s**: ``gateway.reports.ack_overdue``, the rule ``gateway outbox --overdue`` uses.
- **Failed deliveries**: outbound documents dead-lettered, plus open delivery alerts whose
  document is not (or no longer) dead, so one failure counts once.

Everything is counted in SQL over the indexes of migration 0009, as index range counts: no
sort over the window and no row loaded, so the cost grows with the orders in the window
(about 65 ms with 100,000 of them in it, SQLite on 2 cores; ``bench/desk_queue.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import ScalarSelect
from sqlalchemy import Select
from sqlalchemy import bindparam
from sqlalchemy import extract
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import union_all
from sqlalchemy.orm import Session

from gateway import storage
from gateway.outbox import DEAD
from gateway.pipeline import ORDER_ACCEPTED
from gateway.pipeline import ORDER_EXCEPTION
from gateway.pipeline import ORDER_REJECTED
from gateway.reports import ack_overdue

from .queue import as_utc
from .queue import count_waiting_documents
from .queue import open_reason_counts

DELIVERY_ALERTS = ("delivery_dead",)  # gateway.retries raises it when a document is dead-lettered
MAX_DAYS = 366


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


def dashboard(session: Session, *, now: datetime, days: int = 30) -> Dashboard:
    """The figures for the last ``days`` UTC days up to ``now`` (1 to 366)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    now = as_utc(now)
    until = datetime.combine(now.date() + timedelta(days=1), time(), UTC)
    since = until - timedelta(days=days)
    order = storage.PurchaseOrder
    median, by_people = _median_resolve_hours(session, since, until)
    touchless, rejected_alone = _gateway_decisions(session, since, until)
    decided = touchless + rejected_alone + by_people
    per_channel, daily = _volume_by_channel_and_day(session, since, days)
    reasons = open_reason_counts(session)
    return Dashboard(
        now=now,
        since=since,
        until=until,
        days=days,
        touchless_rate=round(touchless / decided, 4) if decided else None,
        touchless=touchless,
        decided=decided,
        exceptions_by_reason=list(reasons.items()),
        open_exceptions=session.scalar(select(func.count()).where(order.status == ORDER_EXCEPTION)) or 0,
        waiting_documents=count_waiting_documents(session),
        median_resolve_hours=median,
        resolved_by_people=by_people,
        volume_by_channel=_ranked(per_channel),
        volume_by_partner=_ranked(_volume_by_partner(session, since, until)),
        daily_volume=daily,
        orders=sum(per_channel.values()),
        overdue_acks=_overdue_acks(session, now),
        failed_deliveries=_failed_deliveries(session),
        open_alerts=session.scalar(select(func.count()).where(storage.Alert.resolved_at.is_(None))) or 0,
    )


def _gateway_decisions(session: Session, since: datetime, until: datetime) -> tuple[int, int]:
    """Orders the gateway accepted, and rejected, on its own in the window: two index range counts."""
    order = storage.PurchaseOrder

    def alone(status: str) -> ScalarSelect[int]:
        return (
            select(func.count())
            .select_from(order)
            .where(
                order.status == status,
                order.decided_by.is_(None),
                order.created_at >= since,
                order.created_at < until,
            )
            .scalar_subquery()
        )

    accepted, rejected = session.execute(select(alone(ORDER_ACCEPTED), alone(ORDER_REJECTED))).one()
    return int(accepted), int(rejected)


def _median_resolve_hours(session: Session, since: datetime, until: datetime) -> tuple[float | None, int]:
    """The median hours from stored to decided over the people's decisions in the window, and their count."""
    order = storage.PurchaseOrder
    decided = (order.decided_at >= since, order.decided_at < until, order.decided_by.is_not(None))
    count = session.scalar(select(func.count()).where(*decided)) or 0
    if not count:
        return None, 0
    hours = _hours_between(session, order.created_at, order.decided_at)
    middle = session.scalars(
        select(hours).where(*decided).order_by(hours).offset((count - 1) // 2).limit(2 - count % 2)
    ).all()
    return round(sum(float(h) for h in middle) / len(middle), 2), count


def _hours_between(
    session: Session, start: Any, end: Any
) -> ColumnElement[float | Decimal]:  # PostgreSQL: numeric
    """SQL: hours from ``start`` to ``end``, in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return extract("epoch", end - start) / 3600.0


def _volume_by_partner(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Orders of the window per partner: a loose index scan with one range count per partner.

    Each next partner is one seek on the ``(partner, created_at)`` index; its orders in the
    window are one range of it. No sort, and nothing outside the window is read.
    """
    order = storage.PurchaseOrder
    partners = _distinct_values(order.partner)
    in_window = (
        select(func.count())
        .select_from(order)
        .where(order.partner == partners.c.value, order.created_at >= since, order.created_at < until)
        .scalar_subquery()
    )
    rows = session.execute(select(partners.c.value, in_window).where(partners.c.value.is_not(None)))
    return {value: count for value, count in rows if count}


def _volume_by_channel_and_day(
    session: Session, since: datetime, days: int
) -> tuple[dict[str, int], list[tuple[date, int]]]:
    """Orders of the window per channel, and per UTC day: one range count per channel and day.

    The channels come from a loose index scan, the counts from the ``(channel, created_at)``
    index, all in one statement (built once per ``days``).
    """
    bounds: dict[str, datetime] = {}
    for n in range(days):
        bounds[f"start_{n}"], bounds[f"stop_{n}"] = since + timedelta(days=n), since + timedelta(days=n + 1)
    per_channel: dict[str, int] = {}
    per_day = [0] * days
    for n, channel, count in session.execute(_channel_days(days), bounds):
        per_channel[channel] = per_channel.get(channel, 0) + count
        per_day[n] += count
    first = since.date()
    return (
        {channel: count for channel, count in per_channel.items() if count},
        [(first + timedelta(days=n), count) for n, count in enumerate(per_day)],
    )


@lru_cache(maxsize=8)
def _channel_days(days: int) -> Select[int, str, int]:
    """``(n, channel, orders)`` per day ``n`` of ``days`` (bound as ``start_n``, ``stop_n``) and channel."""
    order = storage.PurchaseOrder
    moment = DateTime(timezone=True)
    day = union_all(
        *(
            select(
                literal(n, Integer).label("n"),
                bindparam(f"start_{n}", type_=moment).label("start"),
                bindparam(f"stop_{n}", type_=moment).label("stop"),
            )
            for n in range(days)
        )
    ).cte("day")
    channels = _distinct_values(order.channel)
    in_day = (
        select(func.count())
        .select_from(order)
        .where(
            order.channel == channels.c.value, order.created_at >= day.c.start, order.created_at < day.c.stop
        )
        .scalar_subquery()
    )
    return (
        select(day.c.n, channels.c.value, in_day)
        .select_from(day)
        .join(channels, true())
        .where(channels.c.value.is_not(None))
    )


def _distinct_values(column: Any) -> Any:
    """A recursive CTE of the distinct values of an indexed ``column`` (then a NULL), one seek each."""
    values = select(func.min(column).label("value")).cte(f"{column.key}_scan", recursive=True)
    following = select(func.min(column)).where(column > values.c.value).scalar_subquery()
    return values.union_all(select(following).where(values.c.value.is_not(None)))


def _overdue_acks(session: Session, now: datetime) -> int:
    return (
        session.scalar(select(func.count()).select_from(storage.OutboundRecord).where(ack_overdue(now))) or 0
    )


def _failed_deliveries(session: Session) -> int:
    outbound = storage.OutboundRecord
    alert = storage.Alert
    dead = session.scalar(select(func.count()).where(outbound.status == DEAD)) or 0
    alerts = session.scalar(
        select(func.count())
        .select_from(alert)
        .outerjoin(outbound, outbound.id == alert.outbound_id)
        .where(
            alert.resolved_at.is_(None),
            alert.kind.in_(DELIVERY_ALERTS),
            or_(outbound.id.is_(None), outbound.status != DEAD),
        )
    )
    return dead + (alerts or 0)


def _ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
