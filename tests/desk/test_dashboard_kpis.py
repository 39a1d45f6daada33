"""The dashboard's KPIs (order accuracy, receipt to ERP, time to ship, 997 turnaround) from built stores
with a fixed clock, read from the tally, and the same figures built again from the stored rows (0030)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import ErpSettings
from gateway.desk.dashboard import dashboard
from gateway.desk.kpis import Kpis
from gateway.desk.kpis import Timing
from gateway.desk.kpis import format_duration
from gateway.desk.kpis import format_share
from gateway.desk.kpis import kpis
from gateway.desk.kpis import timing
from gateway.inbound.pipeline import Pipeline
from gateway.outbound.delivery import deliver_due
from gateway.outbound.records import submit_shipment
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.desk.test_desk_dashboard import decide
from tests.desk.test_desk_queue import NOW
from tests.desk.test_desk_queue import Desk
from tests.desk.test_desk_queue import Template
from tests.desk.test_desk_queue import desk_template  # noqa: F401 - a fixture this module uses
from tests.desk.test_desk_queue import open_desk
from tests.outbound.test_partner_acks import SHIPMENT
from tests.outbound.test_partner_acks import acme_997
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

T0 = FIXED_NOW
TODAY = T0.date()


@pytest.fixture
def kpi_desk(desk_template: Template, tmp_path: Path) -> Iterator[Desk]:  # noqa: F811 - imported fixture
    yield from open_desk(desk_template, tmp_path)


@pytest.fixture
def erp() -> Iterator[ErpServer]:
    server = ErpServer()
    yield server
    server.stop()


def figures(sessions: sessionmaker[Session], *, days: int = 30, partner: str | None = None) -> Kpis:
    with sessions() as session:
        return kpis(
            session, since=TODAY - timedelta(days=days - 1), until=TODAY + timedelta(days=1), partner=partner
        )


def kpi_rows(sessions: sessionmaker[Session]) -> Counter[tuple[str, date, str]]:
    tally = storage.KpiDayTally
    with sessions() as session:
        return Counter(
            {
                (figure, day, key): n
                for figure, day, key, n in session.execute(
                    select(tally.figure, tally.day, tally.key, tally.events)
                )
                if n
            }
        )


def assert_backfill_agrees(sessions: sessionmaker[Session]) -> None:
    """What migration 0030 builds from the stored rows (down to 0027 and up again) is what the live hooks
    counted, the accuracy rows included."""
    live, board = kpi_rows(sessions), figures(sessions)
    assert live, "something was counted"
    config = Config()
    config.set_main_option("script_location", str(storage.MIGRATIONS))
    for step, target in ((command.downgrade, "0028"), (command.upgrade, "head")):
        with sessions.kw["bind"].begin() as connection:
            config.attributes["connection"] = connection
            step(config, target)
    assert kpi_rows(sessions) == live
    assert figures(sessions) == board


def test_no_orders_gives_no_figure_and_no_division_by_zero(master_sessions: sessionmaker[Session]) -> None:
    board = figures(master_sessions)
    assert (board.accurate, board.settled, board.accuracy) == (0, 0, None)
    assert board.to_erp == board.to_ship == board.ack_turnaround == Timing(0, None, None)
    assert board.ack_by_partner == []
    assert len(board.daily_accuracy) == 30 and {share for _, share in board.daily_accuracy} == {None}
    assert (format_share(board.accuracy), format_duration(board.to_erp.median)) == ("—", "—")


def test_order_accuracy_counts_orders_accepted_unchanged_over_the_decided_ones(kpi_desk: Desk) -> None:
    with kpi_desk.sessions() as session:
        board = dashboard(session, now=NOW).kpis
    assert (board.accurate, board.settled, board.accuracy) == (3, 4, 0.75), (
        "3 accepted and 1 rejected at intake, none changed; the 5 in exception are not decided yet"
    )
    assert dict(board.daily_accuracy)[date(2026, 11, 21)] == 1.0, (
        "acme's order, 50 h before NOW, accepted as sent"
    )
    decide(
        kpi_desk
    )  # credit: a hold released (a desk action: it re-validates) then approved; typed: rejected
    board = figures(kpi_desk.sessions)
    assert (board.accurate, board.settled, board.accuracy) == (3, 6, 0.5), (
        "the released-then-approved order was changed by the desk, the rejected one is not accurate"
    )
    acme = figures(kpi_desk.sessions, partner="acme")
    assert (acme.accurate, acme.settled) == (2, 4), (
        "acme's accepted order and the accepted one of acme-errors; its rejected one and typed are not"
    )


def test_an_erp_payload_retried_then_delivered_counts_its_delivery_time(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    pipeline = Pipeline(
        master_sessions, PartnerRegistry.from_directory(), clock=lambda: T0, erp_kind="erp.netsuite"
    )
    pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    erp.replies = [Reply(503), Reply(502), Reply(201)]
    settings = ErpSettings(url=erp.url, backoff_seconds=30)
    with httpx.Client() as client:
        delivered = [
            deliver_due(master_sessions, settings, now=T0 + timedelta(seconds=s), client=client).delivered
            for s in (0, 30, 90, 600)
        ]
    assert delivered == [0, 0, 1, 0], "two refusals, then delivered 90 s after receipt, then nothing left"
    board = figures(master_sessions)
    assert board.to_erp == Timing(1, 90.0, 90.0), "counted once, when delivered, from the receipt"
    assert format_duration(board.to_erp.median) == "1.5 min"
    assert figures(master_sessions, partner="acme").to_erp == Timing(1, 90.0, 90.0)
    assert figures(master_sessions, partner="globex").to_erp == Timing(0, None, None)
    assert (board.accurate, board.settled) == (1, 1)
    assert_backfill_agrees(master_sessions)


def test_time_to_ship_and_the_997_turnaround_by_partner(
    master_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    now = T0
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: now)
    pipeline.ingest_path(INBOX / "acme-4500012345.edi")
    shipped_at = T0 + timedelta(hours=3)
    outcome = submit_shipment(master_sessions, pipeline.partners, SHIPMENT.read_bytes(), when=shipped_at)
    with master_sessions() as session:
        asn = session.get(storage.OutboundRecord, outcome["outbound_id"])
        assert asn is not None and asn.group_control_number is not None
        group, st02 = asn.group_control_number, f"{asn.transaction_control_numbers[0]:04d}"
    for n, minutes in enumerate((25, 40)):  # the second 997 to the same 856 does not time it again
        now = shipped_at + timedelta(minutes=minutes)
        path = tmp_path / f"997-{n}.edi"
        path.write_bytes(acme_997(group, st02, "A", control=f"00000700{n}"))
        pipeline.ingest_path(path)
    board = figures(master_sessions)
    assert board.to_ship == Timing(1, 10800.0, 10800.0), "the order came at T0, its 856 3 h later"
    assert board.ack_turnaround == Timing(1, 1500.0, 1500.0), "the first 997, 25 min after the 856 left"
    assert board.ack_by_partner == [("acme", Timing(1, 1500.0, 1500.0))]
    assert figures(master_sessions, partner="globex").ack_by_partner == []
    assert_backfill_agrees(master_sessions)


def test_median_and_90th_percentile_over_buckets() -> None:
    assert timing(Counter()) == Timing(0, None, None)
    assert timing(Counter({60: 1})) == Timing(1, 60.0, 60.0)
    assert timing(Counter({10: 1, 20: 1})) == Timing(2, 15.0, 20.0), "the mean of the two middle; rank 2 of 2"
    ten = Counter({1: 5, 2: 4, 100: 1})
    assert timing(ten) == Timing(10, 1.5, 2.0), "rank 9 of 10 is the last 2, not the outlier"
    assert timing(Counter({1: 9, 100: 2})) == Timing(11, 1.0, 100.0), "rank 10 of 11 is an outlier"


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [
        (-5, 0),
        (0, 0),
        (59.9, 59),
        (61, 60),
        (599, 590),
        (601, 600),
        (3599, 3540),
        (3600, 3600),
        (4 * 3600 + 100, 4 * 3600),
        (90000, 86400),
    ],
)
def test_a_duration_is_rounded_down_to_its_bucket(seconds: float, bucket: int) -> None:
    assert storage.duration_bucket(seconds) == bucket


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (42, "42 s"),
        (90, "1.5 min"),
        (1500, "25 min"),
        (10800, "3 h"),
        (3 * 86400, "3 d"),
    ],
)
def test_durations_read_in_the_unit_that_fits(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text
