"""The 846 inventory advice: written for 004010 and 005010 and passed by pyx12 on our maps; sent on
the partner's daily schedule and, debounced, when the ATP of a SKU it buys changes; through the outbox."""

from __future__ import annotations

import threading
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import parsers
from emitters import x12_846
from gateway import storage
from gateway.inbound.atp import atp
from gateway.inbound.pipeline import Pipeline
from gateway.model.outbound import AdviceReason
from gateway.model.outbound import InventoryAdvice
from gateway.model.outbound import StockLine
from gateway.model.status import OutboxStatus
from gateway.outbound.inventory_advice import advise
from gateway.outbound.inventory_advice import advise_all
from gateway.outbound.inventory_advice import assortment
from gateway.run import roles
from gateway.run.schedule import run_one
from parsers.x12 import MAP_DIR
from partners import InventoryAdviceSettings
from partners import OutboundSeparators
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import StockSettings
from partners import X12Identity
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX

D = Decimal
ACME_SKUS = ["NW-10042", "NW-20017"]  # acme's cross-references in the demo master data
MORNING = FIXED_NOW.replace(hour=6, minute=0)


class Counter:
    """An in-memory ControlNumberSource: one increasing sequence per kind."""

    def __init__(self) -> None:
        self.last = {"ISA": 0, "GS": 0, "ST": 0}

    def next(self, kind: str) -> int:
        self.last[kind] += 1
        return self.last[kind]


def profile(version: str) -> PartnerProfile:
    return PartnerProfile.model_validate(
        {
            "name": "shop",
            "customer_account": "C9",
            "isa": X12Identity(qualifier="ZZ", id="PARTNERISA", gs_id="PARTNERGS"),
            "us": X12Identity(qualifier="ZZ", id="NORTHWINDDIST", gs_id="NORTHWIND"),
            "version": version,
            "separators": OutboundSeparators(),
            "usage": "T",
        }
    )


def _advice(count: int = 3) -> InventoryAdvice:
    lines = [
        StockLine(sku="NW-10042", available=D(1762), buyer_part="AC-778", upc="012345678905"),
        StockLine(sku="NW-20017", available=D("0"), uom="CA"),
        StockLine(sku="NW-30555", available=D("12.5")),
    ]
    return InventoryAdvice(
        reference="ATP20261123093000", as_of=FIXED_NOW, reason=AdviceReason.SCHEDULE, lines=lines[:count]
    )


def _segments(content: bytes) -> list[list[str]]:
    return [s.strip().split("*") for s in content.decode().split("~") if s.strip()]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_846_passes_pyx12_in_both_versions(version: str) -> None:
    document = x12_846.emit(_advice(), profile(version), numbers=Counter(), when=FIXED_NOW)
    assert parsers.check_interchange(document.content, MAP_DIR) == []
    body = _segments(document.content)
    assert body[1][:2] == ["GS", "IB"] and body[1][-1] == version
    assert ["BIA", "00", "DD", "ATP20261123093000", "20261123", "0930"] in body
    assert ["LIN", "1", "VN", "NW-10042", "BP", "AC-778", "UP", "012345678905"] in body
    assert ["QTY", "33", "1762", "EA"] in body and ["QTY", "33", "0", "CA"] in body
    assert ["QTY", "33", "12.5", "EA"] in body
    assert ["CTT", "3", "1774.5"] in body  # LIN count, and the hash total of QTY02
    assert document.kind == "846" and document.refers_to == "ATP20261123093000"


def test_a_large_advice_is_split_into_sets_that_each_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(x12_846, "MAX_LINES_PER_SET", 2)
    document = x12_846.emit(_advice(3), profile("005010"), numbers=Counter(), when=FIXED_NOW)
    assert parsers.check_interchange(document.content, MAP_DIR) == []
    body = _segments(document.content)
    assert [s[0] for s in body].count("ST") == 2 and ["GE", "2", "1"] in body
    assert len(document.transaction_control_numbers) == 2


def test_a_mangled_846_is_refused_by_the_maps() -> None:
    content = x12_846.emit(_advice(), profile("004010"), numbers=Counter(), when=FIXED_NOW).content
    assert parsers.check_interchange(content.replace(b"BIA*00*DD*", b"BIA*00**"), MAP_DIR)


