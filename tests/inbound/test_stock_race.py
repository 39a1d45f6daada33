"""Two partners' orders for the last units, validated at the same time on a real PostgreSQL.

Their customers differ, so their credit locks do not order them: the inventory rows do. The first
order's transaction locks and allocates the last units; the second, started while the first is
still open, waits on that lock (seen in ``pg_locks``, not assumed after a sleep), then reads what the
first left and gets ``short_stock``. Two EDI partners race, and two channels selling the same
stock: the demo Shopify shop and an Amazon seller account.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.engine import Engine

import validators
from gateway import storage
from gateway.inbound.atp import atp
from gateway.inbound.validation import MasterDataCache
from gateway.inbound.validation import StoreValidator
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Quantity
from gateway.model.status import OrderStatus
from partners import PartnerProfile
from partners import PartnerRegistry
from tests.servers.postgres import Postgres

D = Decimal
TODAY = date(2026, 11, 23)
SKU = "NW-40001"  # EA, pack of 1, list price 18.75: no contract price for any demo customer
LAST = D(3)  # what is left, all of it in one warehouse; each order wants all of it
RACERS = [("acme", "initech"), ("northwind-shop", "amazon-us")]
AMAZON_SELLER = {"name": "amazon-us", "customer_account": "C9101", "acks": [], "channel": {"kind": "amazon"}}


def _order(profile: PartnerProfile, po_number: str) -> Order:
    line = OrderLine(
        line_no="1", vendor_sku=SKU, quantity=Quantity(value=LAST, uom="EA"), unit_price=D("18.75")
    )
    return Order(
        partner=profile.name,
        channel=Channel(profile.channel.kind) if profile.channel else Channel.X12,
        po_number=po_number,
        po_date=TODAY,
        currency="USD",
        lines=[line],
    )


def _waiting_backends(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            or 0
        )


@pytest.mark.parametrize(("first", "second"), RACERS)
def test_two_partners_cannot_both_take_the_last_units(
    postgres: Postgres, partners: PartnerRegistry, first: str, second: str
) -> None:
    engine = storage.make_engine(postgres.seeded_database(f"stock_race_{first}_{second}".replace("-", "_")))
    sessions = storage.make_sessionmaker(engine)
    inventory = storage.InventoryLevel
    with sessions() as session, session.begin():
        session.execute(update(inventory).where(inventory.sku == SKU).values(on_hand=0, allocated=0))
        session.execute(
            update(inventory).where(inventory.sku == SKU, inventory.warehouse == "COL").values(on_hand=LAST)
        )
    with sessions() as session:
        master = MasterDataCache().get(session)
    partners.add(PartnerProfile.model_validate(AMAZON_SELLER))
    profile_a, profile_b = partners.get(first), partners.get(second)
    assert profile_a is not None and profile_b is not None
    assert profile_a.customer_account != profile_b.customer_account  # no shared credit lock orders them
    order_a, order_b = _order(profile_a, "RACE-A"), _order(profile_b, "RACE-B")
    outcome: dict[str, validators.ValidationResult | BaseException] = {}

    def second_order() -> None:
        try:
            with sessions() as session, session.begin():
                validator = StoreValidator(session, master, TODAY)
                validator.prepare([(order_b, profile_b)])
                outcome["b"] = validator.validate(order_b, profile_b)
        except BaseException as exc:  # reported by the assertions below
            outcome["b"] = exc

    with sessions() as session_a, session_a.begin():
        validator_a = StoreValidator(session_a, master, TODAY)
        validator_a.prepare([(order_a, profile_a)])
        result_a = validator_a.validate(order_a, profile_a)
        assert result_a.outcome == OrderStatus.ACCEPTED and result_a.allocations == {SKU: LAST}
        assert atp(session_a, [SKU]) == {SKU: D(0)}  # in the allocating transaction, at once
        racer = threading.Thread(target=second_order)
        racer.start()
        blocked = threading.Event()
        while racer.is_alive() and not blocked.wait(0.05):  # a condition, polled: B waits on A's lock
            if _waiting_backends(engine):
                blocked.set()
        assert blocked.is_set(), f"the second order did not wait for the first: {outcome.get('b')!r}"
    racer.join(timeout=600)  # only ends a hung run
    assert not racer.is_alive()
    result_b = outcome["b"]
    assert isinstance(result_b, validators.ValidationResult), result_b
    assert [f.code.value for f in result_b.findings] == ["short_stock"]
    assert result_b.allocations.get(SKU, D(0)) == 0
    with sessions() as session:
        allocated = session.scalars(select(inventory.allocated).where(inventory.sku == SKU)).all()
        assert sum(allocated, D(0)) == LAST
        assert atp(session, [SKU]) == {SKU: D(0)}
    engine.dispose()
