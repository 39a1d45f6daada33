"""Orders accepted before ``purchase_order.allocations`` existed (migration 0020): migration 0021 derives
what they took from their stored lines, so a partner's change or cancellation gives their stock back,
never more than is allocated and not held by another order. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from alembic import command as alembic_command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.inbound.test_order_changes import acme
from tests.servers.postgres import store_url

SKUS = ("NW-10042", "NW-20017", "NW-30555")  # the demo acme 850: 24 EA, 6 CA, 10 EA


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store at the newest schema with the demo master data, on each backend."""
    engine = storage.make_engine(
        store_url(request.param, request, tmp_path, f"legacy_{uuid4().hex[:12]}", seeded=True)
    )
    yield engine
    engine.dispose()


def allocated(sessions: sessionmaker[Session]) -> dict[str, Decimal]:
    inventory = storage.InventoryLevel
    with sessions() as session:
        rows = session.execute(
            select(inventory.sku, func.sum(inventory.allocated))
            .where(inventory.sku.in_(SKUS))
            .group_by(inventory.sku)
        )
        return {sku: Decimal(total) for sku, total in rows}


def moved(before: dict[str, Decimal], after: dict[str, Decimal]) -> dict[str, Decimal]:
    return {sku: after[sku] - before[sku] for sku in SKUS if after[sku] != before[sku]}


def as_before_0020(engine: Engine, sessions: sessionmaker[Session], *order_ids: int) -> None:
    """The orders as a store from before 0020 holds them (stock taken, nothing recorded), then upgraded."""
    with sessions() as session, session.begin():
        session.execute(
            update(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.id.in_(order_ids))
            .values(allocations=None)
        )
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        alembic_command.downgrade(config, "0020")
    storage.upgrade(engine)


def test_a_cancellation_of_an_order_accepted_before_0020_gives_its_stock_back(
    engine: Engine, partners: PartnerRegistry, tmp_path: Path
) -> None:
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW)
    start = allocated(sessions)
    [order_id] = pipeline.ingest_path(acme(tmp_path, "4500040001", "000004001")).order_ids
    assert moved(start, allocated(sessions)) == {"NW-10042": 24, "NW-20017": 6, "NW-30555": 10}
    as_before_0020(engine, sessions, order_id)
    with sessions() as session:
        backfilled = session.get(storage.PurchaseOrder, order_id)
        assert backfilled is not None
        assert backfilled.allocations == {"NW-10042": "24", "NW-20017": "6", "NW-30555": "10"}

    pipeline.ingest_path(acme(tmp_path, "4500040001", "000004002", purpose="01"))

    with sessions() as session:
        cancelled = session.get(storage.PurchaseOrder, order_id)
        assert cancelled is not None and cancelled.status == "cancelled"
    assert allocated(sessions) == start


def test_a_change_of_an_order_accepted_before_0020_takes_only_the_difference(
    engine: Engine, partners: PartnerRegistry, tmp_path: Path
) -> None:
    sessions = storage.make_sessionmaker(engine)
    pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW)
    start = allocated(sessions)
    [order_id] = pipeline.ingest_path(acme(tmp_path, "4500040002", "000004003")).order_ids
    as_before_0020(engine, sessions, order_id)

    pipeline.ingest_path(acme(tmp_path, "4500040002", "000004004", purpose="04", line1="48"))

    assert moved(start, allocated(sessions)) == {"NW-10042": 48, "NW-20017": 6, "NW-30555": 10}
    with sessions() as session:
        changed = session.get(storage.PurchaseOrder, order_id)
        assert changed is not None and changed.status == "accepted" and changed.version == 2
        assert changed.allocations == {"NW-10042": "48", "NW-20017": "6", "NW-30555": "10"}


