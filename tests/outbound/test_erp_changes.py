"""A partner's change or cancellation reaches the ERP as that ERP's own update or cancel of the order it
has, through the outbox and delivery (idempotency keys, retries, dead letters), against a real HTTP
server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import ErpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import OutboxStatus
from gateway.outbound.delivery import deliver_due
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.inbound.test_order_changes import acme
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

T0 = FIXED_NOW
PO = "4500050001"


@pytest.fixture
def erp() -> Iterator[ErpServer]:
    server = ErpServer()
    yield server
    server.stop()


def pipeline(sessions: sessionmaker[Session], partners: PartnerRegistry, kind: str) -> Pipeline:
    return Pipeline(sessions, partners, clock=lambda: T0, erp_kind=kind)


def payloads(sessions: sessionmaker[Session]) -> list[storage.OutboundRecord]:
    with sessions() as session:
        return list(
            session.scalars(
                select(storage.OutboundRecord)
                .where(storage.OutboundRecord.kind.like("erp.%"))
                .order_by(storage.OutboundRecord.id)
            )
        )


def deliver(sessions: sessionmaker[Session], url: str, at: timedelta = timedelta(0)) -> tuple[int, int, int]:
    with httpx.Client() as client:
        report = deliver_due(sessions, ErpSettings(url=url, backoff_seconds=30), now=T0 + at, client=client)
    return report.delivered, report.retrying, report.dead


def accepted_then(
    sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str, purpose: str
) -> int:
    """The demo acme order accepted, then the partner's ``purpose`` (01 cancel, 04 change line 1 to 48)."""
    flow = pipeline(sessions, partners, kind)
    [order_id] = flow.ingest_path(acme(tmp_path, PO, "000005001")).order_ids
    flow.ingest_path(acme(tmp_path, PO, "000005002", purpose=purpose, line1="48"))
    return order_id


