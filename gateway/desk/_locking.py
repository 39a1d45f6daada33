"""Optimistic locking: a desk change applies only to the version of the order the user saw.

The order row is read ``SELECT … FOR UPDATE`` (on SQLite, ``BEGIN IMMEDIATE`` already
serializes writers), its ``version`` compared with the one the user's screen showed, and
bumped by the change. Two clerks who opened version 3 both send "version 3": the first wins
and makes it 4; the second gets ``StaleOrder`` naming who changed it and when, instead of
silently overwriting the first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.model.status import OrderStatus
from gateway.storage import PurchaseOrder

from ._errors import NotInException
from ._errors import OrderNotFound
from ._errors import StaleOrder

SUBJECT = "purchase_order"


def lock_order(session: Session, order_id: int, version: int, *, in_exception: bool = True) -> PurchaseOrder:
    """The order, locked for this transaction; raises unless it is at ``version`` (and in exception)."""
    order = session.get(PurchaseOrder, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound(order_id)
    if order.version != version:
        last = last_change(session, order_id)
        raise StaleOrder(
            order_id,
            expected=version,
            current=order.version,
            changed_by=last.actor if last else None,
            changed_at=last.at if last else None,
        )
    if in_exception and order.status != OrderStatus.EXCEPTION:
        raise NotInException(order_id, order.status)
    return order


def bump(order: PurchaseOrder) -> int:
    """The next version, set on the locked order; every desk change calls it once."""
    order.version += 1
    return order.version


def last_change(session: Session, order_id: int) -> storage.AuditEntry | None:
    """The newest audit entry about the order: who changed it last, and when."""
    entry = storage.AuditEntry
    return session.scalars(
        select(entry)
        .where(entry.subject_type == SUBJECT, entry.subject_id == str(order_id))
        .order_by(entry.id.desc())
        .limit(1)
    ).first()
