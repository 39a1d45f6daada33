"""The tallies as read: orders per day and figure, and the KPIs' events per bucket, from the Core tables.

One set of queries for the dashboard's session and ``gateway report``'s read-only connection: on a
connection they load neither SQLAlchemy's ORM nor the mapped classes. Given a session, what it has
tallied and not yet written is written first (``_tally.apply_pending``), as before every commit.
The figures' names live here too: the writers (``_tally``, ``_kpi_tally``) and the readers share them.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select

from . import tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    Reader = Connection | Session  # a read-only connection, or the session a command works in

TALLY_CHANNEL, TALLY_PARTNER, TALLY_ALONE, TALLY_CODES = "channel", "partner", "alone", "codes"
TALLY_RESOLVED = "resolved"
TALLY_DOCUMENTS = "documents"
TALLY_SETTLED, TALLY_ACCURATE = "settled", "accurate"
KPI_ERP, KPI_SHIP, KPI_ACK = "erp", "ship", "ack"
KPI_FIGURES = (KPI_ERP, KPI_SHIP, KPI_ACK)
PER_PARTNER = "/p"  # the figure's per-partner rows: ``erp/p``, keyed [partner, bucket]
_COUNTED = {"kpi_day_tally": "events"}  # the column a tally table counts in, if not ``orders``


def day_counts(reader: Reader, figure: str, since: date, until: date) -> list[tuple[date, str, int]]:
    """(day, key, orders) of ``figure`` (``TALLY_CHANNEL``, ``_PARTNER``, ``_ALONE``) in the days ``[since, until)``."""
    _written(reader)
    tally = tables.order_day_tally.c
    rows = reader.execute(
        select(tally.day, tally.key, tally.orders).where(
            tally.figure == figure, tally.day >= since, tally.day < until, tally.orders != 0
        )
    )
    return [(day, key, orders) for day, key, orders in rows]


def kpi_counts(
    reader: Reader, figure: str, since: date, until: date, *, partner: str | None = None
) -> list[tuple[date, str, int, int]]:
    """(day, partner, bucket in seconds, events) of ``figure`` in the days ``[since, until)``: of every
    partner (partner "") from the rows of all partners, or of ``partner`` from the per-partner rows."""
    _written(reader)
    tally = tables.kpi_day_tally.c
    rows = reader.execute(
        select(tally.day, tally.key, tally.events).where(
            tally.figure == (figure if partner is None else figure + PER_PARTNER),
            tally.day >= since,
            tally.day < until,
            tally.events != 0,
        )
    )
    if partner is None:
        return [(day, "", int(key), events) for day, key, events in rows]
    counts = []
    for day, key, events in rows:
        who, bucket = json.loads(key)
        if who == partner:
            counts.append((day, who, int(bucket), events))
    return counts


def figure_totals(reader: Reader, figure: str, since: date, until: date) -> dict[str, int]:
    """Orders per key of ``figure`` over the days ``[since, until)``, added up in SQL (keys with none left out)."""
    return {key: total for key, total in _key_totals(reader, tables.order_day_tally, figure, since, until)}


def kpi_totals(reader: Reader, figure: str, since: date, until: date) -> Counter[int]:
    """Events per bucket of ``figure`` over the days ``[since, until)``, every partner, added up in SQL."""
    return Counter(
        {int(key): total for key, total in _key_totals(reader, tables.kpi_day_tally, figure, since, until)}
    )


def kpi_partner_totals(reader: Reader, figure: str, since: date, until: date) -> dict[str, Counter[int]]:
    """Events per partner and bucket of ``figure`` over the days ``[since, until)``, added up in SQL."""
    found: dict[str, Counter[int]] = {}
    for key, total in _key_totals(reader, tables.kpi_day_tally, figure + PER_PARTNER, since, until):
        who, bucket = json.loads(key)
        found.setdefault(who, Counter())[int(bucket)] += total
    return found


def _key_totals(reader: Reader, tally: Table, figure: str, since: date, until: date) -> list[tuple[str, int]]:
    """(key, count added up over the days ``[since, until)``) of ``figure`` in a tally table; keys that add up to 0 left out."""
    _written(reader)
    counted = tally.c[_COUNTED.get(tally.name, "orders")]
    total = func.sum(counted)
    rows = reader.execute(
        select(tally.c.key, total)
        .where(tally.c.figure == figure, tally.c.day >= since, tally.c.day < until)
        .group_by(tally.c.key)
        .having(total != 0)
    )
    return [(key, int(count)) for key, count in rows]


def _written(reader: Reader) -> None:
    """A session's tally changes not yet written are written first; a read-only connection has none."""
    if isinstance(reader, Connection):
        return
    from ._tally import apply_pending  # with the ORM: a session has loaded it already

    apply_pending(reader)
