"""A partner's change and cancellation reach SAP Business One, QuickBooks Online, Sage Intacct, Fortnox and
Visma.net as each vendor's own look-up, then update or cancel, through the outbox and delivery (order,
keys, retries, dead letters), against one loopback HTTP server per module.

Each vendor's look-up answer is played by the server in that vendor's shape; a look-up that finds no
order, or several, goes dead with an alert naming what was looked for, never a guess.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import ErpSettings
from gateway.inbound.pipeline import Pipeline
from gateway.model.status import OutboxStatus
from gateway.outbound import erp_http
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.inbound.test_order_changes import acme
from tests.outbound.test_erp_vendor_delivery import INTACCT_OK
from tests.outbound.test_erp_vendor_delivery import SAP_LOGIN
from tests.outbound.test_erp_vendor_delivery import run as deliver
from tests.outbound.test_erp_vendor_payloads import SCHEMAS
from tests.servers.erp_server import Call
from tests.servers.erp_server import ErpServer
from tests.servers.erp_server import Reply

T0 = FIXED_NOW
ACCOUNT = "C1001"
NOTE = "Acme Retail PO {po}"  # what the QuickBooks create writes as PrivateNote (acme's label)


@dataclass(frozen=True)
class Vendor:
    """How one ERP is configured, answers a look-up, and takes a change and a cancel."""

    kind: str
    path: str  # of the configured URL
    schema: str | None  # the JSON Schema a change's body must fit (None: XML)
    change: tuple[str, str]  # method, path with {id}
    cancel: tuple[str, str]
    key: str  # the id field of a record found
    record: Callable[[str, str, bool], dict[str, Any]]  # (po, id, cancelled) -> a record found
    listing: Callable[[list[dict[str, Any]]], bytes]  # records -> the look-up's answer

    def settings(self, erp: ErpServer) -> ErpSettings:
        return ErpSettings(
            url=erp.base + self.path,
            kind=self.kind,
            token="tok",
            user=SAP_LOGIN["UserName"] if self.kind == SAP else "api",
            password=SAP_LOGIN["Password"] if self.kind == SAP else "user-pw",
            company=SAP_LOGIN["CompanyDB"] if self.kind == SAP else "ACME",
            sender_id="gw",
            sender_password="sender-pw",
            backoff_seconds=30,
        )


SAP, QBO, INTACCT, FORTNOX, VISMA = (
    "erp.sap_business_one",
    "erp.quickbooks_online",
    "erp.sage_intacct",
    "erp.fortnox",
    "erp.visma_net",
)


def intacct_found(records: list[dict[str, Any]]) -> bytes:
    """Intacct's answer to ``readByQuery`` on SODOCUMENT: the records inside ``operation/result/data``."""
    rows = "".join(
        "<sodocument>" + "".join(f"<{tag}>{value}</{tag}>" for tag, value in record.items()) + "</sodocument>"
        for record in records
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status></control>'
        b"<operation><authentication><status>success</status></authentication><result>"
        b"<status>success</status><function>readByQuery</function>"
        + f'<data listtype="sodocument" count="{len(records)}">{rows}</data>'.encode()
        + b"</result></operation></response>"
    )


