"""Available to promise: the arithmetic, safety stock per profile, and ATP moving with the allocating transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.atp import atp
from gateway.inbound.atp import atp_page
from gateway.inbound.pipeline import Pipeline
from gateway.inbound.validation import MasterDataCache
from gateway.inbound.validation import StoreValidator
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Quantity
from gateway.model.status import OrderStatus
from partners import InventoryAdviceSettings
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import StockSettings
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.work import sql_statements

D = Decimal
SKU = "NW-40001"  # demo stock: COL 1277 on hand, 6 allocated; RNO 1868 on hand, 41 allocated


def _stock(session: Session, col: tuple[int, int], rno: tuple[int, int]) -> None:
    inventory = storage.InventoryLevel
    for warehouse, (on_hand, allocated) in (("COL", col), ("RNO", rno)):
        session.execute(
            update(inventory)
            .where(inventory.sku == SKU, inventory.warehouse == warehouse)
            .values(on_hand=on_hand, allocated=allocated)
        )


def _with(profile: PartnerProfile, **changes: Any) -> PartnerProfile:
    return profile.model_copy(update=changes)


def _order(partner: str, quantity: int) -> Order:
    line = OrderLine(
        line_no="1", vendor_sku=SKU, quantity=Quantity(value=D(quantity), uom="EA"), unit_price=D("18.75")
    )
    return Order(
        partner=partner,
        channel=Channel.X12,
        po_number="ATP-1",
        po_date=FIXED_NOW.date(),
        currency="USD",
        lines=[line],
    )


def test_atp_is_on_hand_less_allocated_over_every_warehouse(master_sessions: sessionmaker[Session]) -> None:
    with master_sessions() as session:
        assert atp(session, [SKU]) == {SKU: D(1277 - 6 + 1868 - 41)}
        _stock(session, (10, 4), (5, 0))
        assert atp(session, [SKU, "NO-SUCH-SKU"]) == {SKU: D(11), "NO-SUCH-SKU": D(0)}


@pytest.mark.parametrize(
    ("safety", "expected"),
    [
        (D(0), D(11)),
        (D(5), D(6)),
        (D(11), D(0)),
        (D(20), D(0)),  # never below zero
        ({SKU: D(3)}, D(8)),
        ({"OTHER": D(3), "*": D(2)}, D(9)),  # "*": every SKU the table does not name
        ({"OTHER": D(3)}, D(11)),
    ],
)
def test_safety_stock_is_held_back_per_profile(
    master_sessions: sessionmaker[Session], safety: Decimal | dict[str, Decimal], expected: Decimal
) -> None:
    with master_sessions() as session:
        _stock(session, (10, 4), (5, 0))
        assert atp(session, [SKU], StockSettings(safety=safety)) == {SKU: expected}


def test_over_allocated_stock_promises_nothing(master_sessions: sessionmaker[Session]) -> None:
    with master_sessions() as session:
        _stock(session, (2, 5), (0, 0))
        assert atp(session, [SKU]) == {SKU: D(0)}


def test_profile_keys_are_checked_when_the_profile_loads() -> None:
    assert StockSettings.model_validate({"safety": 5}).safety_for("X") == D(5)
    assert StockSettings.model_validate({"safety": {"X": 2, "*": 1}}).safety_for("Y") == D(1)
    with pytest.raises(ValidationError, match="negative"):
        StockSettings.model_validate({"safety": -1})
    assert InventoryAdviceSettings(schedule="daily 06:00").daily_at == (6, 0)
    for bad in ("daily 6:00", "hourly", "daily 24:00"):
        with pytest.raises(ValidationError, match="daily HH:MM"):
            InventoryAdviceSettings(schedule=bad)


def test_the_page_walks_the_catalog_in_sku_order(master_sessions: sessionmaker[Session]) -> None:
    with master_sessions() as session:
        first = atp_page(session, after=None, limit=2)
        second = atp_page(session, after=first[-1][0], limit=2)
        every = atp_page(session, after=None, limit=100000)
    assert [sku for sku, _ in first + second] == [sku for sku, _ in every[:4]]
    assert len(every) == len({sku for sku, _ in every}) and [s for s, _ in every] == sorted(
        s for s, _ in every
    )


def test_atp_moves_in_the_allocating_transaction_and_a_rollback_takes_it_back(
    master_sessions: sessionmaker[Session],
) -> None:
    acme = PartnerRegistry.from_directory().get("acme")
    assert acme is not None
    with master_sessions() as session, session.begin():
        _stock(session, (10, 0), (0, 0))
    with master_sessions() as session:
        master = MasterDataCache().get(session)  # the transaction begins here (autobegin)
        validator = StoreValidator(session, master, FIXED_NOW.date())
        order = _order("acme", 4)
        validator.prepare([(order, acme)])
        result = validator.validate(order, acme)
        assert result.outcome == OrderStatus.ACCEPTED and result.allocations == {SKU: D(4)}
        assert atp(session, [SKU]) == {SKU: D(6)}  # recomputed at once, in the same transaction
        validator.stock.release(SKU, D(1))
        assert atp(session, [SKU]) == {SKU: D(7)}  # a release too
        session.rollback()
    with master_sessions() as session:
        assert atp(session, [SKU]) == {SKU: D(10)}


def test_an_ingested_order_lowers_atp_when_it_commits(master_sessions: sessionmaker[Session]) -> None:
    skus = ["NW-10042", "NW-20017", "NW-30555"]  # the demo acme 850: 24 EA, 6 CA (pack of 1), 10 EA
    with master_sessions() as session:
        before = atp(session, skus)
    outcome = Pipeline(
        master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW
    ).ingest_path(INBOX / "acme-4500012345.edi")
    assert outcome.order_ids
    with master_sessions() as session:
        after = atp(session, skus)
    assert {sku: before[sku] - after[sku] for sku in skus} == {"NW-10042": 24, "NW-20017": 6, "NW-30555": 10}


def test_validation_promises_a_partner_only_what_its_safety_stock_leaves(
    master_sessions: sessionmaker[Session],
) -> None:
    acme = PartnerRegistry.from_directory().get("acme")
    assert acme is not None
    careful = _with(acme, stock=StockSettings(safety=D(8)))
    with master_sessions() as session:
        _stock(session, (10, 0), (0, 0))
        master = MasterDataCache().get(session)
        validator = StoreValidator(session, master, FIXED_NOW.date())
        order = _order("acme", 4)
        validator.prepare([(order, careful)])
        held_back = validator.validate(order, careful)
        assert [f.code.value for f in held_back.findings] == ["short_stock"]
        assert held_back.allocations.get(SKU, D(0)) == D(2)  # backorder: 2 of the 4 (10 − 8 safety)
        assert atp(session, [SKU], careful.stock) == {SKU: D(0)}


def _take(sessions: sessionmaker[Session], *, batched: bool) -> tuple[dict[str, Decimal], list[str]]:
    """Three accepted orders for SKU validated in one transaction: ATP after them, and the UPDATEs run."""
    acme = PartnerRegistry.from_directory().get("acme")
    assert acme is not None
    with sessions() as session:
        _stock(session, (10, 0), (8, 1))
        master = MasterDataCache().get(session)
        validator = StoreValidator(session, master, FIXED_NOW.date())
        orders = [
            _order("acme", quantity).model_copy(update={"po_number": f"ATP-{quantity}"})
            for quantity in (3, 4, 6)
        ]
        validator.prepare([(order, acme) for order in orders])
        with sql_statements(sessions.kw["bind"]) as statements:
            if batched:
                with validator.stock.batched():
                    results = [validator.validate(order, acme) for order in orders]
            else:
                results = [validator.validate(order, acme) for order in orders]
        assert [r.outcome for r in results] == [OrderStatus.ACCEPTED] * 3
        left = atp(session, [SKU])
        session.rollback()
    return left, [s for s, _ in statements if s.lstrip().upper().startswith("UPDATE")]


def test_a_batch_writes_its_allocations_once_per_sku_and_warehouse(
    master_sessions: sessionmaker[Session],
) -> None:
    one_by_one, updates = _take(master_sessions, batched=False)
    together, batched_updates = _take(master_sessions, batched=True)
    assert one_by_one == together == {SKU: D(17 - 13)}  # 3 + 4 (from COL) + 6 (from RNO) taken from 17 free
    # one UPDATE per order (each from one warehouse) against one executemany for COL and RNO
    assert len(updates) == 3 and len(batched_updates) == 1
