"""The order desk's actions on real exception orders: fixes, overrides, approve, reject, locking, audit."""

from __future__ import annotations

import email
import re
import shutil
from collections.abc import Callable
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from email import policy
from functools import partial
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import desk
from gateway import storage
from gateway.desk import OrderDesk
from gateway.desk import order_page
from gateway.inbound.pipeline import Pipeline
from gateway.storage import DeskUser
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import acme_850
from tests.conftest import allocated
from tests.conftest import built_once
from tests.conftest import copy_of
from tests.desk._orders import act
from tests.desk._orders import only_order
from tests.desk._orders import stored_order as order
from tests.servers.postgres import store_url
from tests.web.test_web_desk_support import password
from tests.web.test_web_desk_support import staffed_store

ACME = (INBOX / "acme-4500012345.edi").read_bytes()
EMAILS = ROOT / "fixtures" / "emails"
ERP = "erp.canonical"
UNKNOWN_ITEM = (b"NW-30555", b"NW-99001")  # line 3 orders a SKU nobody sells
DEARER = (b"*4.50*", b"*4.95*")  # line 1 priced over the agreement


STAFF = (("alice", "clerk"), ("bob", "clerk"), ("carol", "credit"), ("root", "admin"))


def _add_staff(master_template: Path, folder: Path) -> None:
    shutil.copyfile(master_template, folder / "gateway.db")
    engine = storage.make_engine(f"sqlite:///{folder / 'gateway.db'}")
    with storage.make_sessionmaker(engine)() as session, session.begin():
        for name, role in STAFF:
            desk.add_user(session, name, password(name), role, at=FIXED_NOW)
    engine.dispose()


@pytest.fixture
def sessions(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    master_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[sessionmaker[Session]]:
    """A copy of the demo master data's store; a test that asks for ``staff`` gets the store with
    the four users added once per run (each user's scrypt hash is a noticeable moment of CPU)."""
    template = master_template
    if "staff" in request.fixturenames:
        template = built_once(tmp_path_factory, "desk-actions-staff", partial(_add_staff, master_template))
        template /= "gateway.db"
    yield from copy_of(template, tmp_path / "gateway.db")


@pytest.fixture
def intake(sessions: sessionmaker[Session], partners: PartnerRegistry) -> Pipeline:
    return Pipeline(sessions, partners, clock=lambda: FIXED_NOW, erp_kind=ERP)


@pytest.fixture
def order_desk(partners: PartnerRegistry) -> OrderDesk:
    return OrderDesk(partners, erp_kind=ERP, clock=lambda: FIXED_NOW)


@pytest.fixture
def staff(sessions: sessionmaker[Session]) -> dict[str, DeskUser]:
    """The four users ``sessions`` holds (added by ``desk.add_user`` at FIXED_NOW)."""
    with sessions() as session:
        found = {name: desk.find_user(session, name) for name, _ in STAFF}
    assert all(user is not None for user in found.values()), found
    return {name: user for name, user in found.items() if user is not None}


def acme(tmp_path: Path, po: str, control: str, *changes: tuple[bytes, bytes]) -> Path:
    """The demo acme 850 under another PO and interchange number (same lengths), with ``changes``."""
    assert len(po) == 10 and len(control) == 9
    return acme_850(tmp_path, po, control, *changes, name=f"{po}.edi")


Held = Callable[..., int]


@pytest.fixture
def held_order(intake: Pipeline, tmp_path: Path) -> Held:
    """``held_order(po, control, *changes)``: the acme 850 under that PO and interchange, with ``changes``,
    ingested and held for the desk (``exception_order``); returns the order's id."""
    return lambda po, control, *changes: exception_order(intake, acme(tmp_path, po, control, *changes))


def exception_order(intake: Pipeline, path: Path, **kw: str) -> int:
    return only_order(intake.sessions, intake.ingest_path(path, **kw).order_ids, status="exception").id


def sent_twice(
    intake: Pipeline, tmp_path: Path, first: tuple[str, str], again: tuple[str, str]
) -> tuple[int, int]:
    """The acme 850 as (PO, interchange) ``first``, accepted, then ``again``: the second order is held
    as a duplicate. Returns both order ids."""
    accepted = intake.ingest_path(acme(tmp_path, *first)).order_ids[0]
    resend = tmp_path / "resend"
    resend.mkdir()
    return accepted, exception_order(intake, acme(resend, *again))


def hold_credit(sessions: sessionmaker[Session], account: str = "C1001") -> None:
    """Put the customer ``account`` (acme's by default) on credit hold."""
    with sessions() as session, session.begin():
        session.execute(
            update(storage.CreditAccount).where(storage.CreditAccount.account == account).values(on_hold=True)
        )


def findings(sessions: sessionmaker[Session], order_id: int) -> list[storage.Finding]:
    with sessions() as session:
        return list(session.scalars(select(storage.Finding).where(storage.Finding.order_id == order_id)))


def outbox(sessions: sessionmaker[Session], order_id: int) -> list[storage.OutboundRecord]:
    with sessions() as session:
        return list(
            session.scalars(
                select(storage.OutboundRecord)
                .where(storage.OutboundRecord.order_id == order_id)
                .order_by(storage.OutboundRecord.id)
            )
        )


def history(sessions: sessionmaker[Session], order_id: int) -> list[storage.AuditEntry]:
    with sessions() as session:
        return desk.order_history(session, order_id)


def segments(content: bytes) -> list[list[str]]:
    return [s.strip().split("*") for s in content.decode().split("~") if s.strip()]


def test_fix_an_unknown_sku_from_the_suggestions_then_approve_sends_the_855_and_erp_payload(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040001", "000040001", UNKNOWN_ITEM)
    [unknown] = findings(sessions, order_id)
    assert unknown.code == "unknown_item" and unknown.line_no == "3"
    suggested = unknown.suggestions[0]["sku"]
    assert suggested == "NW-30555"
    assert outbox(sessions, order_id) == []  # an order in the queue gets no 855 yet
    stock_before = allocated(sessions, "NW-30555")

    picked = act(sessions, order_desk.pick_sku, order_id, 1, staff["alice"], line_no="3", sku=suggested)
    assert (picked.version, picked.status) == (2, "exception")
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])

    assert (approved.version, approved.status, approved.findings, approved.blocking) == (
        3,
        "accepted",
        [],
        [],
    )
    stored = order(sessions, order_id)
    assert stored.status == "accepted" and stored.decided_by == "alice"
    assert stored.decided_at is not None and stored.order_total == Decimal("544.80")
    assert findings(sessions, order_id) == []
    ack, payload = outbox(sessions, order_id)
    assert approved.outbound_ids == [ack.id, payload.id]
    assert (ack.kind, ack.status, ack.document_id) == ("855", "pending", stored.document_id)
    body = segments(ack.content)
    # another item than the buyer's: changed (AC), line 3 substituted (IS) with ours in the ACK,
    # while the PO1 echoes the item number the buyer sent
    assert next(s for s in body if s[0] == "BAK")[1:4] == ["00", "AC", "4500040001"]
    po1s = [s for s in body if s[0] == "PO1"]
    assert [s[7] for s in po1s] == ["NW-10042", "NW-20017", "NW-99001"]
    assert [s for s in body if s[0] == "ACK"][2] == ["ACK", "IS", "10", "EA", "", "", "", "VN", "NW-30555"]
    assert (payload.kind, payload.status) == (ERP, "pending")
    assert allocated(sessions, "NW-30555") - stock_before == 10
    with sessions() as session:
        line = session.scalars(
            select(storage.OrderLineRecord).where(
                storage.OrderLineRecord.order_id == order_id, storage.OrderLineRecord.line_no == "3"
            )
        ).one()
        assert (line.vendor_sku, line.sku) == ("NW-30555", "NW-30555")

    pick, approve = history(sessions, order_id)
    assert (pick.actor, pick.action, pick.at.replace(tzinfo=None)) == (
        "alice",
        "order.pick_sku",
        FIXED_NOW.replace(tzinfo=None),
    )
    assert pick.before == {"version": 1, "lines[3].vendor_sku": "NW-99001", "lines[3].sku": None}
    assert pick.after == {"version": 2, "lines[3].vendor_sku": "NW-30555", "lines[3].sku": "NW-30555"}
    assert approve.before is not None and approve.after is not None
    assert approve.before["status"] == "exception" and approve.after["status"] == "accepted"
    assert approve.before["findings"] == []  # the pick was checked at once: nothing held it any more
    assert approve.after["findings"] == [] and approve.after["decided_by"] == "alice"
    assert approve.after["outbound_ids"] == [ack.id, payload.id]