# --- when an 846 goes ---------------------------------------------------------------------------


def _acme(**settings: object) -> PartnerProfile:
    acme = PartnerRegistry.from_directory().get("acme")
    assert acme is not None
    return acme.model_copy(update={"inventory_advice": InventoryAdviceSettings.model_validate(settings)})


def _run(sessions: sessionmaker[Session], partner: PartnerProfile, now: datetime) -> int | None:
    with sessions() as session, session.begin():
        return advise(session, partner, now=now)


def _sent(sessions: sessionmaker[Session], outbox_id: int | None) -> list[list[str]]:
    assert outbox_id is not None
    with sessions() as session:
        row = session.get(storage.OutboundRecord, outbox_id)
        assert row is not None and row.kind == "846" and row.partner == "acme"
        assert row.status == OutboxStatus.PENDING, row.errors  # checked by pyx12 on the way in
        assert row.ack_window_seconds == 24 * 3600  # the partner answers an 846 with its 997
        return _segments(row.content)


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _skus(segments: list[list[str]]) -> dict[str, str]:
    lins = [s for s in segments if s[0] == "LIN"]
    qtys = [s for s in segments if s[0] == "QTY"]
    return {lin[3]: qty[2] for lin, qty in zip(lins, qtys, strict=True)}


def _take(sessions: sessionmaker[Session], sku: str, quantity: int) -> None:
    inventory = storage.InventoryLevel
    with sessions() as session, session.begin():
        session.execute(
            update(inventory)
            .where(inventory.sku == sku, inventory.warehouse == "COL")
            .values(allocated=inventory.allocated + quantity)
        )


def test_the_partner_buys_its_cross_referenced_and_ordered_skus(
    master_sessions: sessionmaker[Session],
) -> None:
    partners = PartnerRegistry.from_directory()
    acme = partners.get("acme")
    assert acme is not None
    with master_sessions() as session:
        assert assortment(session, acme) == {"NW-10042": "AC-778", "NW-20017": "AC-913"}
    Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW).ingest_path(INBOX / "acme-4500012345.edi")
    with master_sessions() as session:
        assert sorted(assortment(session, acme)) == ["NW-10042", "NW-20017", "NW-30555"]


def test_the_daily_846_goes_once_a_day_at_its_time_with_every_sku(
    master_sessions: sessionmaker[Session],
) -> None:
    acme = _acme(schedule="daily 06:00")
    assert _run(master_sessions, acme, MORNING - timedelta(minutes=1)) is None
    sent = _sent(master_sessions, _run(master_sessions, acme, MORNING))
    with master_sessions() as session:
        expected = {sku: _text(value) for sku, value in atp(session, ACME_SKUS).items()}
    assert _skus(sent) == expected
    assert ["BIA", "00", "DD", "ATP20261123060000", "20261123", "0600"] in sent
    assert _run(master_sessions, acme, MORNING + timedelta(hours=3)) is None  # today's has gone
    _take(master_sessions, "NW-10042", 5)
    assert _run(master_sessions, acme, MORNING + timedelta(hours=4)) is None  # schedule only: no on-change
    tomorrow = _sent(master_sessions, _run(master_sessions, acme, MORNING + timedelta(days=1, minutes=1)))
    assert set(_skus(tomorrow)) == set(ACME_SKUS)


def test_on_change_sends_only_what_changed_and_at_most_one_per_debounce(
    master_sessions: sessionmaker[Session],
) -> None:
    acme = _acme(on_change=True, debounce_minutes=15)
    first = _sent(master_sessions, _run(master_sessions, acme, FIXED_NOW))  # never told: everything
    assert set(_skus(first)) == set(ACME_SKUS)
    with master_sessions() as session:
        before = atp(session, ["NW-10042"])["NW-10042"]
    for minute in (5, 6, 7):  # a burst of orders inside the debounce window
        _take(master_sessions, "NW-10042", 2)
        assert _run(master_sessions, acme, FIXED_NOW + timedelta(minutes=minute)) is None
    changed = _sent(master_sessions, _run(master_sessions, acme, FIXED_NOW + timedelta(minutes=15)))
    assert _skus(changed) == {"NW-10042": _text(before - 6)}  # one 846, the figure after all three
    assert _run(master_sessions, acme, FIXED_NOW + timedelta(minutes=40)) is None  # nothing changed since
    _take(master_sessions, "NW-30555", 1)  # a SKU acme does not buy
    assert _run(master_sessions, acme, FIXED_NOW + timedelta(hours=2)) is None