VENDORS = {
    SAP: Vendor(
        SAP,
        "/b1s/v1/Orders",
        "sap_business_one",
        ("PATCH", "/b1s/v1/Orders({id})"),
        ("POST", "/b1s/v1/Orders({id})/Cancel"),
        "DocEntry",
        lambda po, id_, cancelled: {
            "DocEntry": int(id_),
            "NumAtCard": po,
            "CardCode": ACCOUNT,
            "Cancelled": "tYES" if cancelled else "tNO",
        },
        lambda records: json.dumps({"value": records}).encode(),
    ),
    QBO: Vendor(
        QBO,
        "/v3/company/9130/estimate",
        "quickbooks_online",
        ("POST", "/v3/company/9130/estimate"),
        ("POST", "/v3/company/9130/estimate"),
        "Id",
        lambda po, id_, cancelled: {
            "Id": id_,
            "SyncToken": "3",
            "PrivateNote": NOTE.format(po=po),
            "CustomerRef": {"value": ACCOUNT},
        },
        lambda records: json.dumps({"QueryResponse": {"Estimate": records}}).encode(),
    ),
    INTACCT: Vendor(
        INTACCT,
        "/ia/xml/xmlgw.phtml",
        None,
        ("POST", "/ia/xml/xmlgw.phtml"),
        ("POST", "/ia/xml/xmlgw.phtml"),
        "DOCID",
        lambda po, id_, cancelled: {"DOCID": f"Sales Order-SO{id_}", "PONUMBER": po, "CUSTVENDID": ACCOUNT},
        intacct_found,
    ),
    FORTNOX: Vendor(
        FORTNOX,
        "/3/orders",
        "fortnox",
        ("PUT", "/3/orders/{id}"),
        ("PUT", "/3/orders/{id}/cancel"),
        "DocumentNumber",
        lambda po, id_, cancelled: {
            "DocumentNumber": id_,
            "YourOrderNumber": po,
            "CustomerNumber": ACCOUNT,
            "Cancelled": cancelled,
        },
        lambda records: json.dumps({"Orders": records, "MetaInformation": {"@TotalResources": 1}}).encode(),
    ),
    VISMA: Vendor(
        VISMA,
        "/controller/api/v1/salesorder",
        "visma_net",
        ("PUT", "/controller/api/v1/salesorder/{id}"),
        ("POST", "/controller/api/v1/salesorder/{id}/action/cancelSalesOrder"),
        "orderNo",
        lambda po, id_, cancelled: {
            "orderNo": id_,
            "customerRefNo": po,
            "customer": {"number": ACCOUNT},
            "status": "Cancelled" if cancelled else "Open",
            "lines": [{"lineNbr": 1}, {"lineNbr": 2}, {"lineNbr": 3}],
        },
        lambda records: json.dumps(records).encode(),
    ),
}
KINDS = list(VENDORS)
OK = {INTACCT: Reply(200, body=INTACCT_OK, content_type="application/xml")}  # else: 201 / 204


@pytest.fixture(scope="module")
def server() -> Iterator[ErpServer]:
    erp = ErpServer()
    yield erp
    erp.stop()


@pytest.fixture
def erp(server: ErpServer) -> ErpServer:
    server.reset()
    return server


def ok(kind: str) -> Reply:
    return OK.get(kind, Reply(204))


def found(erp: ErpServer, vendor: Vendor, po: str, *ids: str, cancelled: bool = False) -> Reply:
    """The server answers look-ups with these records (Intacct's look-up is a POST: its scripted reply)."""
    records = [vendor.record(po, id_, cancelled) for id_ in ids]
    erp.listing = lambda: vendor.listing(records)
    return Reply(200, body=vendor.listing(records), content_type="application/xml")


def ingest(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    kind: str,
    po: str,
    *purposes: str,
) -> int:
    """The acme order under ``po`` accepted, then each of ``purposes`` (04: line 1 to 48; 01: cancel)."""
    flow = Pipeline(sessions, partners, clock=lambda: T0, erp_kind=kind)
    [order_id] = flow.ingest_path(acme(tmp_path, po, "000007001")).order_ids
    for number, purpose in enumerate(purposes, start=2):
        flow.ingest_path(acme(tmp_path, po, f"00000700{number}", purpose=purpose, line1="48"))
    return order_id


def payloads(sessions: sessionmaker[Session]) -> list[storage.OutboundRecord]:
    with sessions() as session:
        query = select(storage.OutboundRecord).where(storage.OutboundRecord.kind.like("erp.%"))
        return list(session.scalars(query.order_by(storage.OutboundRecord.id)))


def sent(erp: ErpServer) -> list[Call]:
    """The calls that are not SAP logins."""
    return [call for call in erp.calls if not call.path.endswith("/Login")]


def is_look_up(kind: str, call: Call) -> bool:
    return call.method == "GET" or (kind == INTACCT and b"<readByQuery>" in call.body)


def check_look_up(kind: str, call: Call, po: str) -> None:
    """The look-up asks for this PO of this customer, in the vendor's way."""
    query = {name: values[0] for name, values in parse_qs(urlsplit(call.path).query).items()}
    if kind == SAP:
        assert query["$filter"] == f"NumAtCard eq '{po}' and CardCode eq '{ACCOUNT}'"
        assert "B1SESSION=" in call.headers["Cookie"]
    elif kind == QBO:
        assert urlsplit(call.path).path == "/v3/company/9130/query"
        assert (
            query["query"]
            == f"select * from Estimate where CustomerRef = '{ACCOUNT}' and TxnDate = '2026-11-18'"
        )
    elif kind == FORTNOX:
        assert query == {"yourordernumber": po}
    elif kind == VISMA:
        assert query == {"customerRefNo": po, "customer": ACCOUNT}
    else:
        root = ET.fromstring(call.body)
        assert root.findtext("control/senderid") == "gw" and root.findtext("control/uniqueid") == "false"
        assert root.findtext(".//readByQuery/object") == "SODOCUMENT"
        assert root.findtext(".//readByQuery/query") == (
            f"DOCPARID = 'Sales Order' AND PONUMBER = '{po}' AND CUSTVENDID = '{ACCOUNT}'"
        )


