"""Change and cancel orders (850 BEG01 01/04/05): applied to the PO we hold, stock and credit recomputed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers.x12 import MAP_DIR
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import acme_850
from tests.conftest import allocated
from tests.x12.test_acks import pyx12_check

ACME_TOTAL = Decimal("544.80")


@pytest.fixture
def pipeline(master_sessions: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    return Pipeline(master_sessions, partners, clock=lambda: FIXED_NOW)


@pytest.fixture
def any_purpose(master_sessions: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    """acme without its BEG01 narrowing: every code the standard lists gets through the 997."""
    profile = partners.get("acme")
    assert profile is not None
    narrow = {key: codes for key, codes in profile.narrow.items() if key != "BEG01"}
    registry = PartnerRegistry(
        [*(p for p in partners if p.name != "acme"), profile.model_copy(update={"narrow": narrow})]
    )
    return Pipeline(master_sessions, registry, clock=lambda: FIXED_NOW)


def acme(tmp_path: Path, po: str, control: str, *, purpose: str = "00", line1: str = "24") -> Path:
    """The demo acme 850 under another PO, interchange number, BEG01 and line 1 quantity."""
    beg = (b"BEG*00*", f"BEG*{purpose}*".encode())
    return acme_850(tmp_path, po, control, beg, (b"PO1*1*24*", f"PO1*1*{line1}*".encode()))


def exposure(sessions: sessionmaker[Session]) -> Decimal:
    """Open accepted orders of acme's account: what the credit check counts."""
    order = storage.PurchaseOrder
    with sessions() as session:
        return Decimal(
            session.scalar(
                select(func.coalesce(func.sum(order.order_total), 0)).where(
                    order.customer_account == "C1001", order.status == "accepted", order.invoiced_at.is_(None)
                )
            )
        )


def orders_for(sessions: sessionmaker[Session], po: str) -> list[storage.PurchaseOrder]:
    with sessions() as session:
        rows = session.scalars(select(storage.PurchaseOrder).where(storage.PurchaseOrder.po_number == po))
        return list(rows)


def the_855(sessions: sessionmaker[Session], ids: list[int]) -> bytes:
    with sessions() as session:
        [record] = [
            r
            for r in session.scalars(select(storage.OutboundRecord).where(storage.OutboundRecord.id.in_(ids)))
            if r.kind == "855"
        ]
        content = record.content
    assert pyx12_check(content, MAP_DIR) == (True, [])
    return bytes(content)


def audit(sessions: sessionmaker[Session], order_id: int) -> list[storage.AuditEntry]:
    with sessions() as session:
        return list(
            session.scalars(
                select(storage.AuditEntry)
                .where(storage.AuditEntry.subject_id == str(order_id))
                .order_by(storage.AuditEntry.id)
            )
        )


