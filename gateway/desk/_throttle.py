"""The failed-login throttle: per user name and per client address, kept in the store.

After ``LIMIT`` failures in ``WINDOW`` (5 in 15 minutes) for a name, or from an address, a
login is refused unchecked until the last failure is ``wait`` old: 60 s after the fifth failure
of the day, doubling with each further failure of the last 24 hours, at most an hour. Failures
are rows (``login_failure``), so every web worker and every restart sees the same count; an
insert per failure needs no lock, so two workers never lose one another's count.

A successful login deletes the failures of that name from that address only: the name's
failures from elsewhere, and the address's failures for other names, still count.

Functions take a session and never commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session

from gateway.storage import LoginFailure

from .exception_queue import as_utc

LIMIT = 5
WINDOW = timedelta(minutes=15)
MEMORY = timedelta(hours=24)  # how far back further failures make the wait grow
FIRST_WAIT = timedelta(seconds=60)
MAX_WAIT = timedelta(hours=1)
_KEY_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Throttled:
    """A refused login: ``retry_after`` whole seconds, and what is throttled (the name, the address)."""

    retry_after: int
    by: str


def wait_after(failures: int) -> timedelta:
    """How long the last of ``failures`` (of the day, ``LIMIT`` or more) locks the name or address."""
    return min(FIRST_WAIT * 2 ** max(failures - LIMIT, 0), MAX_WAIT)


def login_throttle(session: Session, username: str, address: str, *, at: datetime) -> Throttled | None:
    """Whether a login for ``username`` from ``address`` must wait, and how long (the longer of the two)."""
    found: list[Throttled] = []
    for column, key, what in (
        (LoginFailure.username, _key(username), f"user name {username!r}"),
        (LoginFailure.address, _key(address), f"address {address}"),
    ):
        until = _locked_until(session, column, key, at)
        if until is not None and until > at:
            found.append(Throttled(math.ceil((until - at).total_seconds()), what))
    return max(found, key=lambda t: t.retry_after, default=None)


def record_login_failure(session: Session, username: str, address: str, *, at: datetime) -> None:
    """Count one failed login; failures older than a day are dropped on the way."""
    session.execute(delete(LoginFailure).where(LoginFailure.at < at - MEMORY))
    session.add(LoginFailure(username=_key(username), address=_key(address), at=at))


def clear_login_failures(session: Session, username: str, address: str) -> None:
    """A successful login: forget this name's failures from this address (and nothing else)."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == _key(username), LoginFailure.address == _key(address)
        )
    )


def _locked_until(
    session: Session, column: InstrumentedAttribute[str], key: str, at: datetime
) -> datetime | None:
    recent, today, last = session.execute(
        select(
            func.count(case((LoginFailure.at > at - WINDOW, 1))),
            func.count(),
            func.max(LoginFailure.at),
        ).where(column == key, LoginFailure.at > at - MEMORY)
    ).one()
    if recent < LIMIT or last is None:
        return None
    return as_utc(last) + wait_after(today)


def _key(value: str) -> str:
    return value[:_KEY_LENGTH]
