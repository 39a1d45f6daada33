"""The open alerts the desk shows (dashboard, partner page): what failed, what to do, and where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.alerts import desk_path
from gateway.alerts import title


@dataclass(frozen=True, slots=True)
class OpenAlert:
    id: int
    at: datetime
    kind: str
    title: str
    partner: str | None
    message: str
    action: str | None
    path: str  # the desk page of what it is about
    repeats: int


def open_alerts(session: Session, *, partner: str | None = None, limit: int = 20) -> list[OpenAlert]:
    """Open alerts, newest first (of one partner, if named)."""
    alert = storage.Alert
    query = select(alert).where(alert.resolved_at.is_(None))
    if partner is not None:
        query = query.where(alert.partner == partner)
    return [
        OpenAlert(
            row.id,
            row.at,
            row.kind,
            title(row.kind),
            row.partner,
            row.message,
            row.action,
            desk_path(row),
            row.repeats,
        )
        for row in session.scalars(query.order_by(alert.id.desc()).limit(limit))
    ]
