"""``POST /api/inventory``: stock counts in over the API, all or nothing, exact decimals, the 846 after."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import WebConfig
from gateway.inbound.atp import atp
from gateway.inbound.master_data import revision
from gateway.web import create_app
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.outbound.test_846 import _acme
from tests.outbound.test_846 import _run
from tests.outbound.test_846 import _sent
from tests.outbound.test_846 import _skus

TOKEN = "inventory-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _client(sessions: sessionmaker[Session], token: str | None = TOKEN) -> FlaskClient:
    config = WebConfig(sessions, PartnerRegistry.from_directory(), lambda: FIXED_NOW, api_token=token)
    return create_app(config).test_client()


def _post(client: FlaskClient, update: Any, headers: dict[str, str] = AUTH) -> Any:
    data = update if isinstance(update, str | bytes) else json.dumps(update)
    return client.post("/api/inventory", data=data, headers=headers, content_type="application/json")


def _stock(sessions: sessionmaker[Session]) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    table = storage.InventoryLevel
    with sessions() as session:
        return {
            (sku, warehouse): (Decimal(on_hand), Decimal(allocated))
            for sku, warehouse, on_hand, allocated in session.execute(
                select(table.sku, table.warehouse, table.on_hand, table.allocated)
            )
        }


@pytest.mark.parametrize(("token", "headers", "status"), [(None, AUTH, 503), (TOKEN, {}, 401)])
def test_no_update_without_the_token(
    master_sessions: sessionmaker[Session], token: str | None, headers: dict[str, str], status: int
) -> None:
    before = _stock(master_sessions)
    update = {"items": [{"sku": "NW-10042", "warehouse": "COL", "on_hand": "1"}]}
    assert _post(_client(master_sessions, token), update, headers).status_code == status
    assert _stock(master_sessions) == before


def test_an_absolute_count_replaces_on_hand_and_keeps_what_is_allocated(
    master_sessions: sessionmaker[Session],
) -> None:
    with master_sessions() as session:
        first = revision(session)
    response = _post(
        _client(master_sessions),
        {"mode": "absolute", "items": [{"sku": "NW-10042", "warehouse": "COL", "on_hand": "800.5"}]},
    )
    assert response.status_code == 200, response.get_json()
    assert _stock(master_sessions)[("NW-10042", "COL")] == (Decimal("800.5"), Decimal(44))
    body = response.get_json()
    assert body["inventory"] == [
        {"sku": "NW-10042", "warehouse": "COL", "on_hand": "800.5", "allocated": "44"}
    ]
    with master_sessions() as session:
        assert body["atp"] == {"NW-10042": f"{atp(session, ['NW-10042'])['NW-10042'].normalize():f}"}
        assert revision(session) == first + 1, "a snapshot holder reloads, as after an import"


def test_a_delta_adds_to_the_count_and_a_json_number_is_read_exactly(
    master_sessions: sessionmaker[Session],
) -> None:
    before = _stock(master_sessions)[("NW-10042", "RNO")][0]
    raw = '{"mode": "delta", "items": [{"sku": "NW-10042", "warehouse": "RNO", "on_hand": -0.1}]}'
    assert _post(_client(master_sessions), raw).status_code == 200
    assert _stock(master_sessions)[("NW-10042", "RNO")][0] == before - Decimal("0.1")


def test_a_sku_in_one_warehouse_needs_none_named(master_sessions: sessionmaker[Session]) -> None:
    client = _client(master_sessions)
    assert _post(client, {"items": [{"sku": "NEW-1", "warehouse": "COL", "on_hand": "5"}]}).status_code == 200
    assert _post(client, {"mode": "delta", "items": [{"sku": "NEW-1", "on_hand": "2"}]}).status_code == 200
    assert _stock(master_sessions)[("NEW-1", "COL")] == (Decimal(7), Decimal(0))
    refused = _post(client, {"items": [{"sku": "NW-10042", "on_hand": "5"}]})
    assert refused.status_code == 422
    assert refused.get_json()["refused"] == [
        "/items/0/warehouse: NW-10042 is stocked in 2 warehouses (COL, RNO); name the warehouse"
    ]


def test_one_bad_row_refuses_the_whole_update_with_every_reason(
    master_sessions: sessionmaker[Session],
) -> None:
    before = _stock(master_sessions)
    update = {
        "mode": "delta",
        "items": [
            {"sku": "NW-10042", "warehouse": "COL", "on_hand": "10"},  # good, and not applied
            {"sku": "NW-10043", "warehouse": "COL", "on_hand": "twelve"},
            {"warehouse": "COL", "on_hand": "1"},
            {"sku": "NW-10043", "warehouse": "RNO", "on_hand": "-999999"},
            {"sku": "NW-10042", "warehouse": "COL", "on_hand": "1"},
            {"sku": "NW-10042", "warehouse": "RNO", "on_hand": "1", "allocated": "0"},
        ],
    }
    response = _post(_client(master_sessions), update)
    assert response.status_code == 422
    refused = response.get_json()["refused"]
    assert [r.split(":")[0] for r in refused] == [
        "/items/1/on_hand",
        "/items/2/sku",
        "/items/3/on_hand",
        "/items/4",
        "/items/5/allocated",
    ]
    assert "below zero" in refused[2] and "named twice" in refused[3]
    assert _stock(master_sessions) == before, "nothing of a refused update is written"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ("[]", 422),
        ('{"items": []}', 422),
        ('{"mode": "sometimes", "items": [{"sku": "A", "warehouse": "W", "on_hand": "1"}]}', 422),
    ],
)
def test_a_malformed_update_is_refused(
    master_sessions: sessionmaker[Session], body: str, status: int
) -> None:
    before = _stock(master_sessions)
    response = _post(_client(master_sessions), body)
    assert response.status_code == status and response.get_json()["refused"]
    assert _stock(master_sessions) == before


def test_a_whole_catalog_count_is_one_update(master_sessions: sessionmaker[Session]) -> None:
    items = [{"sku": f"COUNT-{n:05d}", "warehouse": "COL", "on_hand": str(n)} for n in range(2000)]
    response = _post(_client(master_sessions), {"items": items})
    assert response.status_code == 200, response.get_json()
    stock = _stock(master_sessions)
    assert (
        stock[("COUNT-01999", "COL")] == (Decimal(1999), Decimal(0))
        and len(response.get_json()["atp"]) == 2000
    )


def test_too_large_a_body_is_refused(master_sessions: sessionmaker[Session]) -> None:
    huge = '{"items": [' + " " * (5 * 1024 * 1024) + "]}"
    assert _post(_client(master_sessions), huge).status_code == 413


def test_a_changed_atp_goes_out_in_the_next_on_change_846(master_sessions: sessionmaker[Session]) -> None:
    acme = _acme(on_change=True, debounce_minutes=15)
    _run(master_sessions, acme, FIXED_NOW)  # acme is told everything once
    update = {"mode": "delta", "items": [{"sku": "NW-10042", "warehouse": "COL", "on_hand": "-100"}]}
    answer = _post(_client(master_sessions), update).get_json()
    changed = _sent(master_sessions, _run(master_sessions, acme, FIXED_NOW + timedelta(minutes=15)))
    assert _skus(changed) == {"NW-10042": answer["atp"]["NW-10042"]}, "only what changed, at the new ATP"
