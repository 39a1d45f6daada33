"""The order desk deciding a partner's change or cancellation that waits on it: what the partner, the
stock, the credit and each ERP (NetSuite, Business Central, our own format; where the ERP hears a
change or cancel, the five that look the order up first too) hear.

A change to an order the ERP has that no longer validates waits on the desk while the version in
force keeps its stock. Rejecting the change puts that version back (the ERP hears nothing: its order
is as it was); rejecting the whole order releases its stock and sends the ERP its cancel; approving
sends the ERP its update and keeps exactly the stock the order needs. A cancellation held for the
desk (the order had shipped) cancels the original when approved, in the ERP too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import Engine
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import desk
from gateway import storage
from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.storage import DeskUser
from parsers.x12 import MAP_DIR
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import allocated
from tests.desk._orders import act
from tests.desk._orders import stored_order as stored
from tests.inbound.test_order_changes import ACME_TOTAL
from tests.inbound.test_order_changes import acme
from tests.inbound.test_order_changes import exposure
from tests.inbound.test_order_changes import po_change
from tests.servers.postgres import store_url
from tests.web.test_web_desk_support import password
from tests.x12.test_acks import pyx12_check

ERPS = ("erp.netsuite", "erp.business_central", "erp.canonical")
# The five that find the order by its PO first (emitters._erp.find_one), then update or cancel it.
LOOKED_UP = (
    "erp.sap_business_one",
    "erp.quickbooks_online",
    "erp.sage_intacct",
    "erp.fortnox",
    "erp.visma_net",
)
PRICE = (b"PO1*1*24*EA*4.50*", b"PO1*1*24*EA*9.99*")  # a price the agreement does not give: held


def ingest(flow: Pipeline, path: Path, *replace: tuple[bytes, bytes]) -> list[int]:
    data = path.read_bytes()
    for old, new in replace:
        assert old in data
        data = data.replace(old, new)
    path.write_bytes(data)
    return flow.ingest_path(path).order_ids


def clerk(sessions: sessionmaker[Session]) -> DeskUser:
    with sessions() as session, session.begin():
        return desk.add_user(session, "alice", password("alice"), "clerk", at=FIXED_NOW)


def outbox(sessions: sessionmaker[Session], order_id: int, prefix: str) -> list[storage.OutboundRecord]:
    with sessions() as session:
        return list(
            session.scalars(
                select(storage.OutboundRecord)
                .where(storage.OutboundRecord.order_id == order_id, storage.OutboundRecord.kind.like(prefix))
                .order_by(storage.OutboundRecord.id)
            )
        )


def bak(sessions: sessionmaker[Session], order_id: int) -> list[str]:
    """The BAK of the order's last 855, checked against the 855 map."""
    content = outbox(sessions, order_id, "855")[-1].content
    assert pyx12_check(content, MAP_DIR) == (True, [])
    return next(s.split("*") for s in content.decode().split("~") if s.strip().startswith("BAK"))[1:4]


def held_change(
    sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str, po: str
) -> tuple[Pipeline, OrderDesk, int]:
    """The acme order accepted (its ERP create queued), then a change of its line 1 price to one the
    agreement does not give: the change waits on the desk."""
    flow = Pipeline(sessions, partners, clock=lambda: FIXED_NOW, erp_kind=kind)
    [order_id] = ingest(flow, acme(tmp_path, po, "000006001"))
    [same] = ingest(flow, acme(tmp_path, po, "000006002", purpose="04"), PRICE)
    assert same == order_id and stored(sessions, order_id).status == "exception"
    return flow, OrderDesk(partners, erp_kind=kind, clock=lambda: FIXED_NOW), order_id