def check_change(vendor: Vendor, call: Call, id_: str) -> None:
    """The change is the vendor's own update, in its documented shape, the changed line 1 at 48."""
    assert (call.method, unquote(urlsplit(call.path).path)) == (
        vendor.change[0],
        vendor.change[1].format(id=id_),
    )
    if vendor.schema is None:  # Intacct: delete then create again, all or nothing
        root = ET.fromstring(call.body)
        assert root.find("operation").get("transaction") == "true"  # type: ignore[union-attr]
        delete, create = root.findall("operation/content/function")
        assert delete[0].tag == "delete_sotransaction" and delete[0].get("key") == f"Sales Order-SO{id_}"
        assert create[0].tag == "create_sotransaction"
        assert create.findtext(".//sotransitem/quantity") == "48"
        return
    body = json.loads(call.body)
    jsonschema.validate(body, json.loads((SCHEMAS / f"{vendor.schema}.schema.json").read_text()))
    if vendor.kind == SAP:
        assert call.headers["B1S-ReplaceCollectionsOnPatch"] == "true"
        assert [line["Quantity"] for line in body["DocumentLines"]] == [48, 6, 10]
    elif vendor.kind == QBO:
        assert (body["Id"], body["SyncToken"], body["sparse"]) == (id_, "3", True)
        assert [line["SalesItemLineDetail"]["Qty"] for line in body["Line"]] == [48, 6, 10]
        assert parse_qs(urlsplit(call.path).query).keys() == {"requestid"}
    elif vendor.kind == FORTNOX:
        assert [row["OrderedQuantity"] for row in body["Order"]["OrderRows"]] == ["48", "6", "10"]
    else:
        assert [line["operation"] for line in body["lines"]] == ["Delete"] * 3 + ["Insert"] * 3
        assert [line["lineNumber"]["value"] for line in body["lines"][:3]] == [1, 2, 3]
        assert [line["quantity"]["value"] for line in body["lines"][3:]] == [48, 6, 10]


def check_cancel(vendor: Vendor, call: Call, id_: str) -> None:
    assert (call.method, unquote(urlsplit(call.path).path)) == (
        vendor.cancel[0],
        vendor.cancel[1].format(id=id_),
    )
    if vendor.kind == QBO:
        assert json.loads(call.body) == {"Id": id_, "SyncToken": "3"}
        assert parse_qs(urlsplit(call.path).query)["operation"] == ["delete"]
    elif vendor.kind == INTACCT:
        [function] = ET.fromstring(call.body).findall("operation/content/function")
        assert function[0].tag == "delete_sotransaction" and function[0].get("key") == f"Sales Order-SO{id_}"
    elif vendor.kind == VISMA:
        assert json.loads(call.body) == {"orderType": "SO"}
    else:
        assert call.body == b""