def test_safety_stock_is_what_the_846_holds_back(master_sessions: sessionmaker[Session]) -> None:
    acme = _acme(on_change=True).model_copy(update={"stock": StockSettings(safety={"NW-10042": D(100)})})
    sent = _skus(_sent(master_sessions, _run(master_sessions, acme, FIXED_NOW)))
    with master_sessions() as session:
        free = atp(session, ["NW-10042"])["NW-10042"]
    assert sent["NW-10042"] == _text(free - 100)


def test_the_scheduler_job_queues_each_partners_846_in_its_own_transaction(
    master_sessions: sessionmaker[Session],
) -> None:
    acme = _acme(on_change=True)
    plain = PartnerRegistry.from_directory().get("globex")
    assert plain is not None and plain.inventory_advice is None
    queued = advise_all(master_sessions, [acme, plain], clock=lambda: FIXED_NOW)
    assert len(queued) == 1
    assert advise_all(master_sessions, [acme, plain], clock=lambda: FIXED_NOW + timedelta(hours=1)) == []
    with master_sessions() as session:
        kinds = session.scalars(select(storage.OutboundRecord.kind)).all()
        told = session.scalars(
            select(storage.AuditEntry.action).where(storage.AuditEntry.subject_id == "acme")
        ).all()
    assert kinds == ["846"] and told == ["inventory_advised"]


def test_a_rolled_back_advice_leaves_no_846_and_no_record_of_telling(
    master_sessions: sessionmaker[Session],
) -> None:
    acme = _acme(on_change=True)
    with master_sessions() as session:
        assert advise(session, acme, now=FIXED_NOW) is not None
        session.rollback()
    assert (
        _sent(master_sessions, _run(master_sessions, acme, FIXED_NOW)) != []
    )  # told nothing yet: sent again


def test_gateway_run_polls_the_846_job_like_any_poller(
    master_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "GATEWAY_NOW", FIXED_NOW.isoformat()
    )  # the jobs' clock: past 06:00, at any hour the test runs
    acme = _acme(schedule="daily 06:00")
    pipeline = Pipeline(master_sessions, PartnerRegistry([acme]), clock=lambda: FIXED_NOW)
    jobs = roles.poll_jobs(pipeline, threading.Event())
    assert [(job.partner, job.channel) for job in jobs] == [
        (roles.INVENTORY_ADVICE_STATUS, "846"),
        (roles.ALERTS_STATUS, "alerts"),  # always polled
    ]
    assert run_one(jobs[0], master_sessions, clock=lambda: FIXED_NOW)
    with master_sessions() as session:
        assert session.scalars(select(storage.OutboundRecord.kind)).all() == ["846"]
        status = session.scalars(select(storage.TransportStatus)).one()
    assert status.channel == "846" and status.last_success == "1 inventory advices (846) queued"


def test_an_846_pyx12_refuses_tells_the_partner_nothing(
    master_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = _acme(on_change=True, debounce_minutes=15)
    monkeypatch.setattr(x12_846, "_REPORT_TYPE", "")  # BIA02 is mandatory
    refused = _run(master_sessions, acme, FIXED_NOW)
    with master_sessions() as session:
        row = session.get(storage.OutboundRecord, refused)
        assert row is not None and row.status == OutboxStatus.INVALID and row.errors
    assert _run(master_sessions, acme, FIXED_NOW + timedelta(minutes=5)) is None  # debounced all the same
    monkeypatch.undo()
    again = _sent(master_sessions, _run(master_sessions, acme, FIXED_NOW + timedelta(minutes=15)))
    assert set(_skus(again)) == set(ACME_SKUS)  # the figures the refused 846 carried, sent again
