"""Delivery of the five vendor payloads to a real HTTP server on 127.0.0.1, with the existing retries.

SAP Business One's session login (and one re-login when the session has ended), the QuickBooks
bearer token and ``requestid``, Sage Intacct's credentials filled in at send time and its HTTP-200
failures, Fortnox' and Visma's JSON errors kept beside the dead payload.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli import reports
from gateway.config import ErpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import OutboxStatus
from gateway.outbound.delivery import deliver_due
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import three_po_interchange
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

T0 = FIXED_NOW
SAP = "erp.sap_business_one"
SAP_LOGIN = {"CompanyDB": "SBODEMOUS", "UserName": "manager", "Password": "s3cret"}


@pytest.fixture
def erp() -> Iterator[ErpServer]:
    server = ErpServer()
    yield server
    server.stop()


def queue(sessions: sessionmaker[Session], kind: str) -> storage.OutboundRecord:
    """The demo acme order accepted, with its ``kind`` payload queued."""
    Pipeline(sessions, PartnerRegistry.from_directory(), clock=lambda: T0, erp_kind=kind).ingest_path(
        INBOX / "acme-4500012345.edi"
    )
    return payload(sessions, kind)


def payload(sessions: sessionmaker[Session], kind: str) -> storage.OutboundRecord:
    with sessions() as session:
        return session.scalars(
            select(storage.OutboundRecord).where(storage.OutboundRecord.kind == kind)
        ).one()


def run(
    sessions: sessionmaker[Session], settings: ErpSettings, at: timedelta = timedelta(0)
) -> tuple[int, int, int]:
    with httpx.Client() as client:
        report = deliver_due(sessions, settings, now=T0 + at, client=client)
    return report.delivered, report.retrying, report.dead


def sap(erp: ErpServer, *, password: str = "s3cret") -> ErpSettings:
    return ErpSettings(
        url=f"{erp.base}/b1s/v1/Orders", kind=SAP, user="manager", password=password, company="SBODEMOUS"
    )


def test_sap_logs_in_then_posts_the_order_in_its_session(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.sap_login = SAP_LOGIN
    row = queue(master_sessions, "erp.sap_business_one")
    assert run(master_sessions, sap(erp)) == (1, 0, 0)
    login, post = erp.calls
    assert (login.method, login.path, json.loads(login.body)) == ("POST", "/b1s/v1/Login", SAP_LOGIN)
    assert (post.method, post.path, post.body) == ("POST", "/b1s/v1/Orders", row.content)
    [session] = erp.sessions
    assert f"B1SESSION={session}" in post.headers["Cookie"] and "Authorization" not in post.headers
    assert post.headers["Idempotency-Key"] == row.idempotency_key
    assert payload(master_sessions, "erp.sap_business_one").status == OutboxStatus.SENT


def test_sap_logs_in_again_once_when_the_session_has_ended(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.sap_login = SAP_LOGIN
    erp.expire_next = 1  # the session times out between the login and the order
    queue(master_sessions, "erp.sap_business_one")
    assert run(master_sessions, sap(erp)) == (1, 0, 0)
    assert [c.path for c in erp.calls] == [
        "/b1s/v1/Login",
        "/b1s/v1/Orders",
        "/b1s/v1/Login",
        "/b1s/v1/Orders",
    ]
    assert erp.logins == 2 and len(erp.requests) == 1, "the order was taken once, inside a live session"


def test_sap_logs_in_again_only_once(master_sessions: sessionmaker[Session], erp: ErpServer) -> None:
    erp.sap_login = SAP_LOGIN
    erp.expire_next = 2  # the fresh session is refused too: no loop of logins
    queue(master_sessions, "erp.sap_business_one")
    assert run(master_sessions, sap(erp)) == (0, 0, 1)
    assert erp.logins == 2 and erp.requests == []
    assert "HTTP 401: Invalid session" in (payload(master_sessions, "erp.sap_business_one").last_error or "")


def test_one_sap_session_serves_the_whole_run(
    master_sessions: sessionmaker[Session], erp: ErpServer, tmp_path: Path
) -> None:
    erp.sap_login = SAP_LOGIN
    three = tmp_path / "three.edi"
    three.write_bytes(three_po_interchange())
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: T0, erp_kind=SAP)
    pipeline.ingest_path(three)
    assert run(master_sessions, sap(erp)) == (3, 0, 0)
    assert erp.logins == 1 and len(erp.requests) == 3


def test_sap_login_refused_goes_dead_with_the_reason(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.sap_login = SAP_LOGIN
    queue(master_sessions, "erp.sap_business_one")
    assert run(master_sessions, sap(erp, password="wrong")) == (0, 0, 1)
    row = payload(master_sessions, "erp.sap_business_one")
    assert "login as 'manager' to 'SBODEMOUS' refused: HTTP 401: Fail to login" in (row.last_error or "")
    assert erp.requests == [], "no order is posted outside a session"


def test_sap_error_body_is_kept(master_sessions: sessionmaker[Session], erp: ErpServer) -> None:
    erp.sap_login = SAP_LOGIN
    message = {"error": {"code": -5002, "message": {"lang": "en-us", "value": "Invalid item number"}}}
    erp.replies = [Reply(400, body=json.dumps(message).encode())]
    queue(master_sessions, "erp.sap_business_one")
    assert run(master_sessions, sap(erp)) == (0, 0, 1)
    assert (
        payload(master_sessions, "erp.sap_business_one").last_error
        == "HTTP 400: Invalid item number (code -5002)"
    )


@pytest.mark.parametrize("entity", ["estimate", "salesreceipt"])
def test_quickbooks_posts_with_bearer_and_requestid(
    master_sessions: sessionmaker[Session], erp: ErpServer, entity: str
) -> None:
    row = queue(master_sessions, "erp.quickbooks_online")
    url = f"{erp.base}/v3/company/9130350/{entity}"
    settings = ErpSettings(url=url, kind="erp.quickbooks_online", token="qbo-token")
    assert run(master_sessions, settings) == (1, 0, 0)
    [call] = erp.calls
    where = urlsplit(call.path)
    assert where.path == f"/v3/company/9130350/{entity}" and parse_qs(where.query) == {
        "requestid": [row.idempotency_key]
    }
    assert call.headers["Authorization"] == "Bearer qbo-token" and call.body == row.content


def test_quickbooks_fault_goes_dead_with_its_message(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    fault = {
        "Fault": {
            "Error": [
                {"Message": "Invalid Reference Id", "Detail": "Item 'NW-10042' not found", "code": "2500"}
            ],
            "type": "ValidationFault",
        }
    }
    erp.replies = [Reply(400, body=json.dumps(fault).encode())]
    queue(master_sessions, "erp.quickbooks_online")
    settings = ErpSettings(url=f"{erp.base}/v3/company/1/estimate", kind="erp.quickbooks_online", token="t")
    assert run(master_sessions, settings) == (0, 0, 1)
    error = payload(master_sessions, "erp.quickbooks_online").last_error
    assert error == "HTTP 400: Invalid Reference Id: Item 'NW-10042' not found (code 2500)"
    with master_sessions() as session:
        [alert] = reports.alert_list(session)
    assert "Invalid Reference Id" in alert["message"]


INTACCT_OK = b"""<?xml version="1.0" encoding="UTF-8"?>
<response><control><status>success</status><senderid>gw</senderid><controlid>k</controlid></control>
<operation><authentication><status>success</status><userid>api</userid><companyid>ACME</companyid></authentication>
<result><status>success</status><function>create_sotransaction</function><controlid>k</controlid><key>Sales Order-SO0042</key></result>
</operation></response>"""

INTACCT_FAILED = b"""<?xml version="1.0" encoding="UTF-8"?>
<response><control><status>success</status></control>
<operation><authentication><status>success</status></authentication>
<result><status>failure</status><function>create_sotransaction</function>
<errormessage><error><errorno>BL03000018</errorno><description>Invalid Customer</description>
<description2>Customer ID C1001 &amp; co does not exist</description2><correction>Use a valid customer</correction></error></errormessage>
</result></operation></response>"""

INTACCT_BAD_LOGIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<response><control><status>success</status></control>
<operation><authentication><status>failure</status></authentication>
<errormessage><error><errorno>XL03000006</errorno><description>Sign-in information is incorrect</description></error></errormessage>
</operation></response>"""