def test_a_cancellation_cancels_the_po_and_releases_its_stock_and_credit(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    stock_before, credit_before = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    pipeline.ingest_path(acme(tmp_path, "4500030001", "000003001"))
    assert allocated(master_sessions, "NW-10042") - stock_before == 24
    assert exposure(master_sessions) - credit_before == ACME_TOTAL

    outcome = pipeline.ingest_path(acme(tmp_path, "4500030001", "000003002", purpose="01"))

    [order] = orders_for(master_sessions, "4500030001")
    assert order.status == "cancelled" and order.version == 2
    assert allocated(master_sessions, "NW-10042") == stock_before
    assert exposure(master_sessions) == credit_before
    [entry] = audit(master_sessions, order.id)
    assert entry.action == "partner_cancel" and entry.actor == "partner:acme"
    assert entry.before == {"version": 1, "status": "accepted"}
    assert entry.after is not None and entry.after["status"] == "cancelled"
    assert entry.after["document_id"] == outcome.document_id
    assert outcome.order_ids == [order.id] and outcome.status == "processed"
    ack = the_855(master_sessions, outcome.outbound_ids)
    assert b"BAK*01*AT*4500030001*" in ack


@pytest.mark.parametrize("purpose", ["04", "05"])
def test_a_change_is_a_new_version_of_the_po_with_stock_and_credit_recomputed(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path, purpose: str
) -> None:
    stock_before, credit_before = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    pipeline.ingest_path(acme(tmp_path, "4500030002", "000003003"))

    outcome = pipeline.ingest_path(acme(tmp_path, "4500030002", "000003004", purpose=purpose, line1="48"))

    [order] = orders_for(master_sessions, "4500030002")
    assert order.status == "accepted" and order.version == 2
    assert order.canonical["lines"][0]["quantity"]["value"] == "48"
    assert order.order_total == ACME_TOTAL + 24 * Decimal("4.50")
    assert allocated(master_sessions, "NW-10042") - stock_before == 48
    assert exposure(master_sessions) - credit_before == ACME_TOTAL + 24 * Decimal("4.50")
    [entry] = audit(master_sessions, order.id)
    assert entry.action == "partner_change" and entry.actor == "partner:acme"
    assert entry.before is not None and entry.after is not None
    assert entry.before["lines"] == ["line 1: 24 EA"] and entry.after["lines"] == ["line 1: 48 EA"]
    assert entry.after["document_id"] == outcome.document_id
    ack = the_855(master_sessions, outcome.outbound_ids)
    assert f"BAK*{purpose}*AD*4500030002*".encode() in ack and b"PO1*1*48*EA*" in ack


def test_a_change_to_an_invoiced_po_is_held_for_the_desk_with_the_difference(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    first = pipeline.ingest_path(acme(tmp_path, "4500030003", "000003005"))
    with master_sessions() as session, session.begin():
        session.execute(
            update(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.id == first.order_ids[0])
            .values(invoiced_at=datetime(2026, 11, 21))
        )
    stock = allocated(master_sessions, "NW-10042")

    outcome = pipeline.ingest_path(acme(tmp_path, "4500030003", "000003006", purpose="04", line1="48"))

    original, change = orders_for(master_sessions, "4500030003")
    assert original.version == 1 and original.status == "accepted"
    assert change.status == "exception" and change.id in outcome.order_ids
    assert allocated(master_sessions, "NW-10042") == stock
    with master_sessions() as session:
        codes = {
            f.code: f.message
            for f in session.scalars(select(storage.Finding).where(storage.Finding.order_id == change.id))
        }
    assert "line 1: 24 EA -> 48 EA" in codes["change_after_shipment"]


def test_a_change_that_no_longer_validates_is_held_with_the_difference_keeping_the_stock_in_force(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    """The version in force (the ERP's order) keeps its stock until the desk decides the change
    (tests/desk/test_order_changes_desk.py); held, the order stops counting towards credit."""
    stock_before, credit_before = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    pipeline.ingest_path(acme(tmp_path, "4500030004", "000003007"))
    path = acme(tmp_path, "4500030004", "000003008", purpose="04")
    path.write_bytes(path.read_bytes().replace(b"PO1*1*24*EA*4.50*", b"PO1*1*24*EA*9.99*"))

    outcome = pipeline.ingest_path(path)

    [order] = orders_for(master_sessions, "4500030004")
    assert order.status == "exception" and order.version == 2
    assert order.allocations == {"NW-10042": "24", "NW-20017": "6", "NW-30555": "10"}
    assert allocated(master_sessions, "NW-10042") - stock_before == 24
    assert exposure(master_sessions) == credit_before
    assert order.superseded is not None and Decimal(order.superseded["order_total"]) == ACME_TOTAL
    assert (
        order.superseded["purpose"] == "04"
        and order.superseded["canonical"]["lines"][0]["unit_price"] == "4.50"
    )
    with master_sessions() as session:
        codes = {
            f.code: f.message
            for f in session.scalars(select(storage.Finding).where(storage.Finding.order_id == order.id))
        }
    assert "price_mismatch" in codes
    assert "line 1: 24 EA at 4.5 -> 24 EA at 9.99" in codes["order_changed"]
    [entry] = audit(master_sessions, order.id)
    assert entry.before == {"version": 1, "status": "accepted", "lines": ["line 1: 24 EA at 4.5"]}
    with master_sessions() as session:
        kinds = [session.get(storage.OutboundRecord, i).kind for i in outcome.outbound_ids]  # type: ignore[union-attr]
    assert kinds == ["997"]  # held: no 855 until the desk decides


def test_a_cancellation_of_a_po_never_received_keeps_unknown_order_ref(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    outcome = pipeline.ingest_path(acme(tmp_path, "4500030005", "000003009", purpose="01"))
    [order] = orders_for(master_sessions, "4500030005")
    assert order.status == "exception" and order.id in outcome.order_ids
    with master_sessions() as session:
        codes = {
            f.code
            for f in session.scalars(select(storage.Finding).where(storage.Finding.order_id == order.id))
        }
    assert codes == {"unknown_order_ref"}


def po_change(tmp_path: Path, po: str, control: str, version: str, body: list[str]) -> Path:
    """An 860 from acme in ``version`` (004010 or 005010) with ``body`` between BCH and CTT."""
    isa12 = "00401" if version == "004010" else "00501"
    segments = [
        f"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261120*0930*U*{isa12}*{control}*0*P*>",
        f"GS*PC*ACMERETAIL*NORTHWIND*20261120*0930*2001*X*{version}",
        "ST*860*0001",
        f"BCH*{body[0]}*SA*{po}***20261118",
        *body[1:],
        f"CTT*{len(body) - 1}",
    ]
    count = len(segments) - 2 + 1
    segments += [f"SE*{count}*0001", "GE*1*2001", f"IEA*1*{control}"]
    path = tmp_path / f"{po}-{control}.860"
    path.write_text("~\n".join(segments) + "~\n")
    return path


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_860_changes_lines_of_the_po_we_hold(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path, version: str
) -> None:
    widgets, keys = allocated(master_sessions, "NW-10042"), allocated(master_sessions, "NW-30555")
    credit_before = exposure(master_sessions)
    pipeline.ingest_path(acme(tmp_path, "4500030006", "000003010"))
    assert allocated(master_sessions, "NW-30555") - keys == 10

    outcome = pipeline.ingest_path(
        po_change(
            tmp_path,
            "4500030006",
            "000003011",
            version,
            [
                "04",
                "POC*1*QI*48*48*EA*4.50**VN*NW-10042",
                "POC*3*DI*10*0*EA",
                "POC*4*AI*2*2*CA*52.80**VN*NW-20017",
            ],
        )
    )

    assert outcome.status == "processed"
    [order] = orders_for(master_sessions, "4500030006")
    assert order.status == "accepted" and order.version == 2
    assert [line["line_no"] for line in order.canonical["lines"]] == ["1", "2", "4"]
    total = ACME_TOTAL + 24 * Decimal("4.50") - 10 * Decimal("12.00") + 2 * Decimal("52.80")
    assert order.order_total == total
    assert allocated(master_sessions, "NW-10042") - widgets == 48
    assert allocated(master_sessions, "NW-30555") == keys
    assert exposure(master_sessions) - credit_before == total
    [entry] = audit(master_sessions, order.id)
    assert entry.action == "partner_change" and entry.after is not None
    assert entry.after["lines"] == ["line 1: 48 EA", "line 3: (none)", "line 4: 2 CA"]
    with master_sessions() as session:
        records = session.scalars(
            select(storage.OutboundRecord).where(storage.OutboundRecord.id.in_(outcome.outbound_ids))
        )
        kinds = {record.kind: record.content for record in records}
    assert b"AK5*A" in kinds["997"] and b"AK2*860*0001" in kinds["997"]
    ack = the_855(master_sessions, outcome.outbound_ids)
    assert b"BAK*04*AD*4500030006*" in ack


def test_an_860_cancellation_cancels_the_po(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    widgets, credit_before = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    pipeline.ingest_path(acme(tmp_path, "4500030007", "000003012"))

    outcome = pipeline.ingest_path(po_change(tmp_path, "4500030007", "000003013", "004010", ["01"]))

    [order] = orders_for(master_sessions, "4500030007")
    assert order.status == "cancelled" and order.version == 2
    assert allocated(master_sessions, "NW-10042") == widgets and exposure(master_sessions) == credit_before
    assert b"BAK*01*AT*4500030007*" in the_855(master_sessions, outcome.outbound_ids)


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_a_profile_that_lists_865_gets_an_865_for_an_860(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, version: str
) -> None:
    acme_profile = partners.get("acme")
    assert acme_profile is not None
    registry = PartnerRegistry(
        [
            *(p for p in partners if p.name != "acme"),
            acme_profile.model_copy(update={"acks": ["997", "855", "865"], "version": version}),
        ]
    )
    pipeline = Pipeline(master_sessions, registry, clock=lambda: FIXED_NOW)
    pipeline.ingest_path(acme(tmp_path, "4500030008", "000003014"))

    outcome = pipeline.ingest_path(
        po_change(tmp_path, "4500030008", "000003015", version, ["04", "POC*1*QD*12*12*EA*4.50**VN*NW-10042"])
    )

    with master_sessions() as session:
        records = session.scalars(
            select(storage.OutboundRecord).where(storage.OutboundRecord.id.in_(outcome.outbound_ids))
        )
        sent = {record.kind: (record.status, record.content) for record in records}
    assert set(sent) == {"997", "865"}
    status, content = sent["865"]
    assert pyx12_check(content, MAP_DIR) == (True, []) and status == "pending"
    assert b"BCA*04*AD*4500030008***20261118~" in content
    assert (
        b"POC*1*QD*12**EA*4.5**VN*NW-10042*" in content
        and b"ACK*IA*12*EA~" in content
        and b"POC*2*NC*6**CA*" in content
    )


def test_processing_a_change_document_again_does_not_apply_it_twice(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    pipeline.ingest_path(acme(tmp_path, "4500030009", "000003019"))
    change = pipeline.ingest_path(acme(tmp_path, "4500030009", "000003020", purpose="04", line1="48"))
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)

    again = pipeline.process(change.document_id, again=True)

    [order] = orders_for(master_sessions, "4500030009")
    assert order.version == 2 and order.id in again.order_ids
    assert [e.action for e in audit(master_sessions, order.id)] == ["partner_change"]
    assert (allocated(master_sessions, "NW-10042"), exposure(master_sessions)) == (stock, credit)


def test_a_change_after_its_original_in_the_same_interchange_applies_to_it(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    """The original is stored before the change that follows it in one file is applied."""
    text = acme(tmp_path, "4500030011", "000003031").read_bytes()
    head, rest = text.split(b"ST*850*0001", 1)
    body, tail = rest.split(b"GE*1*", 1)
    change = (
        body.replace(b"BEG*00*", b"BEG*04*").replace(b"PO1*1*24*", b"PO1*1*48*").replace(b"0001", b"0002")
    )
    both = head + b"ST*850*0001" + body + b"ST*850*0002" + change + b"GE*2*" + tail
    path = tmp_path / "original-and-change.edi"
    path.write_bytes(both)

    outcome = pipeline.ingest_path(path)

    [order] = orders_for(master_sessions, "4500030011")
    assert order.status == "accepted" and order.version == 2 and order.id in outcome.order_ids
    assert order.canonical["lines"][0]["quantity"]["value"] == "48"
    assert [e.action for e in audit(master_sessions, order.id)] == ["partner_change"]


def test_a_change_finds_the_stock_its_order_gives_back_free_in_the_same_transaction(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    """No other stock left: a change asking what the order already holds is covered by that stock."""
    pipeline.ingest_path(acme(tmp_path, "4500030012", "000003032"))
    with master_sessions() as session, session.begin():
        inventory = storage.InventoryLevel
        session.execute(
            update(inventory).where(inventory.sku == "NW-10042").values(on_hand=inventory.allocated)
        )
    stock = allocated(master_sessions, "NW-10042")

    pipeline.ingest_path(acme(tmp_path, "4500030012", "000003033", purpose="04", line1="24"))

    [order] = orders_for(master_sessions, "4500030012")
    assert order.status == "accepted" and order.version == 2
    assert order.allocations is not None and order.allocations["NW-10042"] == "24"
    assert allocated(master_sessions, "NW-10042") == stock


@pytest.mark.parametrize(
    ("code", "purpose"), [("00", "original"), ("06", "confirmation"), ("07", "original")]
)
def test_a_new_po_with_beg01_original_confirmation_or_duplicate_takes_stock_and_credit(
    master_sessions: sessionmaker[Session], any_purpose: Pipeline, tmp_path: Path, code: str, purpose: str
) -> None:
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    any_purpose.ingest_path(acme(tmp_path, f"45000301{code}", f"0000031{code}", purpose=code))
    [order] = orders_for(master_sessions, f"45000301{code}")
    assert order.status == "accepted" and order.purpose == purpose
    assert (
        allocated(master_sessions, "NW-10042") - stock == 24
        and exposure(master_sessions) - credit == ACME_TOTAL
    )


def test_a_confirmation_of_a_po_we_hold_is_no_second_order(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path
) -> None:
    """BEG01 06 confirms an order placed before: for a PO we hold it is held as its duplicate."""
    pipeline.ingest_path(acme(tmp_path, "4500030120", "000003120"))
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)

    pipeline.ingest_path(acme(tmp_path, "4500030120", "000003121", purpose="06"))

    original, confirmation = orders_for(master_sessions, "4500030120")
    assert (original.status, confirmation.status) == ("accepted", "exception")
    with master_sessions() as session:
        codes = {
            f.code
            for f in session.scalars(
                select(storage.Finding).where(storage.Finding.order_id == confirmation.id)
            )
        }
    assert codes == {"duplicate_po"}
    assert (allocated(master_sessions, "NW-10042"), exposure(master_sessions)) == (stock, credit)


@pytest.mark.parametrize("code", ["02", "08", "16", "22", "27", "28"])
def test_a_beg01_that_asks_for_no_order_to_be_filled_waits_on_the_desk(
    master_sessions: sessionmaker[Session], any_purpose: Pipeline, tmp_path: Path, code: str
) -> None:
    """Add, status, proposed, information copy, verify, query...: read, kept, and never filled alone."""
    stock = allocated(master_sessions, "NW-10042")
    outcome = any_purpose.ingest_path(acme(tmp_path, f"45000302{code}", f"0000032{code}", purpose=code))
    [order] = orders_for(master_sessions, f"45000302{code}")
    assert order.status == "exception" and order.purpose == "other"
    with master_sessions() as session:
        messages = {
            f.code: f.message
            for f in session.scalars(select(storage.Finding).where(storage.Finding.order_id == order.id))
        }
        kinds = [session.get(storage.OutboundRecord, i).kind for i in outcome.outbound_ids]  # type: ignore[union-attr]
    assert f"BEG01 {code}" in messages["purpose_not_handled"]
    assert kinds == ["997"] and allocated(master_sessions, "NW-10042") == stock


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_an_860_changes_a_lines_price_and_another_lines_date(
    master_sessions: sessionmaker[Session], pipeline: Pipeline, tmp_path: Path, version: str
) -> None:
    """POC02 PC (price) and CT (dates, the line's DTM): applied to the PO we hold, total recomputed."""
    pipeline.ingest_path(acme(tmp_path, "4500030013", "000003034"))

    outcome = pipeline.ingest_path(
        po_change(
            tmp_path,
            "4500030013",
            "000003035",
            version,
            [
                "04",
                "POC*2*PC*6*6*CA*52.81**VN*NW-20017",
                "POC*1*CT*24*24*EA*4.50**VN*NW-10042",
                "DTM*002*20261215",
            ],
        )
    )

    assert outcome.status == "processed"
    [order] = orders_for(master_sessions, "4500030013")
    assert order.status == "accepted" and order.version == 2
    first, second, _ = order.canonical["lines"]
    assert second["unit_price"] == "52.81" and order.order_total == ACME_TOTAL + 6 * Decimal("0.01")
    assert [(d["qualifier"], d["value"]) for d in first["requested_dates"]] == [("002", "2026-12-15")]
    [entry] = audit(master_sessions, order.id)
    assert entry.after is not None and entry.after["lines"] == ["line 2: 6 CA at 52.81"]
    assert b"BAK*04*AD*4500030013*" in the_855(master_sessions, outcome.outbound_ids)


def test_beg01_03_delete_cancels_the_po_as_01_does(
    master_sessions: sessionmaker[Session], any_purpose: Pipeline, tmp_path: Path
) -> None:
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    any_purpose.ingest_path(acme(tmp_path, "4500030014", "000003036"))
    any_purpose.ingest_path(acme(tmp_path, "4500030014", "000003037", purpose="03"))
    [order] = orders_for(master_sessions, "4500030014")
    assert order.status == "cancelled" and order.version == 2
    assert (allocated(master_sessions, "NW-10042"), exposure(master_sessions)) == (stock, credit)