def test_a_held_change_keeps_the_stock_of_the_version_in_force(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """While the desk decides, the ERP's order (the version before the change) still stands."""
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    _, _, order_id = held_change(master_sessions, partners, tmp_path, "erp.canonical", "4500060001")
    assert allocated(master_sessions, "NW-10042") - stock == 24
    assert stored(master_sessions, order_id).allocations == {
        "NW-10042": "24",
        "NW-20017": "6",
        "NW-30555": "10",
    }
    assert exposure(master_sessions) == credit  # held: it does not count until decided


@pytest.mark.parametrize("kind", ERPS)
def test_rejecting_a_held_change_puts_back_the_version_in_force_and_tells_the_erp_nothing(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    _, order_desk, order_id = held_change(master_sessions, partners, tmp_path, kind, "4500060002")
    before = stored(master_sessions, order_id).version

    outcome = act(
        master_sessions, order_desk.reject, order_id, before, clerk(master_sessions), reason="price"
    )

    order = stored(master_sessions, order_id)
    assert outcome.status == order.status == "accepted" and order.decided_by == "alice"
    assert order.canonical["lines"][0]["unit_price"] == "4.50" and order.order_total == ACME_TOTAL
    assert (
        allocated(master_sessions, "NW-10042") - stock == 24
        and exposure(master_sessions) - credit == ACME_TOTAL
    )
    assert [row.kind for row in outbox(master_sessions, order_id, "erp.%")] == [kind]  # the create only
    assert bak(master_sessions, order_id) == ["04", "RD", "4500060002"]  # the change is refused
    with master_sessions() as session:
        codes = {
            f.code
            for f in session.scalars(select(storage.Finding).where(storage.Finding.order_id == order_id))
        }
        assert "order_changed" not in codes and "price_mismatch" not in codes
        [entry] = [e for e in desk.order_history(session, order_id) if e.action == "order.reject_change"]
    assert entry.after is not None and entry.after["status"] == "accepted"


@pytest.mark.parametrize("kind", [*ERPS, *LOOKED_UP])
def test_rejecting_the_whole_order_of_a_held_change_cancels_it_in_the_erp(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    _, order_desk, order_id = held_change(master_sessions, partners, tmp_path, kind, "4500060003")
    version = stored(master_sessions, order_id).version

    act(
        master_sessions,
        order_desk.reject,
        order_id,
        version,
        clerk(master_sessions),
        reason="no",
        whole_order=True,
    )

    order = stored(master_sessions, order_id)
    assert order.status == "rejected" and order.allocations is None
    assert allocated(master_sessions, "NW-10042") == stock and exposure(master_sessions) == credit
    create, cancel = outbox(master_sessions, order_id, "erp.%")
    assert create.kind == cancel.kind == kind and create.idempotency_key != cancel.idempotency_key
    if kind == "erp.netsuite":
        assert cancel.erp_request is not None and cancel.erp_request["method"] == "PATCH"
        assert {line["isClosed"] for line in json.loads(cancel.content)["item"]["items"]} == {True}
    elif kind == "erp.business_central":
        assert cancel.erp_request is not None and cancel.erp_request["method"] == "DELETE"
    elif kind in LOOKED_UP:  # found by its PO and customer, then the vendor's own cancel
        assert cancel.erp_request is not None and "4500060003" in cancel.erp_request["find"]["what"]
    else:
        assert json.loads(cancel.content)["action"] == "cancel"
    assert bak(master_sessions, order_id) == ["00", "RD", "4500060003"]


@pytest.mark.parametrize("kind", [*ERPS, *LOOKED_UP])
def test_approving_a_held_change_updates_the_erp_and_keeps_exactly_the_stock_it_needs(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    _, order_desk, order_id = held_change(master_sessions, partners, tmp_path, kind, "4500060004")
    alice = clerk(master_sessions)
    version = stored(master_sessions, order_id).version
    accepted = act(
        master_sessions, order_desk.accept_price, order_id, version, alice, line_no="1", reason="agreed"
    )

    approved = act(master_sessions, order_desk.approve, order_id, accepted.version, alice)

    order = stored(master_sessions, order_id)
    assert approved.status == order.status == "accepted" and order.superseded is None
    assert allocated(master_sessions, "NW-10042") - stock == 24  # not 48: no second allocation
    assert exposure(master_sessions) - credit == ACME_TOTAL + 24 * (Decimal("9.99") - Decimal("4.50"))
    create, *change = outbox(master_sessions, order_id, "erp.%")
    if kind == "erp.netsuite":  # the ERP's update of the order it has, never a second create
        assert [row.erp_request["method"] for row in change if row.erp_request] == ["PATCH"]
    elif kind == "erp.business_central":  # deleted and created again as it now is
        assert [row.erp_request["method"] if row.erp_request else "POST" for row in change] == [
            "DELETE",
            "POST",
        ]
    elif kind in LOOKED_UP:  # found by its PO and customer, then the vendor's own update
        assert [bool(row.erp_request and row.erp_request["find"]) for row in change] == [True]
    else:
        assert [json.loads(row.content)["action"] for row in change] == ["update"]
    assert change[-1].content != create.content
    assert bak(master_sessions, order_id) == ["04", "AD", "4500060004"]  # the price as the buyer sent it


def test_a_held_change_answered_by_865_is_refused_by_an_865(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    acme_profile = partners.get("acme")
    assert acme_profile is not None
    registry = PartnerRegistry(
        [
            *(p for p in partners if p.name != "acme"),
            acme_profile.model_copy(update={"acks": ["997", "855", "865"]}),
        ]
    )
    flow = Pipeline(master_sessions, registry, clock=lambda: FIXED_NOW, erp_kind="erp.canonical")
    [order_id] = ingest(flow, acme(tmp_path, "4500060005", "000006005"))
    flow.ingest_path(
        po_change(
            tmp_path, "4500060005", "000006006", "004010", ["04", "POC*1*PC*24*24*EA*9.99**VN*NW-10042"]
        )
    )
    order_desk = OrderDesk(registry, erp_kind="erp.canonical", clock=lambda: FIXED_NOW)
    version = stored(master_sessions, order_id).version

    act(master_sessions, order_desk.reject, order_id, version, clerk(master_sessions), reason="price")

    [ack] = outbox(master_sessions, order_id, "865")
    assert pyx12_check(ack.content, MAP_DIR) == (True, []) and b"BCA*04*RD*4500060005" in ack.content
    assert stored(master_sessions, order_id).status == "accepted"


def shipped_then_cancelled(
    sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str, po: str
) -> tuple[OrderDesk, int, int]:
    flow = Pipeline(sessions, partners, clock=lambda: FIXED_NOW, erp_kind=kind)
    [original] = ingest(flow, acme(tmp_path, po, "000006011"))
    with sessions() as session, session.begin():
        session.execute(
            update(storage.PurchaseOrder)
            .where(storage.PurchaseOrder.id == original)
            .values(invoiced_at=datetime(2026, 11, 21))
        )
    [held] = ingest(flow, acme(tmp_path, po, "000006012", purpose="01"))
    assert held != original and stored(sessions, held).status == "exception"
    return OrderDesk(partners, erp_kind=kind, clock=lambda: FIXED_NOW), original, held


@pytest.mark.parametrize("kind", ERPS)
def test_approving_a_held_cancellation_cancels_the_original_in_the_erp(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    stock = allocated(master_sessions, "NW-10042")
    order_desk, original, held = shipped_then_cancelled(
        master_sessions, partners, tmp_path, kind, "4500060006"
    )
    assert allocated(master_sessions, "NW-10042") - stock == 24

    approved = act(master_sessions, order_desk.approve, held, 1, clerk(master_sessions))

    assert approved.status == stored(master_sessions, held).status == "cancelled"
    assert stored(master_sessions, original).status == "cancelled"
    assert allocated(master_sessions, "NW-10042") == stock
    assert outbox(master_sessions, held, "erp.%") == []  # never a sales order of its own
    create, cancel = outbox(master_sessions, original, "erp.%")
    assert create.kind == cancel.kind == kind and create.idempotency_key != cancel.idempotency_key
    assert cancel.erp_request is not None or json.loads(cancel.content)["action"] == "cancel"
    assert bak(master_sessions, original) == ["01", "AT", "4500060006"]


@pytest.mark.parametrize("kind", ERPS)
def test_rejecting_a_held_cancellation_leaves_the_original_and_the_erp_alone(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    stock = allocated(master_sessions, "NW-10042")
    order_desk, original, held = shipped_then_cancelled(
        master_sessions, partners, tmp_path, kind, "4500060007"
    )

    act(master_sessions, order_desk.reject, held, 1, clerk(master_sessions), reason="it has shipped")

    assert stored(master_sessions, held).status == "rejected"
    assert stored(master_sessions, original).status == "accepted"
    assert allocated(master_sessions, "NW-10042") - stock == 24
    assert (
        outbox(master_sessions, held, "erp.%") == [] and len(outbox(master_sessions, original, "erp.%")) == 1
    )
    assert bak(master_sessions, held) == ["01", "RD", "4500060007"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A store at the newest schema with the demo master data, on each backend."""
    url = store_url(request.param, request, tmp_path, f"desk_stock_{uuid4().hex[:12]}", seeded=True)
    engine: Engine = storage.make_engine(url)
    yield storage.make_sessionmaker(engine)
    engine.dispose()


def test_desk_decisions_on_an_order_holding_stock_release_or_keep_it_in_one_transaction(
    store: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """Three held changes: one approved keeps exactly its stock, one whose change is rejected keeps it,
    one rejected whole gives it back; credit follows the status in the same commit."""
    stock, credit = allocated(store, "NW-10042"), exposure(store)
    ids = [held_change(store, partners, tmp_path, "erp.canonical", f"450006010{n}")[2] for n in range(3)]
    order_desk = OrderDesk(partners, erp_kind="erp.canonical", clock=lambda: FIXED_NOW)
    alice = clerk(store)
    assert allocated(store, "NW-10042") - stock == 72 and exposure(store) == credit

    price = act(
        store, order_desk.accept_price, ids[0], stored(store, ids[0]).version, alice, line_no="1", reason="ok"
    )
    act(store, order_desk.approve, ids[0], price.version, alice)
    assert allocated(store, "NW-10042") - stock == 72
    act(store, order_desk.reject, ids[1], stored(store, ids[1]).version, alice, reason="no")
    assert allocated(store, "NW-10042") - stock == 72
    act(store, order_desk.reject, ids[2], stored(store, ids[2]).version, alice, reason="no", whole_order=True)

    assert allocated(store, "NW-10042") - stock == 48
    changed_total = ACME_TOTAL + 24 * (Decimal("9.99") - Decimal("4.50"))
    assert exposure(store) - credit == changed_total + ACME_TOTAL
    assert [stored(store, i).status for i in ids] == ["accepted", "accepted", "rejected"]


@pytest.mark.parametrize("kind", ERPS)
def test_a_change_validation_rejects_is_refused_and_the_version_in_force_stands(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    """A partner whose policy rejects a price difference: the change is refused (855 BAK01 04 RD), the
    order stays as the ERP has it, with its stock and credit, and the ERP hears nothing."""
    acme_profile = partners.get("acme")
    assert acme_profile is not None
    policy = acme_profile.validation.model_copy(update={"actions": {"price_mismatch": "reject"}})
    registry = PartnerRegistry(
        [*(p for p in partners if p.name != "acme"), acme_profile.model_copy(update={"validation": policy})]
    )
    stock, credit = allocated(master_sessions, "NW-10042"), exposure(master_sessions)
    flow = Pipeline(master_sessions, registry, clock=lambda: FIXED_NOW, erp_kind=kind)
    [order_id] = ingest(flow, acme(tmp_path, "4500060201", "000006201"))

    [same] = ingest(flow, acme(tmp_path, "4500060201", "000006202", purpose="04"), PRICE)

    order = stored(master_sessions, order_id)
    assert same == order_id and order.status == "accepted" and order.superseded is None
    assert order.canonical["lines"][0]["unit_price"] == "4.50" and order.order_total == ACME_TOTAL
    assert (
        allocated(master_sessions, "NW-10042") - stock == 24
        and exposure(master_sessions) - credit == ACME_TOTAL
    )
    assert [row.kind for row in outbox(master_sessions, order_id, "erp.%")] == [kind]
    assert bak(master_sessions, order_id) == ["04", "RD", "4500060201"]
    with master_sessions() as session:
        [entry] = [e for e in desk.order_history(session, order_id) if e.action == "partner_change_refused"]
    assert entry.after is not None and "price_mismatch" in entry.after["findings"]