def intacct(erp: ErpServer) -> ErpSettings:
    return ErpSettings(
        url=f"{erp.base}/ia/xml/xmlgw.phtml",
        kind="erp.sage_intacct",
        user="api",
        password="user-pw",
        company="ACME",
        sender_id="gw",
        sender_password="sender-pw",
    )


def test_intacct_credentials_are_filled_in_when_sent_never_stored(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    erp.replies = [Reply(200, body=INTACCT_OK, content_type="application/xml")]
    row = queue(master_sessions, "erp.sage_intacct")
    assert b"sender-pw" not in row.content
    assert run(master_sessions, intacct(erp)) == (1, 0, 0)
    [call] = erp.calls
    assert call.headers["Content-Type"] == "application/xml"
    sent = ET.fromstring(call.body)
    assert (sent.findtext("control/senderid"), sent.findtext("control/password")) == ("gw", "sender-pw")
    login = [
        sent.findtext(f"operation/authentication/login/{t}") for t in ("userid", "companyid", "password")
    ]
    assert login == ["api", "ACME", "user-pw"]
    stored = ET.fromstring(row.content)
    assert sent.findtext("control/controlid") == stored.findtext("control/controlid") == row.idempotency_key
    sent_order, stored_order = sent.find("operation/content"), stored.find("operation/content")
    assert sent_order is not None and stored_order is not None
    assert ET.tostring(sent_order) == ET.tostring(stored_order), "the order itself is sent as stored"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            INTACCT_FAILED,
            "Intacct result failure: BL03000018 Invalid Customer Customer ID C1001 & co does not exist",
        ),
        (INTACCT_BAD_LOGIN, "Intacct authentication failure: XL03000006 Sign-in information is incorrect"),
        (b"<html>gateway down</html>", "Intacct control missing: no error message"),
    ],
    ids=["result", "login", "not-intacct"],
)
def test_intacct_failure_inside_http_200_is_not_taken_for_delivery(
    master_sessions: sessionmaker[Session], erp: ErpServer, answer: bytes, expected: str
) -> None:
    erp.replies = [Reply(200, body=answer, content_type="application/xml")]
    queue(master_sessions, "erp.sage_intacct")
    assert run(master_sessions, intacct(erp)) == (0, 0, 1)
    assert expected in (payload(master_sessions, "erp.sage_intacct").last_error or "")


