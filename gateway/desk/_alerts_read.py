"""The open alerts the desk shows (dashboard, partner page, the alerts page): what failed, what to do, and where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import func
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
    last_at: datetime  # when it was last raised (``at`` when never repeated)


def open_alerts(
    session: Session, *, partner: str | None = None, kind: str | None = None, limit: int = 20
) -> list[OpenAlert]:
    """Open alerts, newest first (of one partner, of one kind, if named)."""
    alert = storage.Alert
    query = _open(select(alert), partner, kind)
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
            row.last_at or row.at,
        )
        for row in session.scalars(query.order_by(alert.id.desc()).limit(limit))
    ]


def count_open_alerts(session: Session, *, partner: str | None = None, kind: str | None = None) -> int:
    """How many alerts are open (of one partner, of one kind, if named)."""
    return session.scalar(_open(select(func.count(storage.Alert.id)), partner, kind)) or 0


def _open(query: Select[Any], partner: str | None, kind: str | None) -> Select[Any]:
    alert = storage.Alert
    query = query.where(alert.resolved_at.is_(None))
    if partner is not None:
        query = query.where(alert.partner == partner)
    if kind is not None:
        query = query.where(alert.kind == kind)
    return query
