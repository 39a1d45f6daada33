"""When a partner's 997/999 for what we sent is due, and whether it is overdue: the one rule the
outbox listing, the dashboard and the alerts use."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import and_

from gateway.storage import tables

if TYPE_CHECKING:
    from sqlalchemy import Row

    from gateway import storage


def ack_overdue(now: datetime) -> ColumnElement[bool]:
    """Outbound documents whose 997/999 was due before ``now`` and has not come (SQL; indexed)."""
    outbound = tables.outbound_document.c  # the outbox's table: in an ORM query and a Core one alike
    return and_(outbound.ack_received_at.is_(None), outbound.ack_due_at < now)


def ack_state(row: storage.OutboundRecord | Row[Any], now: datetime) -> str | None:
    """Where the partner's 997/999 to ``row`` stands (see ``outbox_list``)."""
    if row.ack_received_at is not None:
        return "received"
    if row.ack_window_seconds is None:
        return None
    if row.ack_due_at is None:
        return "not sent"
    return "overdue" if is_overdue(row, now) else "due"


def is_overdue(row: storage.OutboundRecord | Row[Any], now: datetime) -> bool:
    if row.ack_due_at is None or row.ack_received_at is not None:
        return False
    due = row.ack_due_at if row.ack_due_at.tzinfo else row.ack_due_at.replace(tzinfo=UTC)
    return due < now