def test_fortnox_retries_then_keeps_its_error_message(
    master_sessions: sessionmaker[Session], erp: ErpServer
) -> None:
    error = {"ErrorInformation": {"error": 1, "message": "Kunden hittades inte.", "code": 2000433}}
    erp.replies = [Reply(429, {"Retry-After": "60"}), Reply(400, body=json.dumps(error).encode())]
    row = queue(master_sessions, "erp.fortnox")
    settings = ErpSettings(url=f"{erp.base}/3/orders", kind="erp.fortnox", token="fx", backoff_seconds=5)
    assert run(master_sessions, settings) == (0, 1, 0)
    due = payload(master_sessions, "erp.fortnox").next_attempt_at
    assert due is not None and due.replace(tzinfo=T0.tzinfo) == T0 + timedelta(seconds=60), "Retry-After wins"
    assert run(master_sessions, settings, timedelta(seconds=60)) == (0, 0, 1)
    assert (
        payload(master_sessions, "erp.fortnox").last_error == "HTTP 400: Kunden hittades inte. (code 2000433)"
    )
    assert [c.body for c in erp.calls] == [row.content, row.content] and erp.calls[0].path == "/3/orders"
    assert all(c.headers["Authorization"] == "Bearer fx" for c in erp.calls)


def test_fortnox_created(master_sessions: sessionmaker[Session], erp: ErpServer) -> None:
    erp.replies = [Reply(201, body=b'{"Order": {"DocumentNumber": "1"}}')]
    queue(master_sessions, "erp.fortnox")
    assert run(master_sessions, ErpSettings(url=f"{erp.base}/3/orders", kind="erp.fortnox", token="fx")) == (
        1,
        0,
        0,
    )


