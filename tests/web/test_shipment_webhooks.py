"""nShift and Ingrid shipment webhooks over the real app: authentication, the 856, refusals kept, duplicates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import WebConfig
from gateway.inbound.pipeline import Pipeline
from gateway.jobs.inline import received_documents
from gateway.model.status import DocumentStatus
from gateway.web import create_app
from parsers.x12 import MAP_DIR
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.x12.test_acks import pyx12_check

SHIPMENTS = ROOT / "fixtures" / "carrier_webhooks"
NSHIFT_SECRET = "nshift-shared-secret"
INGRID_SECRET = "ingrid-configured-header-secret"
SECRETS = {"GATEWAY_NSHIFT_WEBHOOK_SECRET": NSHIFT_SECRET, "GATEWAY_INGRID_WEBHOOK_SECRET": INGRID_SECRET}
LATER = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def shop(master_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo store with acme's PO 4500012345 accepted (line 1: 24 EA, 2: 6 CA, 3: 10 EA)."""
    Pipeline(master_sessions, PartnerRegistry.from_directory(), clock=lambda: FIXED_NOW).ingest_path(
        INBOX / "acme-4500012345.edi"
    )
    return master_sessions


def _client(sessions: sessionmaker[Session], secrets: dict[str, str] = SECRETS) -> FlaskClient:
    config = WebConfig(sessions, PartnerRegistry.from_directory(), lambda: LATER, secrets=secrets.get)
    return create_app(config).test_client()


def _signed(body: bytes, secret: str = NSHIFT_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"X-Nshift-Signature": base64.b64encode(digest).decode(), "Content-Type": "application/json"}


