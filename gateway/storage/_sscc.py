"""SSCC-18s: every one used is recorded once, and ours are drawn from a per-prefix counter.

A supplied SSCC is claimed as it is; ours take the next serial of the GS1 company prefix's
counter (a ``control_counter`` row, locked until the caller commits, as control numbers are),
skipping any serial whose SSCC is already recorded. The ``sscc`` key settles a race with a
concurrent claim: the loser's ``INSERT … ON CONFLICT DO NOTHING`` inserts nothing, and it moves
on (allocating) or is told who holds it (supplying).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import ControlNumberExhausted
from gateway.model.gs1 import serial_digits
from gateway.model.gs1 import sscc
from gateway.model.gs1 import sscc_body

from ._control_numbers import allocate_control_number
from ._engine import conflict_insert
from ._models import ControlCounter
from ._models import Sscc

SSCC_KIND = "SSCC"
_WINDOW = 500  # serials looked up at once when skipping used ones


def sscc_counter(company_prefix: str) -> str:
    """The ``control_counter.partner`` key of a prefix's serials."""
    return f"gs1:{company_prefix}"


def claim_sscc(
    session: Session, value: str, *, partner: str, shipment_id: str, when: datetime, allocated: bool = False
) -> Sscc | None:
    """Record ``value`` as used by this shipment; None if done, else the row that already holds it."""
    row = {
        "sscc": value,
        "partner": partner,
        "shipment_id": shipment_id,
        "allocated": allocated,
        "created_at": when,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        # PostgreSQL waits for a concurrent claim of the same SSCC to commit or roll back first
        table = conflict_insert(session)(Sscc)
        claimed = session.scalar(table.values(**row).on_conflict_do_nothing().returning(Sscc.sscc))
    else:
        try:
            with session.begin_nested():
                claimed = session.scalar(insert(Sscc).values(**row).returning(Sscc.sscc))
        except IntegrityError:
            claimed = None
    if claimed is not None:
        return None
    return session.get(Sscc, value, populate_existing=True)


def allocate_sscc(
    session: Session, company_prefix: str, *, partner: str, shipment_id: str, when: datetime
) -> str:
    """The next SSCC (extension 0) under ``company_prefix`` that was never used, claimed for the shipment."""
    key = sscc_counter(company_prefix)
    limit = 10 ** serial_digits(company_prefix)
    while True:
        drawn = allocate_control_number(session, key, SSCC_KIND)
        serial = _first_unused(session, company_prefix, drawn, limit)
        if serial >= limit:
            raise ControlNumberExhausted(
                f"the SSCC serials of GS1 company prefix {company_prefix} are used up "
                f"({limit - 1} is the last that fits); SSCCs are never reused, so another prefix is needed"
            )
        if serial != drawn:  # the counter moves past the serials skipped
            session.execute(
                update(ControlCounter)
                .where(ControlCounter.partner == key, ControlCounter.kind == SSCC_KIND)
                .values(last_value=serial)
            )
        value = sscc(company_prefix, serial)
        if (
            claim_sscc(session, value, partner=partner, shipment_id=shipment_id, when=when, allocated=True)
            is None
        ):
            return value


def _first_unused(session: Session, company_prefix: str, serial: int, limit: int) -> int:
    """``serial`` or the first serial after it whose SSCC is not recorded; ``limit`` if none is left."""
    while serial < limit:
        end = min(serial + _WINDOW, limit)
        low = sscc_body(company_prefix, serial)
        high = sscc_body(company_prefix, end) if end < limit else f"0{company_prefix}:"  # ':' sorts after '9'
        used = {
            int(value[1 + len(company_prefix) : -1])
            for value in session.scalars(select(Sscc.sscc).where(Sscc.sscc >= low, Sscc.sscc < high))
        }
        free = next((n for n in range(serial, end) if n not in used), None)
        if free is not None:
            return free
        serial = end
    return limit
