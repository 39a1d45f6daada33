"""The KPIs the OMS guides name, for the dashboard and ``gateway report``: order accuracy, receipt to
ERP delivery, time to ship and 997 turnaround by partner, read from the tally (never over the orders).

The window is whole UTC days ``[since, until)``; ``partner`` narrows every figure to one partner.

- **Order accuracy**: orders accepted without any change ÷ the orders stored in the window that are
  no longer in exception (accepted, rejected or cancelled; an order still waiting on the desk is not
  decided yet and counts in neither). An order *changed* when its audit trail holds any entry but a
  person approving it as it stands, a reply to its sender, the same order arriving again or a clerk
  keying it in from an unreadable document (its first version, not a change): so a desk
  edit (and with it the revalidation every desk action but approving runs), releasing a hold, a
  partner's change, cancellation or refused change, and a reject all make it inaccurate
  (``gateway.storage._tally.UNCHANGING``). Per day of the order's receipt.
- **Receipt to ERP**: an order's document ``received_at`` to its ERP payload (the create) delivered,
  however many attempts it took; counted on the day of the delivery.
- **Time to ship**: receipt to the 856 stored for it (one per order and shipment); on the 856's day.
- **997 turnaround**: an X12 document of ours leaving to the partner's first 997/999 to it, by partner;
  on the day the 997/999 came.

Times are kept in buckets (``gateway.storage.duration_bucket``: to the second under a minute, to 10 s
under 10 min, to the minute under an hour, then as the time to resolve is), and the median (the mean of the two middle ones when
the count is even) and 90th percentile (nearest rank) are taken over those buckets.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import TYPE_CHECKING

from gateway import storage

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    Reader = Connection | Session  # the dashboard's session, or ``gateway report``'s read-only connection

NONE = "—"  # a figure with nothing to measure


@dataclass(frozen=True, slots=True)
class Timing:
    """How long ``count`` events took: the median and 90th percentile in seconds, None if none happened."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class Kpis:
    """The KPIs of ``[since, until)``; ``accuracy`` is 0..1, None when no order was decided."""

    since: date
    until: date
    partner: str | None
    accurate: int
    settled: int
    accuracy: float | None
    daily_accuracy: list[tuple[date, float | None]]
    to_erp: Timing
    to_ship: Timing
    ack_turnaround: Timing
    ack_by_partner: list[tuple[str, Timing]]  # slowest median first


def kpis(session: Reader, *, since: date, until: date, partner: str | None = None) -> Kpis:
    """The KPIs of the UTC days ``[since, until)``, of every partner or of ``partner`` only."""
    days = [since + timedelta(days=n) for n in range((until - since).days)]
    settled = _per_day(session, storage.TALLY_SETTLED, since, until, partner)
    accurate = _per_day(session, storage.TALLY_ACCURATE, since, until, partner)
    erp, ship, acks = (_totals(session, figure, since, until, partner) for figure in storage.KPI_FIGURES)
    per_partner = storage.kpi_partner_totals(session, storage.KPI_ACK, since, until)
    if partner is not None:
        per_partner = {partner: per_partner[partner]} if partner in per_partner else {}
    by_partner = [(who, timing(buckets)) for who, buckets in per_partner.items()]
    total_settled, total_accurate = sum(settled.values()), sum(accurate.values())
    return Kpis(
        since=since,
        until=until,
        partner=partner,
        accurate=total_accurate,
        settled=total_settled,
        accuracy=_ratio(total_accurate, total_settled),
        daily_accuracy=[(day, _ratio(accurate.get(day, 0), settled.get(day, 0))) for day in days],
        to_erp=timing(erp),
        to_ship=timing(ship),
        ack_turnaround=timing(acks),
        ack_by_partner=sorted(by_partner, key=lambda item: (-(item[1].median or 0), item[0])),
    )


def timing(buckets: Counter[int]) -> Timing:
    """The count, median and 90th percentile (nearest rank) of events counted per bucket."""
    count = sum(buckets.values())
    if not count:
        return Timing(0, None, None)
    middle = _at_places(buckets, {(count - 1) // 2, count // 2})
    return Timing(
        count, sum(middle) / len(middle), float(_at_places(buckets, {math.ceil(0.9 * count) - 1})[0])
    )


def median(buckets: Counter[int]) -> float | None:
    """The median of events counted per bucket (the mean of the two middle ones for an even count)."""
    return timing(buckets).median


def format_duration(seconds: float | None) -> str:
    """``42 s``, ``12 min``, ``3.5 h``, ``2.1 d``; ``—`` for none."""
    if seconds is None:
        return NONE
    for limit, unit, size in ((90, "s", 1), (90 * 60, "min", 60), (48 * 3600, "h", 3600)):
        if seconds < limit:
            return f"{_short(seconds / size)} {unit}"
    return f"{_short(seconds / 86400)} d"


def format_share(share: float | None) -> str:
    """``87.5%``; ``—`` for none."""
    return NONE if share is None else f"{_short(share * 100)}%"


def _at_places(buckets: Counter[int], places: set[int]) -> list[int]:
    """The buckets at these places (0-based) of the events in bucket order, one per place."""
    found: list[int] = []
    seen = 0
    for bucket, n in sorted(buckets.items()):
        found.extend(bucket for place in sorted(places) if seen <= place < seen + n)
        seen += n
    return found


def _per_day(session: Reader, figure: str, since: date, until: date, partner: str | None) -> dict[date, int]:
    counts: Counter[date] = Counter()
    for day, key, orders in storage.day_counts(session, figure, since, until):
        if partner is None or key == partner:
            counts[day] += orders
    return dict(counts)


def _totals(session: Reader, figure: str, since: date, until: date, partner: str | None) -> Counter[int]:
    """Events per bucket: every partner's added up in SQL (a few hundred rows), or one partner's."""
    if partner is None:
        return storage.kpi_totals(session, figure, since, until)
    buckets: Counter[int] = Counter()
    for _, _, bucket, events in storage.kpi_counts(session, figure, since, until, partner=partner):
        buckets[bucket] += events
    return buckets


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _short(value: float) -> str:
    """One decimal under 10, none from 10 on; no trailing ``.0``."""
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return text.removesuffix(".0")
