"""Validation against the store: the cached master data snapshot, and live credit, stock and PO figures.

Credit is the figure two concurrent orders must not both slip under: the customer's
credit account row is locked (``SELECT … FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already
serializes writers) before its open orders are summed, and the lock is held until the
processing transaction that stores the accepted order commits.

Stock is the other such figure, and it crosses customers: two partners' orders for the last unit
lock different credit rows. So the inventory rows an order reads are locked too (``FOR UPDATE``,
in SKU and warehouse order) until its transaction commits; the second order then reads what the
first left, and gets ``short_stock``. What validation may promise a partner is its available to
promise (``gateway.inbound.atp``): free stock less the profile's ``[stock] safety``. While the
pipeline validates a batch (``LiveStock.batched``), what the accepted orders take is written when
the batch ends, one UPDATE per SKU and warehouse, instead of one per order's line and warehouse;
the rows were locked when read, and a release reads them only after the writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

import validators
from gateway import storage
from gateway.inbound import master_data
from gateway.inbound.atp import NO_SAFETY
from gateway.inbound.atp import PromisableStock
from gateway.model.order import Order
from gateway.model.order import po_key
from gateway.model.status import OrderStatus
from partners import PartnerProfile

_CHUNK = 500


# A batch naming at most this many SKUs may be validated from a partial snapshot (its rows only).
PARTIAL_SKUS = 100


class MasterDataCache:
    """One process's snapshot of master data, reloaded when an import bumped the revision.

    ``for_batch`` serves a process's first small batch of a revision (``gateway ingest`` of one
    document) from a partial snapshot, the rows its lines name, instead of loading the whole
    catalog for it; any later batch at that revision loads and keeps the whole snapshot.
    """

    def __init__(self) -> None:
        self._revision = -1
        self._snapshot = validators.MasterData(())
        self._partial_revision = -1

    def get(self, session: Session) -> validators.MasterData:
        current = master_data.revision(session)
        if current != self._revision:
            self._snapshot = master_data.load_snapshot(session)
            self._revision = current
        return self._snapshot

    def for_batch(
        self, session: Session, skus: set[str] | None, accounts: set[str]
    ) -> tuple[validators.MasterData, bool]:
        """The snapshot for a batch whose lines name ``skus`` (None: a line names none), and whether
        it is partial: only those products (named exactly), their prices and the ship-tos of ``accounts``."""
        current = master_data.revision(session)
        whole = current == self._revision or self._partial_revision == current
        if whole or skus is None or len(skus) > PARTIAL_SKUS:
            return self.get(session), False
        self._partial_revision = current
        return master_data.load_snapshot(session, skus=skus, accounts=accounts), True


class LiveStock(Mapping[str, Decimal]):
    """Free stock per SKU (on hand − allocated, all warehouses), read from the store on first use.

    ``own``: stock the order being validated already holds (an order on the desk keeping what its
    version in force took), counted as free for it.
    """

    def __init__(self, session: Session, *, own: Mapping[str, Decimal] | None = None) -> None:
        self._session = session
        self._warehouses: dict[str, dict[str, Decimal]] = {}
        self._own = dict(own or {})
        self._pending: dict[tuple[str, str], Decimal] = {}  # allocated (+) or given back (−), not yet written
        self._batched = False

    def prefetch(self, skus: Iterable[str]) -> None:
        wanted = sorted({sku for sku in skus if sku not in self._warehouses})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for sku in chunk:
                self._warehouses[sku] = {}
            inventory = storage.InventoryLevel
            rows = self._session.execute(
                select(inventory.sku, inventory.warehouse, inventory.on_hand - inventory.allocated)
                .where(inventory.sku.in_(chunk))
                .order_by(inventory.sku, inventory.warehouse)
                .with_for_update()  # held to the commit: another order cannot read this stock meanwhile
            )
            for sku, warehouse, free in rows:
                self._warehouses[sku][warehouse] = Decimal(free)

    def __getitem__(self, sku: str) -> Decimal:
        if sku not in self._warehouses:
            self.prefetch([sku])
        return sum(self._warehouses[sku].values(), self._own.get(sku, Decimal(0)))

    def get(self, sku: str, default: Decimal | None = None) -> Decimal:  # type: ignore[override]
        """Free stock of ``sku`` (every SKU has a figure: an unknown one has none free)."""
        return self[sku]

    def __iter__(self) -> Iterator[str]:
        return iter(self._warehouses)

    def __len__(self) -> int:
        return len(self._warehouses)

    def allocate(self, sku: str, quantity: Decimal) -> None:
        """Take ``quantity`` from the warehouses with the most free stock first, in the store too."""
        warehouses = self._warehouses.setdefault(sku, {})
        for warehouse in sorted(warehouses, key=lambda w: -warehouses[w]):
            taken = min(quantity, warehouses[warehouse])
            if taken <= 0:
                break
            self._pending[(sku, warehouse)] = self._pending.get((sku, warehouse), Decimal(0)) + taken
            warehouses[warehouse] -= taken
            quantity -= taken
        if not self._batched:
            self.write()

    def release(self, sku: str, quantity: Decimal) -> None:
        """Give back ``quantity`` from the warehouses holding the most allocated first, never below zero
        (what a reload of the inventory already gave back is not given back again), in the store too."""
        self.write()  # what this transaction took is read back below
        inventory = storage.InventoryLevel
        rows = self._session.execute(
            select(inventory.warehouse, inventory.allocated)
            .where(inventory.sku == sku, inventory.allocated > 0)
            .order_by(inventory.allocated.desc(), inventory.warehouse)
        ).all()
        for warehouse, allocated in rows:
            if quantity <= 0:
                break
            back = min(quantity, Decimal(allocated))
            self._pending[(sku, warehouse)] = -back
            if sku in self._warehouses:  # what a validation later in this transaction sees as free
                self._warehouses[sku][warehouse] = self._warehouses[sku].get(warehouse, Decimal(0)) + back
            quantity -= back
        self.write()

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Allocations inside the block are written when it ends, summed per SKU and warehouse
        (left unwritten if it raises: the transaction is rolled back)."""
        self._batched = True
        try:
            yield
            self.write()
        finally:
            self._batched = False
            self._pending = {}

    def write(self) -> None:
        """Write the allocations taken or given back so far: one UPDATE per SKU and warehouse."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        inventory = storage.InventoryLevel.__table__
        self._session.execute(
            update(inventory)
            .where(inventory.c.sku == bindparam("b_sku"), inventory.c.warehouse == bindparam("b_warehouse"))
            .values(allocated=inventory.c.allocated + bindparam("b_taken", type_=inventory.c.allocated.type)),
            [
                {"b_sku": sku, "b_warehouse": warehouse, "b_taken": taken}
                for (sku, warehouse), taken in sorted(pending.items())
            ],
        )


class StoreValidator:
    """Validates the orders of one processing transaction, keeping credit and stock current."""

    def __init__(
        self,
        session: Session,
        master: validators.MasterData | MasterDataCache,
        today: date,
        *,
        own_stock: Mapping[str, Decimal] | None = None,
    ) -> None:
        """``master``: the snapshot, or the cache to take it from when the first batch is prepared
        (a small batch may then be validated from a partial snapshot of the rows it names)."""
        self._session = session
        self._cache = master if isinstance(master, MasterDataCache) else None
        self._master = master if isinstance(master, validators.MasterData) else None
        self._partial: frozenset[str] | None = None  # a partial snapshot's accounts (ship-tos loaded)
        self._today = today
        self._customers: dict[str, validators.Customer | None] = {}
        self._open_orders: dict[str, Decimal] = {}
        self._seen: set[tuple[str, str]] = set()
        self.stock = LiveStock(session, own=own_stock)  # one order on the desk: the stock it holds

    def prepare(
        self, orders: Iterable[tuple[Order, PartnerProfile]], *, exclude_order_ids: Iterable[int] = ()
    ) -> None:
        """Lock and read the customers, and read the POs and stock a batch of orders will ask about.

        ``exclude_order_ids``: stored orders being validated again, which are not their own duplicates.
        """
        excluded = list(exclude_order_ids)
        batch = list(orders)
        accounts = {p.customer_account for _, p in batch}
        if self._master is None and self._cache is not None:
            named = {line.vendor_sku for order, _ in batch for line in order.lines}
            skus = {sku for sku in named if sku is not None} if None not in named else None
            self._master, partial = self._cache.for_batch(self._session, skus, accounts)
            self._partial = frozenset(accounts) if partial else None
        for account in sorted(accounts - set(self._customers)):
            self._customers[account] = self._lock_customer(account)
        keys: dict[str, list[str]] = {}
        for order, profile in batch:
            key = po_key(order.po_number)
            if key:
                keys.setdefault(profile.customer_account, []).append(key)
        purchase_order = storage.PurchaseOrder
        for account, pos in keys.items():
            for start in range(0, len(pos), _CHUNK):
                rows = self._session.execute(
                    select(purchase_order.po_key).where(
                        purchase_order.customer_account == account,
                        purchase_order.po_key.in_(pos[start : start + _CHUNK]),
                        purchase_order.status != OrderStatus.REJECTED,
                        purchase_order.id.not_in(excluded),
                    )
                )
                self._seen.update((account, key) for (key,) in rows if key is not None)
        self.stock.prefetch(line.vendor_sku for order, _ in batch for line in order.lines if line.vendor_sku)

    def validate(
        self, order: Order, profile: PartnerProfile, *, held: bool = False, amends: bool = False
    ) -> validators.ValidationResult:
        """Validate one prepared order; an accepted one counts towards credit and stock at once.

        ``held`` says the order goes to the queue whatever validation finds (a parse finding).
        ``amends``: the order is a new version of the stored PO it names, so it is not its duplicate.
        """
        account = profile.customer_account
        number = po_key(order.po_number)
        key = (account, number or "")
        context = validators.ValidationContext(
            master=self._snapshot_for(order, account),
            policy=profile.validation,
            today=self._today,
            customer_account=account,
            customer=self._customers.get(account),
            open_orders=self._open_orders.get(account, Decimal(0)),
            available=PromisableStock(self.stock, profile.stock)
            if profile.stock != NO_SAFETY
            else self.stock,
            po_seen=key in self._seen and not amends,
        )
        result = validators.validate(order, context)
        if result.outcome != OrderStatus.REJECTED and number:
            self._seen.add(key)
        if result.outcome == OrderStatus.ACCEPTED and not held:
            self._open_orders[account] = self._open_orders.get(account, Decimal(0)) + result.total
            for sku, quantity in result.allocations.items():
                self.stock.allocate(sku, quantity)
        return result

    def _snapshot_for(self, order: Order, account: str) -> validators.MasterData:
        """The snapshot ``order`` is validated against: the whole one unless a partial one holds
        every product its lines name (exactly, by SKU) and its customer's ship-tos."""
        master = self._master
        if master is not None and self._partial is not None:
            products = master.products
            if account in self._partial and all(
                line.vendor_sku is not None and line.vendor_sku in products for line in order.lines
            ):
                return master
            master = None
        if master is None:
            assert self._cache is not None  # a StoreValidator holds a snapshot or a cache
            master, self._partial = self._cache.get(self._session), None
            self._master = master
        return master

    def release(self, account: str, total: Decimal) -> None:
        """An accepted order of ``account`` worth ``total`` stopped counting towards its credit."""
        if account in self._open_orders:
            self._open_orders[account] -= total

    def restore(self, account: str, total: Decimal) -> None:
        """An order of ``account`` worth ``total`` counts towards its credit again (a refused change)."""
        self.release(account, -total)

    def _lock_customer(self, account: str) -> validators.Customer | None:
        credit = storage.CreditAccount
        row = self._session.scalars(select(credit).where(credit.account == account).with_for_update()).first()
        order = storage.PurchaseOrder
        self._open_orders[account] = Decimal(
            self._session.scalar(
                select(func.coalesce(func.sum(order.order_total), 0)).where(
                    order.customer_account == account,
                    order.status == OrderStatus.ACCEPTED,
                    order.invoiced_at.is_(None),
                )
            )
        )
        if row is None:
            return None
        return validators.Customer(
            account=row.account,
            name=row.name,
            credit_limit=row.credit_limit,
            open_ar=row.open_ar,
            currency=row.currency,
            on_hold=row.on_hold,
            group=row.customer_group,
        )