def _bearer(secret: str = INGRID_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


def _nshift(client: FlaskClient, body: bytes, partner: str = "acme") -> Any:
    return client.post(f"/webhooks/{partner}/nshift", data=body, headers=_signed(body))


def _segments(sessions: sessionmaker[Session], outbound_id: int) -> tuple[bytes, list[list[str]]]:
    with sessions() as session:
        row = session.get(storage.OutboundRecord, outbound_id)
        assert row is not None
        content = bytes(row.content)
    return content, [s.strip().split("*") for s in content.decode("ascii").split("~") if s.strip()]


def _count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_nshift_booking_ships_the_open_lines_in_a_valid_856(shop: sessionmaker[Session]) -> None:
    body = (SHIPMENTS / "nshift_printed.json").read_bytes()
    response = _nshift(_client(shop), body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["recorded"] and not answer["duplicate"] and answer["shipment_id"] == "1Z999AA10123456784"
    content, segments = _segments(shop, answer["outbound_id"])
    assert pyx12_check(content, MAP_DIR) == (True, [])
    assert ["TD5", "", "2", "UPSN", "U", "UPS Standard"] in segments
    assert ["REF", "CN", "1Z999AA10123456784"] in segments
    assert ["N1", "SF", "NORTHWIND DISTRIBUTION"] in segments
    shipped = [s[2] for s in segments if s[0] == "SN1"]
    assert [s[3] for s in segments if s[0] == "LIN"] == ["NW-10042", "NW-20017", "NW-30555"]
    assert sorted(shipped) == ["10", "24", "6"], "every open line, in full"
    with shop() as session:
        document = session.get(storage.Document, answer["document_id"])
        assert document is not None and document.status == DocumentStatus.PROCESSED
        assert (
            document.channel == "nshift"
            and document.meta["provenance"]["order_reference"] == "/shipment/orderNo"
        )


def test_a_listed_item_ships_only_that_and_the_rest_stays_open(shop: sessionmaker[Session]) -> None:
    client = _client(shop)
    partial = _nshift(client, (SHIPMENTS / "nshift_partial.json").read_bytes())
    assert partial.status_code == 200, partial.get_json()
    _, segments = _segments(shop, partial.get_json()["outbound_id"])
    assert ["TD5", "", "ZZ", "PNL", "U", "PUAG"] in segments, "no SCAC known: the carrier code under ZZ"
    assert [(s[2], s[3]) for s in segments if s[0] == "SN1"] == [("10", "EA"), ("4", "EA")]
    rest = _nshift(client, (SHIPMENTS / "nshift_printed.json").read_bytes())
    _, segments = _segments(shop, rest.get_json()["outbound_id"])
    assert sorted(s[2] for s in segments if s[0] == "SN1") == ["14", "6", "6"], "only what was still open"


def test_an_ingrid_notification_with_a_tracking_number_records_the_shipment(
    shop: sessionmaker[Session],
) -> None:
    body = (SHIPMENTS / "ingrid_submitted.json").read_bytes()
    response = _client(shop).post("/webhooks/acme/ingrid", data=body, headers=_bearer())
    assert response.status_code == 200, response.get_json()
    content, segments = _segments(shop, response.get_json()["outbound_id"])
    assert pyx12_check(content, MAP_DIR) == (True, [])
    assert ["TD5", "", "2", "FDXE", "U", "fedex-international-priority"] in segments
    assert ["REF", "CN", "794698660251"] in segments
    assert ["N1", "SF", "NORTHWINDDIST"] in segments, "Ingrid names no sender: us, by our interchange id"


def test_a_notification_before_any_carrier_is_stored_and_records_nothing(shop: sessionmaker[Session]) -> None:
    body = (SHIPMENTS / "ingrid_prepared.json").read_bytes()
    response = _client(shop).post("/webhooks/acme/ingrid", data=body, headers=_bearer())
    assert response.status_code == 200 and response.get_json()["recorded"] is False
    assert _count(shop, storage.ShipmentRow) == 0 and _count(shop, storage.Document) == 2


def test_the_same_booking_twice_is_one_shipment_and_one_856(shop: sessionmaker[Session]) -> None:
    client = _client(shop)
    body = (SHIPMENTS / "nshift_printed.json").read_bytes()
    first = _nshift(client, body).get_json()
    again = _nshift(client, body).get_json()
    assert again["document_id"] == first["document_id"] and again["outbound_id"] == first["outbound_id"]
    redelivered = json.loads(body)
    redelivered["eventId"] = "nshift-evt-0001-retry"  # new bytes, the same tracking number
    later = _nshift(client, json.dumps(redelivered).encode()).get_json()
    assert later["duplicate"] and later["outbound_id"] == first["outbound_id"]
    assert later["document_id"] != first["document_id"]
    resent = json.loads(body)
    resent["shipment"]["shipmentNo"] = "1Z999AA10123456800"  # the same event id, now naming other parcels
    resent["shipment"]["parcels"] = [{"parcelNo": "1Z999AA10123456800"}]
    same_event = _nshift(client, json.dumps(resent).encode()).get_json()
    assert same_event["duplicate"] and same_event["shipment_id"] == first["shipment_id"]
    assert _count(shop, storage.ShipmentRow) == 1
    with shop() as session:
        asns = session.scalar(
            select(func.count())
            .select_from(storage.OutboundRecord)
            .where(storage.OutboundRecord.kind == "856")
        )
    assert asns == 1
    assert received_documents(shop) == [], "nothing is left for the order pipeline's recovery pass"


def test_an_unknown_order_is_refused_and_the_body_kept_with_the_reason(shop: sessionmaker[Session]) -> None:
    booking = json.loads((SHIPMENTS / "nshift_printed.json").read_bytes())
    booking["shipment"]["orderNo"] = "NO-SUCH-PO"
    body = json.dumps(booking).encode()
    response = _nshift(_client(shop), body)
    assert response.status_code == 422
    [reason] = response.get_json()["refused"]
    assert "'NO-SUCH-PO'" in reason and "Acme" in reason
    with shop() as session:
        document = session.get(storage.Document, response.get_json()["document_id"])
        assert document is not None and document.status == DocumentStatus.REJECTED
        assert document.error == reason and document.errors[0]["message"] == reason
        assert storage.open_document(session, document.id).read() == body, "the raw body, kept"
    assert _count(shop, storage.ShipmentRow) == 0
    assert _nshift(_client(shop), body).status_code == 422, "the same body again gets the same answer"
    assert received_documents(shop) == [], "nothing is left for the order pipeline's recovery pass"


def test_a_body_missing_its_fields_is_refused_naming_each_pointer(shop: sessionmaker[Session]) -> None:
    body = json.dumps({"shipment": {"shipmentNo": "JJD000390007", "parcels": [{"weight": 1}]}}).encode()
    response = _nshift(_client(shop), body)
    assert response.status_code == 422
    refused = response.get_json()["refused"]
    assert any("/shipment/orderNo" in r for r in refused) and any(
        "/shipment/carrier/id" in r for r in refused
    )
    assert any("/eventId" in r for r in refused)


@pytest.mark.parametrize(
    ("platform", "headers", "status"),
    [
        ("nshift", {}, 401),
        ("nshift", {"X-Nshift-Signature": "d3Jvbmc="}, 401),
        ("ingrid", {}, 401),
        ("ingrid", {"Authorization": "Bearer wrong"}, 401),
        ("ingrid", {"Authorization": f"Basic {INGRID_SECRET}"}, 401),
    ],
)
def test_an_unauthenticated_body_is_never_stored(
    shop: sessionmaker[Session], platform: str, headers: dict[str, str], status: int
) -> None:
    body = (SHIPMENTS / "nshift_printed.json").read_bytes()
    response = _client(shop).post(f"/webhooks/acme/{platform}", data=body, headers=headers)
    assert response.status_code == status
    assert _count(shop, storage.Document) == 1, "only the PO the fixture ingested"


def test_no_secret_no_partner_no_platform_and_too_large(shop: sessionmaker[Session]) -> None:
    body = (SHIPMENTS / "nshift_printed.json").read_bytes()
    assert (
        _client(shop, {}).post("/webhooks/acme/nshift", data=body, headers=_signed(body)).status_code == 503
    )
    assert _nshift(_client(shop), body, partner="nobody").status_code == 404
    assert _client(shop).post("/webhooks/acme/dhl", data=body, headers=_signed(body)).status_code == 404
    huge = b"{" + b" " * (2 * 1024 * 1024 + 1) + b"}"
    assert _nshift(_client(shop), huge).status_code == 413
    assert _count(shop, storage.Document) == 1