def test_visma_created_and_refused(master_sessions: sessionmaker[Session], erp: ErpServer) -> None:
    url = f"{erp.base}/controller/api/v1/salesorder"
    error = {
        "ExceptionType": "IPPException",
        "ExceptionMessage": "Customer 'C1001' not found",
        "ExceptionFaultCode": "12345",
    }
    erp.replies = [Reply(500), Reply(400, body=json.dumps(error).encode())]
    queue(master_sessions, "erp.visma_net")
    settings = ErpSettings(url=url, kind="erp.visma_net", token="vt", backoff_seconds=1)
    assert run(master_sessions, settings) == (0, 1, 0)
    assert run(master_sessions, settings, timedelta(minutes=1)) == (0, 0, 1)
    assert payload(master_sessions, "erp.visma_net").last_error == "HTTP 400: Customer 'C1001' not found"


def test_the_new_kinds_come_from_the_environment_with_their_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TOKEN", "USER", "PASSWORD", "COMPANY", "SENDER_ID", "SENDER_PASSWORD"):
        monkeypatch.delenv(f"GATEWAY_ERP_{name}", raising=False)
    monkeypatch.setenv("GATEWAY_ERP_URL", "http://127.0.0.1:9/b1s/v1/Orders")
    monkeypatch.setenv("GATEWAY_ERP_KIND", "erp.sap_business_one")
    with pytest.raises(ValueError, match="GATEWAY_ERP_USER, GATEWAY_ERP_PASSWORD, GATEWAY_ERP_COMPANY"):
        ErpSettings.from_environment()
    for name, value in {"USER": "manager", "PASSWORD": "pw", "COMPANY": "SBODEMOUS"}.items():
        monkeypatch.setenv(f"GATEWAY_ERP_{name}", value)
    settings = ErpSettings.from_environment()
    assert settings is not None and (settings.user, settings.company) == ("manager", "SBODEMOUS")
    monkeypatch.setenv("GATEWAY_ERP_KIND", "erp.quickbooks_online")
    monkeypatch.setenv("GATEWAY_ERP_TOKEN", "t")
    monkeypatch.setenv("GATEWAY_ERP_URL", "http://127.0.0.1:9/v3/company/1/invoice")
    with pytest.raises(ValueError, match="ending in /estimate or /salesreceipt"):
        ErpSettings.from_environment()
    monkeypatch.setenv("GATEWAY_ERP_URL", "http://127.0.0.1:9/v3/company/1/salesreceipt")
    assert ErpSettings.from_environment() is not None
    monkeypatch.setenv("GATEWAY_ERP_KIND", "erp.sage_intacct")
    with pytest.raises(ValueError, match="GATEWAY_ERP_SENDER_ID, GATEWAY_ERP_SENDER_PASSWORD"):
        ErpSettings.from_environment()
    for kind in ("erp.fortnox", "erp.visma_net"):
        monkeypatch.setenv("GATEWAY_ERP_KIND", kind)
        assert ErpSettings.from_environment() is not None
