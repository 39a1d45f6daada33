"""Per-partner control numbers (ISA13, GS06, ST02): monotonic, never reused, safe with many workers."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.errors import ControlNumberExhausted

from ._engine import conflict_insert
from ._models import ControlCounter

MAXIMUM = 999_999_999


def allocate_control_number(session: Session, partner: str, kind: str) -> int:
    """The next number for (partner, kind). The row stays locked until the caller commits."""
    dialect = session.get_bind().dialect.name
    values = {"partner": partner, "kind": kind, "last_value": 0}
    if dialect in ("postgresql", "sqlite"):
        session.execute(conflict_insert(session)(ControlCounter).values(**values).on_conflict_do_nothing())
    elif session.get(ControlCounter, (partner, kind)) is None:
        session.execute(insert(ControlCounter).values(**values))
    number = session.scalar(
        update(ControlCounter)
        .where(ControlCounter.partner == partner, ControlCounter.kind == kind)
        .values(last_value=ControlCounter.last_value + 1)
        .returning(ControlCounter.last_value)
    )
    if number is None or number > MAXIMUM:
        raise ControlNumberExhausted(
            f"{kind} control numbers for partner {partner!r} are used up (past {MAXIMUM}); "
            "numbers are never reused, so the counter must be reset by agreement with the partner"
        )
    return int(number)


class ControlNumbers:
    """A ``ControlNumberSource`` for one partner, drawing from the database."""

    def __init__(self, session: Session, partner: str) -> None:
        self._session = session
        self._partner = partner

    def next(self, kind: str) -> int:
        return allocate_control_number(self._session, self._partner, kind)
