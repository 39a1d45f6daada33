"""``GET /api/atp``: the available-to-promise snapshot for shops, behind the API's bearer token."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.config import WebConfig
from gateway.inbound.atp import atp
from gateway.web import create_app
from partners import PartnerRegistry
from partners import StockSettings
from tests.conftest import FIXED_NOW

TOKEN = "atp-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SKU = "NW-40001"


def _client(sessions: sessionmaker[Session], token: str | None = TOKEN) -> FlaskClient:
    registry = PartnerRegistry.from_directory()
    acme = registry.get("acme")
    assert acme is not None
    careful = acme.model_copy(update={"stock": StockSettings(safety={SKU: Decimal(100)})})
    partners = PartnerRegistry([careful, *(p for p in registry if p.name != "acme")])
    return create_app(WebConfig(sessions, partners, lambda: FIXED_NOW, api_token=token)).test_client()


def _json(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize(
    ("token", "headers", "status"),
    [
        (None, AUTH, 503),
        (TOKEN, {}, 401),
        (TOKEN, {"Authorization": "Bearer wrong"}, 401),
        (TOKEN, {"Authorization": f"Basic {TOKEN}"}, 401),
    ],
)
def test_no_snapshot_without_the_token(
    master_sessions: sessionmaker[Session], token: str | None, headers: dict[str, str], status: int
) -> None:
    response = _client(master_sessions, token).get("/api/atp", headers=headers)
    assert response.status_code == status and "atp" not in _json(response)


def test_one_sku_with_its_as_of_time(master_sessions: sessionmaker[Session]) -> None:
    with master_sessions() as session:
        expected = atp(session, [SKU])[SKU]
    body = _json(_client(master_sessions).get(f"/api/atp?sku={SKU}", headers=AUTH))
    assert body == {
        "as_of": FIXED_NOW.isoformat(),
        "partner": None,
        "atp": {SKU: f"{expected.normalize():f}"},
        "next": None,
    }
    assert _json(_client(master_sessions).get("/api/atp?sku=NO-SUCH", headers=AUTH))["atp"] == {}


def test_a_partners_safety_stock_is_held_back(master_sessions: sessionmaker[Session]) -> None:
    with master_sessions() as session:
        free = atp(session, [SKU])[SKU]
    body = _json(_client(master_sessions).get(f"/api/atp?sku={SKU}&partner=acme", headers=AUTH))
    assert body["partner"] == "acme" and body["atp"] == {SKU: f"{(free - 100).normalize():f}"}
    missing = _client(master_sessions).get("/api/atp?partner=nobody", headers=AUTH)
    assert missing.status_code == 404 and "nobody" in _json(missing)["refused"][0]


def test_pages_walk_the_whole_catalog_once(master_sessions: sessionmaker[Session]) -> None:
    api = _client(master_sessions)
    whole = _json(api.get("/api/atp?limit=10000", headers=AUTH))
    assert whole["next"] is None and len(whole["atp"]) > 2000
    seen: dict[str, str] = {}
    url = "/api/atp?limit=700"
    pages = 0
    while True:
        page = _json(api.get(url, headers=AUTH))
        assert not set(page["atp"]) & set(seen)
        seen.update(page["atp"])
        pages += 1
        if page["next"] is None:
            break
        url = f"/api/atp?limit=700&after={page['next']}"
    assert seen == whole["atp"] and pages == -(-len(seen) // 700)


@pytest.mark.parametrize("limit", ["0", "10001", "many"])
def test_a_bad_page_size_is_refused(master_sessions: sessionmaker[Session], limit: str) -> None:
    response = _client(master_sessions).get(f"/api/atp?limit={limit}", headers=AUTH)
    assert response.status_code == 400 and "limit" in _json(response)["refused"][0]
