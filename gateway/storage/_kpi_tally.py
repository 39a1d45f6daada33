"""The desk's KPIs of time in the tally: an ERP delivery, an 856, a partner's 997, each counted once in
``kpi_day_tally`` where it happens, so the dashboard reads a few rows a day instead of every order.

- ``erp``: an order's ERP payload (a create, not an update or cancel) delivered: from the order's
  document's ``received_at`` to the delivery. Counted when delivered, after however many attempts.
- ``ship``: an 856 stored (not ``invalid``) for a shipment: per order it carries, from that order's
  document's ``received_at`` to the 856. An order shipped in two shipments counts twice.
- ``ack``: the first 997/999 a partner sends to an X12 document of ours: from when it left (its 997
  clock, ``ack_due_at - ack_window_seconds``; else ``delivered_at``, else ``created_at``) to receipt.

Each is kept under the UTC day it happened, in a bucket of ``duration_bucket`` (seconds), twice: once
for every partner (key: the bucket) and once per partner (figure ``<figure>/p``, key: [partner,
bucket]), so the dashboard's totals read at most a few hundred rows a day whatever the partners;
written with the rest of the tally just before the commit.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.model.status import OutboxStatus

from ._models import Document
from ._models import KpiDayTally
from ._models import OutboundRecord
from ._models import PurchaseOrder
from ._models import ShipmentRow
from ._models import ShippedLine
from ._tally import Cell
from ._tally import _record
from ._tally import _utc
from ._tally import apply_pending
from ._tally import resolve_bucket
from ._tally_read import KPI_ACK
from ._tally_read import KPI_ERP
from ._tally_read import KPI_SHIP
from ._tally_read import PER_PARTNER

TABLE = "kpi_day_tally"
# Under a minute to the second, under 10 min to 10 s, under an hour to the minute, beyond as a time
# to resolve is (resolve_bucket): a few hundred buckets at most, so a day holds at most that many rows.
_FINE = ((60, 1), (10 * 60, 10), (60 * 60, 60))


def duration_bucket(seconds: float) -> int:
    """The bucket of a duration, in whole seconds rounded down (none below 0)."""
    whole = max(0, math.floor(seconds))
    step = next((step for below, step in _FINE if whole < below), None)
    if step is not None:
        return whole - whole % step
    return resolve_bucket(whole / 60) * 60


def tally_kpi(
    session: Session, figure: str, *, partner: str | None, start: datetime, end: datetime | None
) -> None:
    """Count one event of ``figure`` that took ``start`` to ``end``, on ``end``'s UTC day (none: nothing)."""
    if end is None:
        return
    end = _utc(end)
    seconds = (end - _utc(start)).total_seconds()
    bucket = duration_bucket(seconds)
    key = json.dumps([partner or "", bucket], ensure_ascii=False)
    cells: Counter[Cell] = Counter({(TABLE, figure, end.date(), str(bucket)): 1})
    cells[(TABLE, figure + PER_PARTNER, end.date(), key)] += 1
    _record(session, cells)


def tally_erp_delivery(session: Session, row: OutboundRecord, *, at: datetime) -> None:
    """``row``, an ERP payload, was delivered at ``at``: count its order's time from receipt (a create only)."""
    if row.order_id is None or row.erp_request is not None:
        return
    for _, partner, received in _receipts(session, [row.order_id]):
        tally_kpi(session, KPI_ERP, partner=partner, start=received, end=at)


def tally_shipment(session: Session, order_ids: Iterable[int], *, at: datetime) -> None:
    """An 856 stored at ``at`` carries these orders: count each one's time from receipt."""
    for _, partner, received in _receipts(session, sorted(set(order_ids))):
        tally_kpi(session, KPI_SHIP, partner=partner, start=received, end=at)


def tally_ack(session: Session, row: OutboundRecord, *, at: datetime) -> None:
    """The partner's first 997/999 to ``row`` came at ``at`` (call it only for the first)."""
    tally_kpi(session, KPI_ACK, partner=row.partner, start=_left_at(row), end=at)


def recount_kpis(session: Session, *, erp_kinds: Sequence[str]) -> None:
    """Build ``kpi_day_tally`` again from the outbound documents and shipments stored (migration 0030);
    ``erp_kinds``: the outbox kinds of ERP payloads (``gateway.outbound.outbox.ERP_KINDS``)."""
    session.execute(delete(KpiDayTally))
    outbound, order = OutboundRecord, PurchaseOrder
    # columns named one by one: a migration runs this on the schema of its revision, not the models'
    delivered = session.execute(
        select(order.partner, Document.received_at, outbound.delivered_at, outbound.erp_request)
        .join(order, order.id == outbound.order_id)
        .join(Document, Document.id == order.document_id)
        .where(outbound.kind.in_(list(erp_kinds)), outbound.delivered_at.is_not(None))
    )
    for partner, received, at, request in delivered:
        if request is None:  # a create (a JSON null may be stored for none: not asked in SQL)
            tally_kpi(session, KPI_ERP, partner=partner, start=received, end=at)
    shipped = session.execute(
        select(order.partner, Document.received_at, ShipmentRow.created_at)
        .join(outbound, outbound.id == ShipmentRow.outbound_id)
        .join(ShippedLine, ShippedLine.shipment_pk == ShipmentRow.id)
        .join(order, order.id == ShippedLine.order_id)
        .join(Document, Document.id == order.document_id)
        .where(outbound.status != OutboxStatus.INVALID)
        .group_by(ShipmentRow.id, order.id, order.partner, Document.received_at, ShipmentRow.created_at)
    )
    for partner, received, at in shipped:
        tally_kpi(session, KPI_SHIP, partner=partner, start=received, end=at)
    acked = session.execute(
        select(
            outbound.partner,
            outbound.ack_due_at,
            outbound.ack_window_seconds,
            outbound.delivered_at,
            outbound.created_at,
            outbound.ack_received_at,
        ).where(outbound.ack_received_at.is_not(None))
    )
    for row in acked:
        tally_kpi(session, KPI_ACK, partner=row.partner, start=_left_at(row), end=row.ack_received_at)
    apply_pending(session)


def _receipts(session: Session, order_ids: Sequence[int]) -> list[tuple[int, str | None, datetime]]:
    """(order id, partner, its document's received_at) of these orders."""
    if not order_ids:
        return []
    order = PurchaseOrder
    return [
        (id_, partner, received)
        for id_, partner, received in session.execute(
            select(order.id, order.partner, Document.received_at)
            .join(Document, Document.id == order.document_id)
            .where(order.id.in_(list(order_ids)))
            .order_by(order.id)
        )
    ]


def _left_at(row: Any) -> datetime:
    """When an outbound document left (an ORM row or a row of its columns)."""
    if row.ack_due_at is not None and row.ack_window_seconds is not None:
        return _utc(row.ack_due_at) - timedelta(seconds=row.ack_window_seconds)
    return row.delivered_at or row.created_at