@pytest.mark.parametrize("kind", KINDS)
def test_create_then_change_then_cancel_reach_the_erp_in_that_order_and_in_its_shape(
    master_sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    erp: ErpServer,
    kind: str,
) -> None:
    vendor, po = VENDORS[kind], "4500070001"
    erp.sap_login = SAP_LOGIN if kind == SAP else None
    ingest(master_sessions, partners, tmp_path, kind, po, "04", "01")
    create, change, cancel = payloads(master_sessions)
    assert change.erp_request is not None and change.erp_request["find"]["what"]
    assert len({create.idempotency_key, change.idempotency_key, cancel.idempotency_key}) == 3
    look = found(erp, vendor, po, "17")
    erp.replies = [Reply(503)]

    assert deliver(master_sessions, vendor.settings(erp)) == (0, 1, 0)
    assert [call.method for call in sent(erp)] == ["POST"], "nothing follows a create still retrying"

    erp.calls.clear()
    erp.replies = [
        ok(kind),
        *([look] if kind == INTACCT else []),
        ok(kind),
        *([look] if kind == INTACCT else []),
        ok(kind),
    ]
    assert deliver(master_sessions, vendor.settings(erp), timedelta(seconds=30)) == (3, 0, 0)

    calls = sent(erp)
    assert [is_look_up(kind, call) for call in calls] == [False, True, False, True, False]
    check_look_up(kind, calls[1], po)
    check_change(vendor, calls[2], "17")
    check_look_up(kind, calls[3], po)
    check_cancel(vendor, calls[4], "17")
    keys = [call.headers.get("Idempotency-Key") for call in (calls[0], calls[2], calls[4])]
    assert keys == [create.idempotency_key, change.idempotency_key, cancel.idempotency_key]
    if kind == INTACCT:  # Intacct's own key: the controlid, executed once (uniqueid)
        assert ET.fromstring(calls[2].body).findtext("control/controlid") == change.idempotency_key
    assert [row.status for row in payloads(master_sessions)] == [OutboxStatus.SENT] * 3


@pytest.mark.parametrize("count", [0, 2])
@pytest.mark.parametrize("kind", KINDS)
def test_a_look_up_that_finds_no_order_or_several_is_not_guessed_it_alerts(
    master_sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    erp: ErpServer,
    kind: str,
    count: int,
) -> None:
    vendor, po = VENDORS[kind], "4500070002"
    erp.sap_login = SAP_LOGIN if kind == SAP else None
    order_id = ingest(master_sessions, partners, tmp_path, kind, po, "01")
    look = found(erp, vendor, po, *["17", "18"][:count])
    erp.replies = [ok(kind), *([look] if kind == INTACCT else [])]

    assert deliver(master_sessions, vendor.settings(erp)) == (1, 0, 1)

    assert len([call for call in sent(erp) if not is_look_up(kind, call)]) == 1, "the create only"
    create, cancel = payloads(master_sessions)
    assert (create.status, cancel.status) == (OutboxStatus.SENT, OutboxStatus.DEAD)
    assert cancel.last_error is not None and f"{count} open records in the ERP match" in cancel.last_error
    assert po in cancel.last_error and ACCOUNT in cancel.last_error
    with master_sessions() as session:
        alerts = list(session.scalars(select(storage.Alert).where(storage.Alert.order_id == order_id)))
    assert [alert.kind for alert in alerts] == ["delivery_dead"] and po in alerts[0].message


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_retried_after_a_lost_answer_is_not_applied_twice(
    master_sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    erp: ErpServer,
    kind: str,
) -> None:
    """The ERP applied the change but its answer was lost (500): the retry looks the order up again and
    sends the same replacement under the same key, so the order's lines end as after one change."""
    vendor, po = VENDORS[kind], "4500070003"
    erp.sap_login = SAP_LOGIN if kind == SAP else None
    ingest(master_sessions, partners, tmp_path, kind, po, "04")
    look = found(erp, vendor, po, "17")
    erp.replies = [ok(kind), *([look] if kind == INTACCT else []), Reply(500)]
    assert deliver(master_sessions, vendor.settings(erp)) == (1, 1, 0)
    first = [call for call in sent(erp) if not is_look_up(kind, call)][-1]

    held = apply(kind, {1: 24, 2: 6, 3: 10}, first)  # what the ERP holds now: line number -> quantity
    assert list(held.values()) == [48, 6, 10]
    erp.calls.clear()
    if kind == VISMA:  # the order found now has the lines the first attempt inserted
        now = [{**vendor.record(po, "17", False), "lines": [{"lineNbr": n} for n in held]}]
        erp.listing = lambda: vendor.listing(now)
    erp.replies = [*([look] if kind == INTACCT else []), ok(kind)]
    assert deliver(master_sessions, vendor.settings(erp), timedelta(seconds=30)) == (1, 0, 0)
    again = [call for call in sent(erp) if not is_look_up(kind, call)][-1]

    assert again.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]
    assert list(apply(kind, held, again).values()) == [48, 6, 10], "the retry leaves the lines as one change"
    if kind == INTACCT:  # and Intacct refuses to execute the same controlid twice anyway (uniqueid)
        controlid = ET.fromstring(again.body).findtext("control/controlid")
        assert (
            controlid
            == ET.fromstring(first.body).findtext("control/controlid")
            == first.headers["Idempotency-Key"]
        )