def test_netsuite_cancel_closes_every_line_of_the_sales_order_it_created(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    order_id = accepted_then(master_sessions, partners, tmp_path, "erp.netsuite", "01")
    create, cancel = payloads(master_sessions)
    assert (create.status, cancel.status) == (
        OutboxStatus.PENDING,
        OutboxStatus.PENDING,
    ) and cancel.order_id == order_id
    assert create.idempotency_key != cancel.idempotency_key

    assert deliver(master_sessions, erp.url) == (2, 0, 0)

    first, second = erp.calls
    assert (first.method, first.path) == ("POST", "/services/rest/record/v1/salesOrder")
    assert second.method == "PATCH"
    assert second.path == f"/services/rest/record/v1/salesOrder/eid:acme-{order_id}?replace=item"
    assert second.headers["X-NetSuite-Idempotency-Key"] == cancel.idempotency_key
    body = json.loads(second.body)
    assert [line["isClosed"] for line in body["item"]["items"]] == [True, True, True]
    assert [line["item"]["externalId"] for line in body["item"]["items"]] == [
        "NW-10042",
        "NW-20017",
        "NW-30555",
    ]
    assert "externalId" not in body
    assert [row.status for row in payloads(master_sessions)] == [OutboxStatus.SENT, OutboxStatus.SENT]


def test_netsuite_change_updates_the_sales_order_replacing_its_lines(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    order_id = accepted_then(master_sessions, partners, tmp_path, "erp.netsuite", "04")
    create, update = payloads(master_sessions)
    assert json.loads(create.content)["item"]["items"][0]["quantity"] == 24

    assert deliver(master_sessions, erp.url) == (2, 0, 0)

    patch = erp.calls[1]
    assert (patch.method, patch.path) == (
        "PATCH",
        f"/services/rest/record/v1/salesOrder/eid:acme-{order_id}?replace=item",
    )
    body = json.loads(patch.body)
    assert body["otherRefNum"] == PO and body["item"]["items"][0]["quantity"] == 48
    assert "isClosed" not in body["item"]["items"][0] and "externalId" not in body
    assert patch.headers["X-NetSuite-Idempotency-Key"] == update.idempotency_key != create.idempotency_key


def test_business_central_cancel_deletes_the_sales_order_it_finds_by_po_number(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    accepted_then(master_sessions, partners, tmp_path, "erp.business_central", "01")
    url = f"{erp.base}/api/v2.0/companies(c0)/salesOrders"
    erp.found = [
        {
            "id": "b6f4017a-b749-ee11-ad0b-a1422c0f7f1f",
            "@odata.etag": 'W/"JzE5OzEn"',
            "number": "S-1",
            "externalDocumentNumber": PO,
            "customerNumber": "C1001",
        }
    ]
    erp.replies = [Reply(201), Reply(204)]

    assert deliver(master_sessions, url) == (2, 0, 0)

    post, lookup, delete = erp.calls
    assert (post.method, post.path) == ("POST", "/api/v2.0/companies(c0)/salesOrders")
    assert lookup.method == "GET"
    assert unquote(lookup.path.replace("+", " ")) == (
        f"/api/v2.0/companies(c0)/salesOrders?$filter=externalDocumentNumber eq '{PO}' and customerNumber eq 'C1001'"
    )
    assert (delete.method, delete.path, delete.body) == (
        "DELETE",
        "/api/v2.0/companies(c0)/salesOrders(b6f4017a-b749-ee11-ad0b-a1422c0f7f1f)",
        b"",
    )
    assert delete.headers["If-Match"] == 'W/"JzE5OzEn"'


def test_business_central_change_replaces_the_sales_order(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    """API v2.0 inserts lines with their order (deep insert) but updates them one by one by line id:
    a change deletes the order and creates it again as it now is."""
    accepted_then(master_sessions, partners, tmp_path, "erp.business_central", "04")
    url = f"{erp.base}/api/v2.0/companies(c0)/salesOrders"
    erp.found = [
        {
            "id": "11111111-2222-3333-4444-555555555555",
            "@odata.etag": 'W/"JzI7MSc="',
            "externalDocumentNumber": PO,
            "customerNumber": "C1001",
        }
    ]
    erp.replies = [Reply(201), Reply(204), Reply(201)]

    assert deliver(master_sessions, url) == (3, 0, 0)

    assert [call.method for call in erp.calls] == ["POST", "GET", "DELETE", "POST"]
    again = json.loads(erp.calls[3].body)
    assert again["externalDocumentNumber"] == PO and again["salesOrderLines"][0]["quantity"] == 48
    keys = [row.idempotency_key for row in payloads(master_sessions)]
    assert len(set(keys)) == 3


def test_a_cancel_waits_for_the_create_it_follows(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    """While the create is retrying, the cancel is not sent: the ERP never sees them out of order."""
    accepted_then(master_sessions, partners, tmp_path, "erp.netsuite", "01")
    erp.replies = [Reply(503), Reply(204), Reply(204)]

    assert deliver(master_sessions, erp.url) == (0, 1, 0)
    assert [call.method for call in erp.calls] == ["POST"]
    assert deliver(master_sessions, erp.url, timedelta(seconds=30)) == (2, 0, 0)
    assert [call.method for call in erp.calls] == ["POST", "POST", "PATCH"]


def test_a_cancel_of_an_order_the_erp_does_not_know_dead_letters_with_an_alert(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    accepted_then(master_sessions, partners, tmp_path, "erp.business_central", "01")
    # deleted in the ERP by hand meanwhile; the ERP answers with another customer's order of that PO
    erp.found = [{"id": "9", "@odata.etag": "W/1", "externalDocumentNumber": PO, "customerNumber": "C2002"}]

    assert deliver(master_sessions, f"{erp.base}/api/v2.0/companies(c0)/salesOrders") == (1, 0, 1)

    create, cancel = payloads(master_sessions)
    assert (create.status, cancel.status) == (OutboxStatus.SENT, OutboxStatus.DEAD)
    assert [call.method for call in erp.calls] == ["POST", "GET"]  # nothing deleted
    assert cancel.last_error is not None and f"externalDocumentNumber '{PO}'" in cancel.last_error
    with master_sessions() as session:
        alerts = [a.message for a in session.scalars(select(storage.Alert))]
    assert any(str(cancel.id) in message or PO in message for message in alerts)


def test_our_own_payload_says_what_happened(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    accepted_then(master_sessions, partners, tmp_path, "erp.canonical", "01")
    create, cancel = payloads(master_sessions)
    assert "action" not in json.loads(create.content)
    assert json.loads(cancel.content)["action"] == "cancel"
    assert deliver(master_sessions, erp.url) == (2, 0, 0)
    assert [call.method for call in erp.calls] == ["POST", "POST"]


def test_a_cancel_of_an_order_never_sent_to_the_erp_sends_nothing(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path
) -> None:
    """Held on the desk (a price it does not agree), the order never went to the ERP."""
    flow = pipeline(master_sessions, partners, "erp.netsuite")
    path = acme(tmp_path, PO, "000005003")
    path.write_bytes(path.read_bytes().replace(b"PO1*1*24*EA*4.50*", b"PO1*1*24*EA*9.99*"))
    [order_id] = flow.ingest_path(path).order_ids
    flow.ingest_path(acme(tmp_path, PO, "000005004", purpose="01"))
    with master_sessions() as session:
        stored = session.get(storage.PurchaseOrder, order_id)
        assert stored is not None and stored.status == "cancelled"
    assert payloads(master_sessions) == []


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("erp.netsuite", "X-NetSuite-Idempotency-Key"),  # NetSuite REST's own header
        ("erp.business_central", "Idempotency-Key"),  # none documented: the IETF draft's name
        ("erp.canonical", "Idempotency-Key"),
    ],
)
def test_each_erp_gets_the_idempotency_key_under_its_own_header(
    master_sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    erp: ErpServer,
    kind: str,
    header: str,
) -> None:
    flow = pipeline(master_sessions, partners, kind)
    flow.ingest_path(acme(tmp_path, PO, "000005005"))
    [create] = payloads(master_sessions)

    assert deliver(master_sessions, erp.url) == (1, 0, 0)

    [call] = erp.calls
    sent = {name.lower(): value for name, value in call.headers.items()}
    assert sent[header.lower()] == create.idempotency_key
    [other] = {"idempotency-key", "x-netsuite-idempotency-key"} - {header.lower()}
    assert other not in sent  # one key, under one name


@pytest.mark.parametrize("kind", ["erp.netsuite", "erp.business_central", "erp.canonical"])
def test_a_confirmation_of_a_new_po_is_created_in_the_erp(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, kind: str
) -> None:
    """BEG01 06 confirms an order placed by phone: new to us, it is the order, and the ERP gets it."""
    flow = pipeline(master_sessions, partners, kind)
    [order_id] = flow.ingest_path(acme(tmp_path, PO, "000005006", purpose="06")).order_ids
    [create] = payloads(master_sessions)
    assert (
        create.order_id == order_id and create.erp_request is None and create.status == OutboxStatus.PENDING
    )
    with master_sessions() as session:
        assert session.scalars(select(storage.Alert)).all() == []
