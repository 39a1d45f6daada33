"""The desk tests' shared arrange: the one order an ingest made, an order as stored, a desk action
in its own committed transaction (as a web request runs it). No tests here."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage


def act(sessions: sessionmaker[Session], action: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """One action in its own committed transaction, as a web request runs it."""
    with sessions() as session, session.begin():
        return action(session, *args, **kw)


def stored_order(sessions: sessionmaker[Session], order_id: int) -> storage.PurchaseOrder:
    """Order ``order_id`` as stored now."""
    with sessions() as session:
        row = session.get(storage.PurchaseOrder, order_id)
        assert row is not None
        return row


def only_order(
    sessions: sessionmaker[Session], order_ids: Sequence[int], *, status: str | None = None
) -> storage.PurchaseOrder:
    """The one order an ingest made (``outcome.order_ids``), as stored; in ``status`` at version 1
    when a status is named."""
    [order_id] = order_ids
    row = stored_order(sessions, order_id)
    if status is not None:
        assert (row.status, row.version) == (status, 1)
    return row