def apply(kind: str, held: dict[int, int], call: Call) -> dict[int, int]:
    """The order's lines (line number -> quantity) after the ERP applies ``call`` to ``held``, as each
    vendor documents its update: Visma applies each line's operation, the others replace the lines."""
    if kind == VISMA:
        body = json.loads(call.body)
        after = dict(held)
        for line in body["lines"]:
            if line["operation"] == "Delete":
                del after[line["lineNumber"]["value"]]
            else:
                after[max([*held, *after], default=0) + 1] = line["quantity"]["value"]
        return after
    if kind == INTACCT:  # the delete and the create, in one transaction: the lines are the create's
        quantities = [int(q.text or 0) for q in ET.fromstring(call.body).iter("quantity")]
    elif kind == SAP:
        assert call.headers["B1S-ReplaceCollectionsOnPatch"] == "true"  # the lines sent replace the old
        quantities = [line["Quantity"] for line in json.loads(call.body)["DocumentLines"]]
    elif kind == QBO:  # a sparse update's Line array replaces every line
        quantities = [line["SalesItemLineDetail"]["Qty"] for line in json.loads(call.body)["Line"]]
    else:  # Fortnox: a PUT's OrderRows replace the rows
        quantities = [int(row["OrderedQuantity"]) for row in json.loads(call.body)["Order"]["OrderRows"]]
    return dict(enumerate(quantities, start=1))


@pytest.mark.parametrize("kind", [SAP, FORTNOX, VISMA])
def test_a_cancel_the_erp_already_made_is_not_sent_again(
    master_sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    tmp_path: Path,
    erp: ErpServer,
    kind: str,
) -> None:
    """An earlier attempt's answer was lost after the ERP cancelled: the look-up sees the order cancelled."""
    vendor, po = VENDORS[kind], "4500070004"
    erp.sap_login = SAP_LOGIN if kind == SAP else None
    ingest(master_sessions, partners, tmp_path, kind, po, "01")
    found(erp, vendor, po, "17", cancelled=True)
    erp.replies = [ok(kind)]

    assert deliver(master_sessions, vendor.settings(erp)) == (2, 0, 0)

    assert [is_look_up(kind, call) for call in sent(erp)] == [False, True]
    assert [row.status for row in payloads(master_sessions)] == [OutboxStatus.SENT] * 2


def test_an_intacct_change_counts_as_made_only_when_each_of_its_functions_succeeded() -> None:
    """A change is two functions (delete, create) in one transaction: the create's failure is the answer."""
    answer = INTACCT_OK.replace(
        b"</result>",
        b"</result><result><status>failure</status><function>create_sotransaction</function>"
        b"<errormessage><error><errorno>BL03000018</errorno><description>Invalid Customer</description>"
        b"</error></errormessage></result>",
    )
    verdict = erp_http.judge(INTACCT, httpx.Response(200, content=answer))
    assert (
        not verdict.delivered and verdict.error is not None and "result failure: BL03000018" in verdict.error
    )
    assert erp_http.judge(INTACCT, httpx.Response(200, content=INTACCT_OK)).delivered


def test_an_sap_session_that_ends_at_the_look_up_is_opened_again_once(
    master_sessions: sessionmaker[Session], partners: PartnerRegistry, tmp_path: Path, erp: ErpServer
) -> None:
    vendor, po = VENDORS[SAP], "4500070005"
    erp.sap_login = SAP_LOGIN
    flow = Pipeline(master_sessions, partners, clock=lambda: T0, erp_kind=SAP)
    flow.ingest_path(acme(tmp_path, po, "000007051"))
    assert deliver(master_sessions, vendor.settings(erp)) == (1, 0, 0)
    flow.ingest_path(acme(tmp_path, po, "000007052", purpose="01"))
    found(erp, vendor, po, "17")
    erp.calls.clear()
    erp.expire_next = 1  # the session (opened by this run's login) has ended when the look-up comes

    assert deliver(master_sessions, vendor.settings(erp)) == (1, 0, 0)

    assert [(call.method, urlsplit(call.path).path) for call in erp.calls] == [
        ("POST", "/b1s/v1/Login"),
        ("GET", "/b1s/v1/Orders"),
        ("POST", "/b1s/v1/Login"),
        ("GET", "/b1s/v1/Orders"),
        ("POST", "/b1s/v1/Orders(17)/Cancel"),
    ]
    assert erp.logins == 3
