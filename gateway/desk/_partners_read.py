"""The partners screens' reads: each partner's recent traffic, and one partner's latest documents,
what was sent to it and its open alerts.

The web's ``/partners`` views parse the request and render; what they show is read here.
Functions take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.desk._alerts_read import OpenAlert
from gateway.desk._alerts_read import open_alerts
from gateway.model.status import OrderStatus

RECENT = 20  # documents, outbound documents and alerts a partner's page lists at most


@dataclass(frozen=True, slots=True)
class PartnerTraffic:
    """Per partner: documents received since a moment, and orders waiting in exception."""

    received: dict[str | None, int]
    waiting: dict[str | None, int]


@dataclass(frozen=True, slots=True)
class PartnerActivity:
    """One partner's latest documents and outbound documents, and its open alerts, newest first."""

    documents: list[storage.Document]
    outbound: list[storage.OutboundRecord]
    alerts: list[OpenAlert]


def partner_traffic(session: Session, *, since: datetime) -> PartnerTraffic:
    document = storage.Document
    purchase_order = storage.PurchaseOrder
    received = dict(
        session.execute(
            select(document.partner, func.count())
            .where(document.received_at >= since)
            .group_by(document.partner)
        ).all()
    )
    waiting = dict(
        session.execute(
            select(purchase_order.partner, func.count())
            .where(purchase_order.status == OrderStatus.EXCEPTION)
            .group_by(purchase_order.partner)
        ).all()
    )
    return PartnerTraffic(received, waiting)


def partner_activity(session: Session, name: str) -> PartnerActivity:
    document = storage.Document
    outbound = storage.OutboundRecord
    documents = list(
        session.scalars(
            select(document).where(document.partner == name).order_by(document.id.desc()).limit(RECENT)
        )
    )
    sent = list(
        session.scalars(
            select(outbound).where(outbound.partner == name).order_by(outbound.id.desc()).limit(RECENT)
        )
    )
    return PartnerActivity(documents, sent, open_alerts(session, partner=name, limit=RECENT))
