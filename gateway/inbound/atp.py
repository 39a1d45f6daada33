"""Available to promise: on hand − allocated − the partner's safety stock, from the inventory rows.

There is no table of ATP figures. ATP is computed from ``inventory`` in the caller's transaction,
the same rows ``LiveStock.allocate``/``release`` update: so whatever transaction allocates or
releases stock sees the new ATP at once, a rollback takes it back with the allocation, and no
second copy can drift from the stock (a master data import, migration 0021 and the desk all
write ``inventory`` and nothing else). Safety stock is per partner (``[stock] safety``), so one
stored figure per SKU could not serve every channel anyway. ATP is never below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from partners import StockSettings

_CHUNK = 500
NO_SAFETY = StockSettings()


def promisable(free: Decimal, safety: Decimal) -> Decimal:
    """ATP from free stock (on hand − allocated) and a safety stock: never below zero."""
    return max(free - safety, Decimal(0))


def free_stock(session: Session, skus: Iterable[str]) -> dict[str, Decimal]:
    """On hand − allocated per SKU over every warehouse; a SKU with no inventory row has 0."""
    wanted = sorted(set(skus))
    inventory = storage.InventoryLevel
    found = {sku: Decimal(0) for sku in wanted}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(inventory.sku, func.sum(inventory.on_hand - inventory.allocated))
            .where(inventory.sku.in_(wanted[start : start + _CHUNK]))
            .group_by(inventory.sku)
        )
        found.update((sku, Decimal(free)) for sku, free in rows)
    return found


def atp(session: Session, skus: Iterable[str], stock: StockSettings = NO_SAFETY) -> dict[str, Decimal]:
    """ATP of each of ``skus`` for a partner whose safety stock is ``stock``."""
    return {sku: promisable(free, stock.safety_for(sku)) for sku, free in free_stock(session, skus).items()}


def atp_page(
    session: Session,
    *,
    after: str | None,
    limit: int,
    sku: str | None = None,
    stock: StockSettings = NO_SAFETY,
) -> list[tuple[str, Decimal]]:
    """Up to ``limit`` (SKU, ATP) pairs of the inventory in SKU order, after the SKU ``after`` (keyset paging)."""
    inventory = storage.InventoryLevel
    query = select(inventory.sku, func.sum(inventory.on_hand - inventory.allocated)).group_by(inventory.sku)
    if sku is not None:
        query = query.where(inventory.sku == sku)
    if after is not None:
        query = query.where(inventory.sku > after)
    rows = session.execute(query.order_by(inventory.sku).limit(limit))
    return [(name, promisable(Decimal(free), stock.safety_for(name))) for name, free in rows]


class PromisableStock(Mapping[str, Decimal]):
    """A view of free stock less one partner's safety stock: what validation may promise that partner."""

    def __init__(self, free: Mapping[str, Decimal], stock: StockSettings) -> None:
        self._free = free
        self._stock = stock

    def __getitem__(self, sku: str) -> Decimal:
        return promisable(self._free[sku], self._stock.safety_for(sku))

    def __iter__(self) -> Iterator[str]:
        return iter(self._free)

    def __len__(self) -> int:
        return len(self._free)
