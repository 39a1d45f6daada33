"""Poll cursors: how far each partner's polled marketplace has been read (``poll_cursor``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ._models import PollCursor


def poll_cursor(session: Session, partner: str, channel: str) -> str | None:
    """The position the next poll of ``partner``'s ``channel`` starts from; None before the first."""
    row = session.get(PollCursor, (partner, channel))
    return None if row is None else row.position


def save_poll_cursor(session: Session, partner: str, channel: str, position: str, *, at: datetime) -> None:
    """Move the cursor to ``position``; the caller commits, after storing everything before it."""
    row = session.get(PollCursor, (partner, channel), with_for_update=True)
    if row is None:
        session.add(PollCursor(partner=partner, channel=channel, position=position, updated_at=at))
        return
    row.position, row.updated_at = position, at