def test_a_sku_must_be_an_active_catalog_item(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040002", "000040002", UNKNOWN_ITEM)
    with pytest.raises(desk.InvalidChange, match=r"NW-77777.*not an active item"):
        act(sessions, order_desk.pick_sku, order_id, 1, staff["alice"], line_no="3", sku="NW-77777")
    with pytest.raises(desk.InvalidChange, match="no line 9"):
        act(sessions, order_desk.pick_sku, order_id, 1, staff["alice"], line_no="9", sku="NW-30555")
    picked = act(sessions, order_desk.pick_sku, order_id, 1, staff["alice"], line_no="3", sku="nw-30555")
    assert picked.version == 2  # the catalog's own spelling is stored
    assert order(sessions, order_id).canonical["lines"][2]["vendor_sku"] == "NW-30555"


def test_search_the_catalog_by_fragment_by_near_miss_and_by_customer_part(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
) -> None:
    order_id = held_order("4500040003", "000040003", UNKNOWN_ITEM)
    with sessions() as session:
        [hit] = order_desk.search_catalog(session, "hex key set", 5)
        assert (hit.sku, hit.description, hit.matched) == (
            "NW-30555",
            "HEX KEY SET METRIC",
            "HEX KEY SET METRIC",
        )
        near = order_desk.search_catalog(session, "NW-3O555", 5)
        assert near[0].sku == "NW-30555" and near[0].score >= 80
        assert order_desk.search_catalog(session, "NW-30555")[0].score == 100
        assert all(h.matched != "AC-778" for h in order_desk.search_catalog(session, "AC778", 3))
        by_part = order_desk.search_catalog(session, "AC778", 3, order_id=order_id)
        assert by_part[0].sku == "NW-10042" and by_part[0].matched == "AC-778"
        assert order_desk.search_catalog(session, "   ") == []
        with pytest.raises(desk.OrderNotFound):
            order_desk.search_catalog(session, "hex", order_id=999_999)


def test_correct_a_quantity_on_an_emailed_order_then_approve_queues_the_erp_payload_and_drafts_a_confirmation(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    order_id = exception_order(intake, EMAILS / "typed-lines.eml")
    pack, *warnings = sorted(findings(sessions, order_id), key=lambda f: f.code != "pack_multiple")
    assert (pack.code, pack.line_no, pack.expected) == ("pack_multiple", "5", "12")
    assert {(w.code, w.field, w.action) for w in warnings} <= {("missing_field", "po_date", "warn"),
                                                              ("missing_field", "unit_price", "warn")}  # fmt: skip
    for bad in ("0", "-3", "twelve", "1.23456"):
        with pytest.raises(desk.InvalidChange):
            act(sessions, order_desk.correct_quantity, order_id, 1, staff["alice"], line_no="5", quantity=bad)
    with pytest.raises(desk.InvalidChange, match="already the value"):
        act(sessions, order_desk.correct_quantity, order_id, 1, staff["alice"], line_no="5", quantity="10")

    fixed = act(
        sessions, order_desk.correct_quantity, order_id, 1, staff["alice"], line_no="5", quantity=Decimal(12)
    )
    approved = act(sessions, order_desk.approve, order_id, fixed.version, staff["alice"], note="called Jane")

    assert approved.status == "accepted"
    payload, draft = outbox(sessions, order_id)  # no 855 for an order that came by email
    assert payload.kind == ERP and approved.outbound_ids == [payload.id, draft.id]
    assert (draft.kind, draft.status) == ("email.reply", "draft")  # the confirmation, for the clerk to send
    assert order(sessions, order_id).decision_reason == "called Jane"
    correct, _ = history(sessions, order_id)
    assert correct.action == "order.correct_quantity"
    assert correct.before == {"version": 1, "lines[5].quantity": "10"}
    assert correct.after == {"version": 2, "lines[5].quantity": "12"}


def test_correct_a_unit_of_measure_changes_only_the_unit(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    order_id = exception_order(intake, EMAILS / "typed-lines.eml")
    with pytest.raises(desk.InvalidChange, match="unit of measure"):
        act(sessions, order_desk.correct_quantity, order_id, 1, staff["alice"], line_no="5", uom="E A")
    act(sessions, order_desk.correct_quantity, order_id, 1, staff["alice"], line_no="5", uom="ca")
    [entry] = history(sessions, order_id)
    assert entry.before == {"version": 1, "lines[5].uom": "EA"}
    assert entry.after == {"version": 2, "lines[5].uom": "CA"}
    line = next(x for x in order(sessions, order_id).canonical["lines"] if x["line_no"] == "5")
    assert line["quantity"] == {"value": "10", "uom": "CA"}
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert approved.status == "accepted"  # 10 cases of 12 is 120 each, whole packs


def test_correct_a_requested_date_then_approve(
    sessions: sessionmaker[Session],
    intake: Pipeline,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
    tmp_path: Path,
) -> None:
    path = acme(tmp_path, "4500040004", "000040004", (b"DTM*002*20261201", b"DTM*002*20261101"))
    order_id = exception_order(intake, path)
    assert [f.code for f in findings(sessions, order_id)] == ["date_past"]
    with pytest.raises(desk.InvalidChange, match="no date 001"):  # a cancel date is not added on the desk
        act(
            sessions,
            order_desk.correct_date,
            order_id,
            1,
            staff["alice"],
            qualifier="001",
            value=date(2026, 12, 1),
        )
    act(
        sessions,
        order_desk.correct_date,
        order_id,
        1,
        staff["alice"],
        qualifier="002",
        value=date(2026, 12, 1),
    )
    [entry] = history(sessions, order_id)
    assert (entry.before, entry.after) == (
        {"version": 1, "dates[002]": "2026-11-01"},
        {"version": 2, "dates[002]": "2026-12-01"},
    )
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert approved.status == "accepted"
    ack, _ = outbox(sessions, order_id)
    assert ack.kind == "855"
    assert "BAK*00*AC*4500040004" in ack.content.decode()  # the date differs from the buyer's
    assert order(sessions, order_id).canonical["dates"][0]["value"] == "2026-12-01"


def test_an_auto_fix_made_at_intake_still_shows_in_the_855_after_approval(
    sessions: sessionmaker[Session],
    intake: Pipeline,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
    tmp_path: Path,
) -> None:
    globex = (INBOX / "globex-GX-778812.edi").read_bytes()
    path = tmp_path / "globex.edi"  # 45 of a 12-pack is rounded up (globex's policy), the date is past
    path.write_bytes(
        globex.replace(b"PO1|1|48|", b"PO1|1|45|").replace(b"DTM|010|20261205", b"DTM|010|20261101")
    )
    order_id = exception_order(intake, path)
    assert {(f.code, f.action) for f in findings(sessions, order_id)} == {
        ("pack_multiple", "auto_fix"),
        ("date_past", "hold"),
    }
    act(
        sessions,
        order_desk.correct_date,
        order_id,
        1,
        staff["alice"],
        qualifier="010",
        value=date(2026, 12, 5),
    )
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert approved.status == "accepted"
    assert [(f["code"], f["action"]) for f in approved.findings] == [("pack_multiple", "auto_fix")]
    ack, _ = outbox(sessions, order_id)
    body = [s.strip().split("|") for s in ack.content.decode().split("~") if s.strip()]
    assert next(s for s in body if s[0] == "BAK")[2] == "AC"
    assert next(s for s in body if s[0] == "PO1")[2] == "45"  # as ordered
    assert next(s[1:3] for s in body if s[0] == "ACK") == ["IQ", "48"]  # as accepted


def test_approve_with_problems_left_keeps_the_order_and_returns_them_then_an_accepted_price_lets_it_go(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040005", "000040005", DEARER)
    still = act(sessions, order_desk.approve, order_id, 1, staff["alice"])
    assert (still.status, still.version) == ("exception", 2)
    [blocking] = still.blocking
    assert (blocking["code"], blocking["line_no"], blocking["received"]) == ("price_mismatch", "1", "4.95")
    assert outbox(sessions, order_id) == []
    stored = order(sessions, order_id)
    assert stored.status == "exception" and stored.decided_by is None
    [entry] = history(sessions, order_id)
    assert entry.after is not None
    assert entry.action == "order.approve" and "status" not in entry.after  # it did not change
    assert entry.after["findings"] == [{"code": "price_mismatch", "line_no": "1", "action": "hold"}]

    with pytest.raises(desk.InvalidChange, match="reason"):
        act(sessions, order_desk.accept_price, order_id, 2, staff["alice"], line_no="1", reason="  ")
    with pytest.raises(desk.InvalidChange, match=r"line 2 .* not held for a price difference"):
        act(sessions, order_desk.accept_price, order_id, 2, staff["alice"], line_no="2", reason="ok")
    act(
        sessions,
        order_desk.accept_price,
        order_id,
        2,
        staff["alice"],
        line_no="1",
        reason="promo agreed by phone",
    )
    approved = act(sessions, order_desk.approve, order_id, 3, staff["alice"])

    assert approved.status == "accepted" and approved.blocking == []
    [kept] = findings(sessions, order_id)
    assert (kept.code, kept.action, kept.severity) == ("price_mismatch", "warn", "warning")
    assert kept.details["override"]["reason"] == "promo agreed by phone"
    assert kept.details["override"]["by"] == "alice" and kept.details["override"]["was"] == "hold"
    ack, _ = outbox(sessions, order_id)
    body = segments(ack.content)
    assert next(s for s in body if s[0] == "BAK")[2] == "AD"  # the buyer's price, accepted as sent
    assert next(s for s in body if s[0] == "PO1")[4] == "4.95"
    accept = history(sessions, order_id)[1]
    assert accept.action == "order.accept_price"
    assert accept.before == {"version": 2, "lines[1].accepted_price": None}
    assert accept.after == {
        "version": 3,
        "lines[1].accepted_price": "4.95",
        "reason": "promo agreed by phone",
    }


def test_an_accepted_price_holds_only_for_that_price(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040006", "000040006", DEARER)
    act(sessions, order_desk.accept_price, order_id, 1, staff["alice"], line_no="1", reason="promo")
    with sessions() as session, session.begin():  # the customer's price changes again before approval
        stored = session.get(storage.PurchaseOrder, order_id)
        assert stored is not None
        canonical = dict(stored.canonical)
        canonical["lines"] = [dict(line) for line in canonical["lines"]]
        canonical["lines"][0]["unit_price"] = "5.95"
        stored.canonical = canonical
    still = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert still.status == "exception" and [f["received"] for f in still.blocking] == ["5.95"]


def test_only_credit_or_admin_release_a_credit_hold_then_a_clerk_approves(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    hold_credit(sessions)
    order_id = held_order("4500040007", "000040007")
    assert [f.code for f in findings(sessions, order_id)] == ["credit_hold"]
    with pytest.raises(
        desk.PermissionDenied, match=r"alice \(clerk\) may not release a credit hold.*credit or admin"
    ):
        act(sessions, order_desk.release_credit, order_id, 1, staff["alice"], reason="paid")
    with pytest.raises(desk.PermissionDenied):
        act(sessions, order_desk.approve, order_id, 1, staff["carol"])
    released = act(sessions, order_desk.release_credit, order_id, 1, staff["carol"], reason="cheque received")
    approved = act(sessions, order_desk.approve, order_id, released.version, staff["alice"])
    assert approved.status == "accepted"
    [kept] = findings(sessions, order_id)
    assert kept.code == "credit_hold" and kept.action == "warn"
    assert kept.details["override"] == {
        "reason": "cheque received",
        "by": "carol",
        "at": kept.details["override"]["at"],
        "was": "hold",
    }
    assert [row.kind for row in outbox(sessions, order_id)] == ["855", ERP]
    release = history(sessions, order_id)[0]
    assert (release.actor, release.action) == ("carol", "order.release_credit")
    assert release.after == {"version": 2, "credit_released": True, "reason": "cheque received"}


def test_an_admin_may_release_credit_and_nobody_may_without_a_hold(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040008", "000040008", UNKNOWN_ITEM)
    with pytest.raises(desk.InvalidChange, match="not held for a credit hold"):
        act(sessions, order_desk.release_credit, order_id, 1, staff["root"], reason="fine")
    hold_credit(sessions)
    held = held_order("4500040009", "000040009")
    assert act(sessions, order_desk.release_credit, held, 1, staff["root"], reason="ok").version == 2


def test_a_credit_limit_released_on_an_edi_order_of_a_partner_without_855s(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    order_id = exception_order(intake, INBOX / "initech-INI-2026-0042.edi")
    assert [f.code for f in findings(sessions, order_id)] == ["credit_limit"]
    still = act(sessions, order_desk.approve, order_id, 1, staff["alice"])
    assert [f["code"] for f in still.blocking] == ["credit_limit"]
    act(sessions, order_desk.release_credit, order_id, 2, staff["carol"], reason="limit raised next week")
    approved = act(sessions, order_desk.approve, order_id, 3, staff["alice"])
    assert approved.status == "accepted"
    assert [row.kind for row in outbox(sessions, order_id)] == [ERP]  # initech asks for a 999, no 855


def overrides(sessions: sessionmaker[Session], order_id: int) -> dict[str, storage.OrderOverride]:
    with sessions() as session:
        rows = session.scalars(
            select(storage.OrderOverride).where(storage.OrderOverride.order_id == order_id)
        )
        return {row.code: row for row in rows}


def test_a_credit_release_does_not_cover_an_order_a_clerk_then_made_bigger(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    """Issue 14, item 9: released at 133.00, the quantity raised from 100 to 1,000,000, then approved."""
    order_id = exception_order(intake, INBOX / "initech-INI-2026-0042.edi")
    [held] = findings(sessions, order_id)
    assert held.code == "credit_limit" and order(sessions, order_id).order_total == Decimal("133.00")
    released = act(sessions, order_desk.release_credit, order_id, 1, staff["carol"], reason="limit raised")
    kept = overrides(sessions, order_id)
    assert kept["credit_limit"].value == held.received  # the exposure the release covered
    assert kept["credit_limit"].order_total == kept["credit_hold"].order_total == Decimal("133.00")
    raised = act(
        sessions,
        order_desk.correct_quantity,
        order_id,
        released.version,
        staff["alice"],
        line_no="1",
        quantity="1000000",
    )
    still = act(sessions, order_desk.approve, order_id, raised.version, staff["alice"])
    assert still.status == "exception"
    [blocking] = still.blocking
    assert blocking["code"] == "credit_limit" and blocking["action"] == "hold"
    assert "850048.00" in blocking["message"]
    assert blocking["details"]["released"] == {
        "override_id": kept["credit_limit"].id,
        "by": "carol",
        "at": blocking["details"]["released"]["at"],
        "reason": "limit raised",
        "order_total": "133.00",
        "exposure": held.received,
    }
    assert order(sessions, order_id).status == "exception" and outbox(sessions, order_id) == []
    # the credit user sees the hold again, releases the new exposure, and then the order goes
    again = act(
        sessions, order_desk.release_credit, order_id, still.version, staff["carol"], reason="prepaid"
    )
    assert overrides(sessions, order_id)["credit_hold"].order_total == Decimal("850048.00")
    assert act(sessions, order_desk.approve, order_id, again.version, staff["alice"]).status == "accepted"


def test_a_credit_release_still_covers_an_order_made_smaller(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    order_id = exception_order(intake, INBOX / "initech-INI-2026-0042.edi")
    released = act(sessions, order_desk.release_credit, order_id, 1, staff["carol"], reason="limit raised")
    lowered = act(
        sessions,
        order_desk.correct_quantity,
        order_id,
        released.version,
        staff["alice"],
        line_no="2",
        quantity="1",
    )
    approved = act(sessions, order_desk.approve, order_id, lowered.version, staff["alice"])
    assert approved.status == "accepted", approved.blocking
    assert [(f["code"], f["action"]) for f in approved.findings] == [("credit_limit", "warn")]


def test_a_released_credit_hold_reopens_when_the_order_grows(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    hold_credit(sessions)
    order_id = held_order("4500040017", "000040017")
    released = act(sessions, order_desk.release_credit, order_id, 1, staff["carol"], reason="cheque received")
    line_no = order(sessions, order_id).canonical["lines"][0]["line_no"]
    quantity = Decimal(order(sessions, order_id).canonical["lines"][0]["quantity"]["value"])
    raised = act(
        sessions,
        order_desk.correct_quantity,
        order_id,
        released.version,
        staff["alice"],
        line_no=line_no,
        quantity=str(quantity * 10),
    )
    still = act(sessions, order_desk.approve, order_id, raised.version, staff["alice"])
    [hold] = [f for f in still.blocking if f["code"] == "credit_hold"]
    assert hold["details"]["released"]["reason"] == "cheque received"


def test_merge_a_duplicate_850_closes_it_without_sending_anything(
    sessions: sessionmaker[Session],
    intake: Pipeline,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
    tmp_path: Path,
) -> None:
    first, duplicate = sent_twice(intake, tmp_path, ("4500040010", "000040010"), ("4500040010", "000040011"))
    assert [f.code for f in findings(sessions, duplicate)] == ["duplicate_po"]
    with pytest.raises(desk.InvalidChange, match="itself"):
        act(sessions, order_desk.merge_duplicate, duplicate, 1, staff["alice"], into=duplicate)
    merged = act(sessions, order_desk.merge_duplicate, duplicate, 1, staff["alice"], reason="EDI resend")
    assert merged.status == "rejected" and merged.outbound_ids == []
    stored = order(sessions, duplicate)
    assert stored.duplicate_of == first and stored.decided_by == "alice"
    assert stored.decision_reason == f"duplicate of order {first} (PO 4500040010): EDI resend"
    assert (
        outbox(sessions, duplicate) == []
    )  # no rejecting 855 quoting the PO the partner already has an AD for
    [entry] = history(sessions, duplicate)
    assert entry.action == "order.merge_duplicate"
    assert entry.before is not None and entry.after is not None
    assert entry.before["status"] == "exception" and entry.before["duplicate_of"] is None
    assert entry.after["status"] == "rejected" and entry.after["duplicate_of"] == first


def test_a_duplicate_in_other_case_is_found_by_revalidation_and_merge(
    sessions: sessionmaker[Session],
    intake: Pipeline,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
    tmp_path: Path,
) -> None:
    first, duplicate = sent_twice(intake, tmp_path, ("B-77812-AA", "000040021"), ("b-77812-aa", "000040022"))
    with sessions() as session:
        page = order_page(session, order(sessions, duplicate))
        assert [o.id for o in page.duplicates] == [first], "the order screen lists it to merge into"
    still = act(sessions, order_desk.approve, duplicate, 1, staff["alice"])
    assert [f["code"] for f in still.blocking] == ["duplicate_po"], "re-validation sees it too"
    merged = act(sessions, order_desk.merge_duplicate, duplicate, still.version, staff["alice"])
    assert merged.status == "rejected" and order(sessions, duplicate).duplicate_of == first


def test_dismiss_a_duplicate_then_approve_a_pdf_order(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    intake.ingest_path(EMAILS / "pdf-attachment.eml")
    order_id = exception_order(intake, ROOT / "fixtures" / "pdfs" / "ruled-simple.pdf", partner="acme")
    assert [f.code for f in findings(sessions, order_id)] == ["duplicate_po"]
    with pytest.raises(desk.InvalidChange, match="reason"):
        act(sessions, order_desk.dismiss_duplicate, order_id, 1, staff["alice"], reason="")
    act(sessions, order_desk.dismiss_duplicate, order_id, 1, staff["alice"], reason="a second, real order")
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert approved.status == "accepted"
    [kept] = findings(sessions, order_id)
    assert kept.code == "duplicate_po" and kept.action == "warn"
    assert [row.kind for row in outbox(sessions, order_id)] == [
        ERP,
        "email.reply",
    ]  # and the draft confirmation


def test_an_order_is_not_its_own_duplicate_when_approved(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040012", "000040012", UNKNOWN_ITEM)
    act(sessions, order_desk.pick_sku, order_id, 1, staff["alice"], line_no="3", sku="NW-30555")
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert "duplicate_po" not in {f["code"] for f in approved.findings}


def test_reject_an_edi_order_sends_a_rejecting_855_with_the_reason(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040013", "000040013", UNKNOWN_ITEM)
    with pytest.raises(desk.InvalidChange, match="reason"):
        act(sessions, order_desk.reject, order_id, 1, staff["alice"], reason="")
    rejected = act(sessions, order_desk.reject, order_id, 1, staff["alice"], reason="item discontinued")
    assert rejected.status == "rejected"
    [ack] = outbox(sessions, order_id)
    assert rejected.outbound_ids == [ack.id] and (ack.kind, ack.status) == ("855", "pending")
    body = segments(ack.content)
    assert next(s for s in body if s[0] == "BAK")[1:4] == ["00", "RD", "4500040013"]
    assert {s[1] for s in body if s[0] == "ACK"} == {"IR"}
    messages = [s[1] for s in body if s[0] == "MSG"]
    assert messages[0] == "item discontinued" and "NW-99001" in messages[1]
    stored = order(sessions, order_id)
    assert (stored.status, stored.decided_by, stored.decision_reason) == (
        "rejected",
        "alice",
        "item discontinued",
    )
    [entry] = history(sessions, order_id)
    assert entry.action == "order.reject"
    assert entry.before == {
        "version": 1,
        "status": "exception",
        "decided_by": None,
        "decided_at": None,
        "decision_reason": None,
    }
    assert entry.after is not None
    assert entry.after["status"] == "rejected" and entry.after["decision_reason"] == "item discontinued"
    assert entry.after["outbound_ids"] == [ack.id]


def test_reject_an_emailed_order_drafts_a_reply_to_the_sender(
    sessions: sessionmaker[Session], intake: Pipeline, order_desk: OrderDesk, staff: dict[str, DeskUser]
) -> None:
    order_id = exception_order(intake, EMAILS / "typed-lines.eml")
    rejected = act(
        sessions, order_desk.reject, order_id, 1, staff["bob"], reason="we no longer sell single units"
    )
    [draft] = outbox(sessions, order_id)
    assert rejected.outbound_ids == [draft.id]
    assert (draft.kind, draft.status, draft.partner) == ("email.reply", "draft", "acme")
    message = email.message_from_bytes(draft.content, policy=policy.default)
    assert message["To"] == "orders@acme-retail.example"
    assert message["Subject"] == "Re: PO 778812"
    assert message["In-Reply-To"] == "<order-for-next-week@mail.example>"
    body = message.get_content()
    assert "purchase order 778812" in body
    assert "Reason: we no longer sell single units" in body
    assert "- line 5: 10 EA of NW-10042 is not a multiple of its pack of 12" in body


def test_two_clerks_on_one_order_the_second_is_told_who_changed_it(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040014", "000040014", UNKNOWN_ITEM)
    seen_by_alice = seen_by_bob = order(sessions, order_id).version
    act(sessions, order_desk.pick_sku, order_id, seen_by_alice, staff["alice"], line_no="3", sku="NW-30555")
    with pytest.raises(desk.StaleOrder) as stale:
        act(sessions, order_desk.pick_sku, order_id, seen_by_bob, staff["bob"], line_no="3", sku="NW-40001")
    assert str(stale.value) == (
        f"order {order_id} was changed by alice at 2026-11-23 09:30:00 UTC since you opened it "
        "(you saw version 1, it is now version 2); reload it and make your change again"
    )
    assert (stale.value.expected, stale.value.current, stale.value.changed_by) == (1, 2, "alice")
    with pytest.raises(desk.StaleOrder):
        act(sessions, order_desk.reject, order_id, seen_by_bob, staff["bob"], reason="no")
    stored = order(sessions, order_id)
    assert stored.version == 2 and stored.status == "exception"
    assert stored.canonical["lines"][2]["vendor_sku"] == "NW-30555"  # alice's change stands
    assert [e.actor for e in history(sessions, order_id)] == ["alice"]


def test_roles_disabled_users_and_decided_orders_are_refused(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040015", "000040015", UNKNOWN_ITEM)
    carol = staff["carol"]
    for action, kw in (
        (order_desk.pick_sku, {"line_no": "3", "sku": "NW-30555"}),
        (order_desk.correct_quantity, {"line_no": "1", "quantity": "12"}),
        (order_desk.correct_date, {"qualifier": "002", "value": date(2026, 12, 2)}),
        (order_desk.accept_price, {"line_no": "1", "reason": "x"}),
        (order_desk.dismiss_duplicate, {"reason": "x"}),
        (order_desk.merge_duplicate, {}),
        (order_desk.approve, {}),
        (order_desk.reject, {"reason": "x"}),
    ):
        with pytest.raises(desk.PermissionDenied, match=r"carol \(credit\) may not"):
            act(sessions, action, order_id, 1, carol, **kw)
    with sessions() as session, session.begin():
        session.execute(
            update(storage.DeskUser).where(storage.DeskUser.username == "bob").values(disabled=True)
        )
        bob = desk.find_user(session, "bob")
    with pytest.raises(desk.PermissionDenied, match="bob is disabled"):
        act(sessions, order_desk.approve, order_id, 1, bob)
    with pytest.raises(desk.OrderNotFound):
        act(sessions, order_desk.approve, 999_999, 1, staff["alice"])
    act(sessions, order_desk.reject, order_id, 1, staff["root"], reason="customer cancelled by phone")
    with pytest.raises(desk.NotInException, match="is rejected, not in exception"):
        act(sessions, order_desk.pick_sku, order_id, 2, staff["alice"], line_no="3", sku="NW-30555")
    assert order(sessions, order_id).version == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0011_gives_earlier_credit_releases_what_they_covered(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, partners: PartnerRegistry
) -> None:
    """A release made before 0011 (no order total, no exposure) covers what its findings showed,
    on SQLite and PostgreSQL; 0011 also downgrades."""
    url = store_url(backend, request, tmp_path, "migration_0011", seeded=True)
    engine = storage.make_engine(url)
    try:
        sessions, users = staffed_store(engine, {"carol": "credit", "alice": "clerk"}, at=FIXED_NOW)
        carol, alice = users["carol"], users["alice"]
        intake = Pipeline(sessions, partners, clock=lambda: FIXED_NOW, erp_kind=ERP)
        order_desk = OrderDesk(partners, erp_kind=ERP, clock=lambda: FIXED_NOW)
        order_id = exception_order(intake, INBOX / "initech-INI-2026-0042.edi")
        act(sessions, order_desk.release_credit, order_id, 1, carol, reason="limit raised")
        with sessions() as session, session.begin():  # as 0010 stored it
            session.execute(update(storage.OrderOverride).values(order_total=None, value=None))
        config = Config()
        config.set_main_option("script_location", str(Path(storage.__file__).parent / "migrations"))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            alembic_command.downgrade(config, "0010")
        storage.upgrade(engine)
        kept = overrides(sessions, order_id)
        assert (kept["credit_limit"].value, kept["credit_limit"].order_total) == (
            "5033.00",
            Decimal("133.00"),
        )
        assert (kept["credit_hold"].value, kept["credit_hold"].order_total) == (None, Decimal("133.00"))
        assert act(sessions, order_desk.approve, order_id, 2, alice).status == "accepted"
    finally:
        engine.dispose()


def priced_lines_850(po: str, control: str, count: int) -> bytes:
    """The demo acme 850 with ``count`` lines of catalog items (whole packs, in stock), each priced 25 % over list."""
    header = ACME.replace(b"4500012345", po.encode()).replace(b"000001001", control.encode()).decode()
    head, tail = header[: header.index("PO1*1*")], header[header.index("CTT*") :]
    stock: dict[str, int] = {}
    for row in (ROOT / "fixtures" / "master" / "inventory.csv").read_text().splitlines()[1:]:
        sku, _, on_hand, taken = row.split(",")
        stock[sku] = stock.get(sku, 0) + int(Decimal(on_hand) - Decimal(taken))
    segments_out: list[str] = []
    total = Decimal(0)
    for row in (ROOT / "fixtures" / "master" / "products.csv").read_text().splitlines()[1:]:
        sku, description, _, uom, pack, price, _ = row.split(",")
        small = Decimal(pack) * Decimal(price) <= 200  # 80 lines stay inside acme's credit limit
        if uom != "EA" or not small or stock.get(sku, 0) < 100 or len(segments_out) // 2 >= count:
            continue
        quantity, unit_price = (
            int(Decimal(pack)),
            (Decimal(price) * Decimal("1.25")).quantize(Decimal("0.01")),
        )
        number = len(segments_out) // 2 + 1
        segments_out += [f"PO1*{number}*{quantity}*EA*{unit_price}*PE*VN*{sku}", f"PID*F****{description}"]
        total += quantity * unit_price
    assert len(segments_out) == 2 * count
    body = "".join(f"{s}~\n" for s in segments_out)
    tail = re.sub(r"CTT\*\d+", f"CTT*{count}", tail)
    tail = re.sub(r"AMT\*TT\*[\d.]+", f"AMT*TT*{total}", tail)
    text = head + body + tail
    st = text.index("ST*850")
    segment_count = len([s for s in text[st:].split("~") if s.strip()][: text[st:].count("~")]) - 2  # GE, IEA
    text = re.sub(r"SE\*\d+\*", f"SE*{segment_count}*", text)
    return text.encode()


def test_every_customer_price_on_an_order_is_accepted_in_one_action_with_one_reason(
    sessions: sessionmaker[Session],
    intake: Pipeline,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
    tmp_path: Path,
) -> None:
    path = tmp_path / "many.edi"
    path.write_bytes(priced_lines_850("4500040080", "000040080", 80))
    order_id = exception_order(intake, path)
    held = [f for f in findings(sessions, order_id) if f.action == "hold"]
    assert [(f.code, f.message) for f in held if f.code != "price_mismatch"] == []
    assert len(held) == 80
    with pytest.raises(desk.InvalidChange, match="reason"):
        act(sessions, order_desk.accept_all_prices, order_id, 1, staff["alice"], reason=" ")
    with pytest.raises(desk.PermissionDenied):
        act(sessions, order_desk.accept_all_prices, order_id, 1, staff["carol"], reason="promo")

    accepted = act(sessions, order_desk.accept_all_prices, order_id, 1, staff["alice"], reason="spring promo")

    # one audited action, and the findings re-evaluated at once: nothing holds the order any more
    assert (accepted.version, accepted.status, accepted.blocking) == (2, "exception", [])
    [entry] = history(sessions, order_id)
    assert entry.action == "order.accept_prices" and entry.after is not None
    assert entry.after["reason"] == "spring promo"
    assert len([k for k in entry.after if k.endswith(".accepted_price")]) == 80
    now = findings(sessions, order_id)
    assert len(now) == 80 and {(f.code, f.action) for f in now} == {("price_mismatch", "warn")}
    assert all(f.details["override"]["reason"] == "spring promo" for f in now)
    with pytest.raises(desk.InvalidChange, match="no price difference holds"):
        act(sessions, order_desk.accept_all_prices, order_id, 2, staff["alice"], reason="again")
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert approved.status == "accepted"


def test_a_fix_re_evaluates_the_findings_at_once_without_approving(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040081", "000040081", UNKNOWN_ITEM, DEARER)
    assert {(f.code, f.line_no, f.action) for f in findings(sessions, order_id)} == {
        ("unknown_item", "3", "hold"),
        ("price_mismatch", "1", "hold"),
    }
    picked = act(sessions, order_desk.pick_sku, order_id, 1, staff["alice"], line_no="3", sku="NW-30555")
    assert [(f["code"], f["line_no"]) for f in picked.blocking] == [("price_mismatch", "1")]
    assert {(f.code, f.action) for f in findings(sessions, order_id)} == {("price_mismatch", "hold")}
    stored = order(sessions, order_id)
    assert (stored.status, stored.decided_by) == ("exception", None)  # not approved
    assert outbox(sessions, order_id) == []
    [pick] = history(sessions, order_id)
    assert pick.after == {"version": 2, "lines[3].vendor_sku": "NW-30555", "lines[3].sku": "NW-30555"}


def test_a_parse_finding_still_holds_after_a_fix_until_someone_approves(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040082", "000040082", DEARER)
    with sessions() as session, session.begin():
        stored = session.get(storage.PurchaseOrder, order_id)
        assert stored is not None
        session.add(
            storage.Finding(
                order_id=order_id,
                document_id=stored.document_id,
                code="low_confidence",
                severity="error",
                action="hold",
                message="line 2: the quantity was read with 41 % confidence",
                field="quantity",
                line_no="2",
                suggestions=[],
                details={},
                created_at=FIXED_NOW,
            )
        )
    accepted = act(sessions, order_desk.accept_price, order_id, 1, staff["alice"], line_no="1", reason="ok")
    assert [(f["code"], f["action"]) for f in accepted.blocking] == [("low_confidence", "hold")]
    assert {(f.code, f.action) for f in findings(sessions, order_id)} == {
        ("low_confidence", "hold"),  # only the clerk who approves has reviewed the values
        ("price_mismatch", "warn"),
    }
    approved = act(sessions, order_desk.approve, order_id, 2, staff["alice"])
    assert approved.status == "accepted"


def test_the_top_suggestions_over_a_score_and_every_pack_rounded_are_one_action_each(
    sessions: sessionmaker[Session],
    held_order: Held,
    order_desk: OrderDesk,
    staff: dict[str, DeskUser],
) -> None:
    order_id = held_order("4500040083", "000040083", UNKNOWN_ITEM, (b"PO1*1*24*", b"PO1*1*25*"))
    held = {f.code: f for f in findings(sessions, order_id) if f.action == "hold"}
    assert set(held) == {"unknown_item", "pack_multiple"}
    score = float(held["unknown_item"].suggestions[0]["score"])
    with pytest.raises(desk.InvalidChange, match=r"no unknown item .* scoring"):
        act(sessions, order_desk.use_top_suggestions, order_id, 1, staff["alice"], min_score=score + 0.5)
    with pytest.raises(desk.InvalidChange, match="0 to 100"):
        act(sessions, order_desk.use_top_suggestions, order_id, 1, staff["alice"], min_score=101)
    used = act(sessions, order_desk.use_top_suggestions, order_id, 1, staff["alice"], min_score=score)
    assert [f["code"] for f in used.blocking] == ["pack_multiple"]
    rounded = act(sessions, order_desk.round_packs, order_id, 2, staff["alice"])
    assert (rounded.version, rounded.blocking) == (3, [])
    with pytest.raises(desk.InvalidChange, match="no quantity"):
        act(sessions, order_desk.round_packs, order_id, 3, staff["alice"])
    use, round_up = history(sessions, order_id)
    assert (use.action, use.after) == (
        "order.use_suggestions",
        {"version": 2, "lines[3].vendor_sku": "NW-30555", "lines[3].sku": "NW-30555"},
    )
    assert (round_up.action, round_up.before, round_up.after) == (
        "order.round_packs",
        {"version": 2, "lines[1].quantity": "25"},
        {"version": 3, "lines[1].quantity": "36"},
    )
    assert act(sessions, order_desk.approve, order_id, 3, staff["alice"]).status == "accepted"
