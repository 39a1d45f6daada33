"""The desk's tally never drifts: after pipeline ingests, partner changes and cancellations, reprocessing,
and desk decisions and fixes, its rows equal a full recount of the orders (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.master_data import load_demo_master_data
from partners import PartnerRegistry
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.test_desk_queue import NOW
from tests.test_desk_queue import Desk
from tests.test_desk_queue import build_desk
from tests.test_desk_queue import desk_on

ACME = (INBOX / "acme-4500012345.edi").read_bytes()
BLOCKING = ("hold", "reject")


def recount(session: Session) -> tuple[Counter[tuple[str, date, str]], Counter[tuple[str, str]]]:
    """Every order counted from scratch, straight from its row and its findings."""
    order, finding = storage.PurchaseOrder, storage.Finding
    codes: dict[int | None, set[str]] = {}
    for order_id, code in session.execute(
        select(finding.order_id, finding.code).where(
            finding.action.in_(BLOCKING), finding.order_id.is_not(None)
        )
    ):
        codes.setdefault(order_id, set()).add(code)
    days: Counter[tuple[str, date, str]] = Counter()
    held: Counter[tuple[str, str]] = Counter()
    for row in session.execute(
        select(order.id, order.created_at, order.partner, order.channel, order.status, order.decided_by)
    ):
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        day = created.astimezone(UTC).date()
        days["channel", day, row.channel] += 1
        if row.partner:
            days["partner", day, row.partner] += 1
        if row.decided_by is None:
            days["alone", day, row.status] += 1
        if row.status == "exception":
            held["channel", row.channel] += 1
            held["codes", ",".join(sorted(codes.get(row.id, ())))] += 1
            if row.partner:
                held["partner", row.partner] += 1
    return days, held


def tallied(session: Session) -> tuple[Counter[tuple[str, date, str]], Counter[tuple[str, str]]]:
    day, held = storage.OrderDayTally, storage.OpenOrderTally
    days = Counter(
        {
            (figure, when, key): n
            for figure, when, key, n in session.execute(select(day.figure, day.day, day.key, day.orders))
            if n
        }
    )
    opened = Counter(
        {
            (figure, key): n
            for figure, key, n in session.execute(select(held.figure, held.key, held.orders))
            if n
        }
    )
    return days, opened


def assert_no_drift(sessions: sessionmaker[Session], step: str) -> None:
    with sessions() as session:
        expected, found = recount(session), tallied(session)
    assert found[0] == expected[0], f"order_day_tally drifted after {step}"
    assert found[1] == expected[1], f"open_order_tally drifted after {step}"
    assert sum(n for (figure, _), n in found[1].items() if figure == "channel") == sum(
        n for (figure, _), n in expected[1].items() if figure == "channel"
    )


def acme(tmp_path: Path, po: str, control: str, *, purpose: str = "00", price: str = "4.50") -> Path:
    """The demo acme 850 under another PO and interchange number, BEG01 and line 1 price."""
    content = (
        ACME.replace(b"4500012345", po.encode())
        .replace(b"000001001", control.encode())
        .replace(b"BEG*00*", f"BEG*{purpose}*".encode())
        .replace(b"PO1*1*24*EA*4.50*", f"PO1*1*24*EA*{price}*".encode())
    )
    path = tmp_path / f"{po}-{control}.edi"
    path.write_bytes(content)
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, master_template: Path, tmp_path: Path) -> sessionmaker[Session]:
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copyfile(master_template, path)
        engine = storage.make_engine(f"sqlite:///{path}")
    else:
        engine = storage.make_engine(request.getfixturevalue("postgres").create_database("desk_tally"))
    request.addfinalizer(engine.dispose)
    storage.upgrade(engine)
    sessions = storage.make_sessionmaker(engine)
    if request.param == "postgresql":
        with sessions() as session, session.begin():
            load_demo_master_data(session, ROOT / "fixtures" / "master")
    return sessions


def test_the_tally_equals_a_full_recount_after_every_ingest_change_and_desk_action(
    store: sessionmaker[Session], tmp_path: Path
) -> None:
    desk: Desk = desk_on(store, *build_desk(store, PartnerRegistry.from_directory(), tmp_path))
    assert_no_drift(store, "the pipeline's ingests")
    with store() as session:
        assert tallied(session)[1][("channel", "x12")] >= 2, "the dataset holds open X12 orders"
    staff, order_desk = desk.staff, desk.order_desk

    desk.clock.now = NOW
    desk.pipeline.ingest_path(acme(tmp_path, "4500030001", "000003001"))
    desk.pipeline.ingest_path(acme(tmp_path, "4500030002", "000003002"))
    desk.pipeline.ingest_path(acme(tmp_path, "4500030003", "000003003", price="9.99"))  # held: price
    assert_no_drift(store, "more ingests, one held for its price")
    desk.pipeline.ingest_path(acme(tmp_path, "4500030001", "000003004", purpose="04", price="9.99"))
    assert_no_drift(store, "a partner's change that no longer validates (accepted -> exception)")
    desk.pipeline.ingest_path(acme(tmp_path, "4500030002", "000003005", purpose="01"))
    assert_no_drift(store, "a partner's cancellation")
    desk.pipeline.ingest_path(acme(tmp_path, "4500030003", "000003006", purpose="04"))
    assert_no_drift(store, "a partner's change that now validates (exception -> accepted)")

    with store() as session, session.begin():
        credit = desk.orders["credit"]
        released = order_desk.release_credit(session, credit, 1, staff["carol"], reason="paid by wire")
        assert order_desk.approve(session, credit, released.version, staff["alice"]).status == "accepted"
    assert_no_drift(store, "a credit release and an approval")
    with store() as session, session.begin():
        order_desk.reject(session, desk.orders["typed"], 1, staff["alice"], reason="not our customer")
    assert_no_drift(store, "a rejection")
    with store() as session, session.begin():
        merged = order_desk.merge_duplicate(session, desk.orders["duplicate"], 1, staff["alice"])
        assert merged.status == "rejected"
    assert_no_drift(store, "a duplicate merged")
    with store() as session:
        held = session.scalars(
            select(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.status == "exception")
            .order_by(storage.PurchaseOrder.id)
        ).all()
    changed = held[0]
    with store() as session, session.begin():
        order_desk.correct_po_number(
            session, changed.id, changed.version, staff["alice"], po_number="FIXED-1"
        )
    assert_no_drift(store, "a fix and the re-validation it makes")
    with store() as session:  # rolled back: nothing it tallied stays
        order_desk.reject(session, held[-1].id, held[-1].version, staff["alice"], reason="rolled back")
        session.rollback()
    assert_no_drift(store, "a rejection rolled back")

    desk.pipeline.process(desk.documents["sheet"], again=True)
    assert_no_drift(store, "a document processed again (its orders deleted and stored anew)")

    with store() as session:
        before = tallied(session)
    with store() as session, session.begin():
        storage.recount_tally(session)
    with store() as session:
        assert tallied(session) == before, "built from scratch (migration 0022) = kept step by step"


def test_the_migration_builds_the_tally_of_the_orders_already_stored(
    master_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "gateway.db"
    shutil.copyfile(master_template, path)
    engine = storage.make_engine(f"sqlite:///{path}")
    sessions = storage.make_sessionmaker(engine)
    build_desk(sessions, PartnerRegistry.from_directory(), tmp_path)
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert_no_drift(sessions, "migration 0022 on a store of orders")
    with sessions() as session:
        assert sum(tallied(session)[0].values()) > 0
    engine.dispose()