def test_a_legacy_order_never_gives_back_stock_another_order_holds(
    engine: Engine, partners: PartnerRegistry, tmp_path: Path
) -> None:
    """Two legacy orders and one recorded order of the same items; the inventory was reloaded since the
    legacy ones were taken, so only one legacy order's stock is still allocated. Cancelling all three
    returns exactly what is allocated: nothing twice, and the recorded order's stock only by its own.
    (Here the gateway's orders are all the inventory has allocated: 0021 cannot tell a legacy order's
    stock from stock the ERP allocated itself, only from what recorded orders hold.)"""
    sessions = storage.make_sessionmaker(engine)
    inventory = storage.InventoryLevel
    with sessions() as session, session.begin():
        session.execute(update(inventory).values(allocated=0))
    pipeline = Pipeline(sessions, partners, clock=lambda: FIXED_NOW)
    start = allocated(sessions)
    old = pipeline.ingest_path(acme(tmp_path, "4500040003", "000004005")).order_ids[0]
    newer = pipeline.ingest_path(acme(tmp_path, "4500040004", "000004006")).order_ids[0]
    recorded = pipeline.ingest_path(acme(tmp_path, "4500040005", "000004007")).order_ids[0]
    with sessions() as session, session.begin():  # a reload forgot one legacy order's 24/6/10
        for sku, taken in (("NW-10042", 24), ("NW-20017", 6), ("NW-30555", 10)):
            warehouse = session.scalars(
                select(inventory.warehouse).where(inventory.sku == sku).order_by(inventory.allocated.desc())
            ).first()
            session.execute(
                update(inventory)
                .where(inventory.sku == sku, inventory.warehouse == warehouse)
                .values(allocated=inventory.allocated - taken)
            )
    as_before_0020(engine, sessions, old, newer)
    with sessions() as session:
        kept = {o: session.get(storage.PurchaseOrder, o) for o in (old, newer, recorded)}
        assert kept[newer].allocations == {"NW-10042": "24", "NW-20017": "6", "NW-30555": "10"}  # type: ignore[union-attr]
        assert kept[old].allocations == {}  # type: ignore[union-attr]
    after_reload = allocated(sessions)

    pipeline.ingest_path(acme(tmp_path, "4500040003", "000004008", purpose="01"))
    assert allocated(sessions) == after_reload
    pipeline.ingest_path(acme(tmp_path, "4500040004", "000004009", purpose="01"))
    assert moved(start, allocated(sessions)) == {"NW-10042": 24, "NW-20017": 6, "NW-30555": 10}
    pipeline.ingest_path(acme(tmp_path, "4500040005", "000004010", purpose="01"))
    assert allocated(sessions) == start


def test_a_backordered_line_gives_back_only_what_it_took(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """The stored short_stock finding says how much of a backordered line stock could cover."""
    inventory = storage.InventoryLevel
    with (
        master_sessions() as session,
        session.begin(),
    ):  # 7 of NW-30555 free: 10 ordered, 7 taken, 3 backordered
        session.execute(
            update(inventory).where(inventory.sku == "NW-30555").values(on_hand=inventory.allocated)
        )
        session.execute(
            update(inventory)
            .where(inventory.sku == "NW-30555", inventory.warehouse == "COL")
            .values(on_hand=inventory.allocated + 7)
        )
    engine = master_sessions.kw["bind"]
    pipeline = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW)
    start = allocated(master_sessions)
    [order_id] = pipeline.ingest_path(acme(tmp_path, "4500040006", "000004011")).order_ids
    assert moved(start, allocated(master_sessions))["NW-30555"] == 7
    as_before_0020(engine, master_sessions, order_id)
    with master_sessions() as session:
        backfilled = session.get(storage.PurchaseOrder, order_id)
        assert backfilled is not None and backfilled.status == "accepted"
        assert backfilled.allocations == {"NW-10042": "24", "NW-20017": "6", "NW-30555": "7"}

    pipeline.ingest_path(acme(tmp_path, "4500040006", "000004012", purpose="01"))

    assert allocated(master_sessions) == start


def test_an_accepted_order_that_took_nothing_says_so(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """``{}`` (took nothing) is told apart from NULL (from before 0020, not known): 0021 derives only the latter."""
    inventory = storage.InventoryLevel
    with master_sessions() as session, session.begin():
        session.execute(update(inventory).values(on_hand=inventory.allocated))
    pipeline = Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW)
    [order_id] = pipeline.ingest_path(acme(tmp_path, "4500040007", "000004013")).order_ids
    with master_sessions() as session:
        stored = session.get(storage.PurchaseOrder, order_id)
        assert stored is not None and stored.status == "accepted" and stored.allocations == {}
