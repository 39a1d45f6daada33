"""Every route of the web app, enumerated from ``app.url_map``: none opens without a login, none changes
anything without a CSRF token, and the API opens only to its bearer token.

A route added later is covered without editing this file; one whose blueprint, method or URL
argument the tests do not know fails ``test_every_route_is_filed`` until someone decides.
(Role checks per page are in ``tests/web/test_web_desk_auth.py``; AS2 signatures in
``test_as2_signatures``.)
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from gateway import storage
from gateway.config import WebConfig
from gateway.web import create_app
from partners import PartnerRegistry
from tests.security._routes import PUBLIC
from tests.security._routes import SIGNED_BLUEPRINTS
from tests.security._routes import TOKEN_BLUEPRINTS
from tests.security._routes import Route
from tests.security._routes import desk_routes
from tests.security._routes import every_route
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp
from tests.web.test_web_desk_support import desk_store
from tests.web.test_web_desk_support import password
from tests.web.test_web_desk_support import token

API_TOKEN = "api-token"  # what open_app gives the app


@pytest.fixture(scope="module")
def store(master_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return desk_store(master_template, tmp_path_factory)


def _state(desk: DeskApp) -> tuple[object, ...]:
    """What a refused request must leave as it was: the order, the documents, the outbox, the audit log."""
    order = desk.order(desk.order_id(UNKNOWN_SKU_PO))
    with desk.sessions() as session:
        documents = sorted((d.id, d.status, d.error) for d in session.query(storage.Document))
        outbound = session.query(storage.OutboundRecord).count()
        audit = session.query(storage.AuditEntry).count()
    return order.status, order.version, documents, outbound, audit


def _send(client: FlaskClient, route: Route, data: dict[str, str] | None = None) -> object:
    if route.method == "GET":
        return client.get(route.url)
    return client.post(route.url, data={"version": "1", **(data or {})})


def test_every_route_is_filed(desk: DeskApp) -> None:
    routes = every_route(desk)
    for route in routes:
        assert (
            route.endpoint in PUBLIC or route.blueprint in {"desk"} | TOKEN_BLUEPRINTS | SIGNED_BLUEPRINTS
        ), route
    endpoints = {r.endpoint for r in routes}
    assert {"desk.queue", "desk.queue_csv_download", "desk.act", "api.shipments", "as2.receive"} <= endpoints
    assert len([r for r in routes if r.endpoint == "desk.act"]) >= 9  # every order action, each its own route


def test_every_desk_route_refuses_an_anonymous_request(desk: DeskApp) -> None:
    before = _state(desk)
    anonymous = desk.client()
    csrf = token(anonymous, "/login")  # an anonymous session's own token: the login check must still refuse
    for route in desk_routes(desk):
        response = _send(anonymous, route, {"csrf_token": csrf})
        assert response.status_code == 302, route  # type: ignore[attr-defined]
        location = response.headers["Location"]  # type: ignore[attr-defined]
        assert location.startswith("/login"), (route, location)
        if route.method == "GET":
            assert location.startswith("/login?next=/"), (route, location)
        assert "Set-Cookie" not in response.headers or "gateway_desk=" in response.headers["Set-Cookie"]  # type: ignore[attr-defined]
        without_token = _send(desk.client(), route)
        assert without_token.status_code in (302, 400), route  # type: ignore[attr-defined]
    assert _state(desk) == before


def test_every_state_changing_desk_route_refuses_a_request_without_a_csrf_token(desk: DeskApp) -> None:
    changing = [r for r in desk_routes(desk) if r.changes_state]
    assert {r.endpoint for r in changing} >= {"desk.act", "desk.reprocess", "desk.logout"}
    admin = desk.client("root")  # allowed every action, so only the missing token can refuse
    someone_elses = token(desk.client("bob"), "/queue")
    before = _state(desk)  # the logins are audited: counted from here
    for route in changing:
        for csrf in (None, "", "forged-token", someone_elses):
            response = _send(admin, route, {"csrf_token": csrf} if csrf is not None else None)
            assert response.status_code == 400, (route, csrf)  # type: ignore[attr-defined]
            assert "This form has expired" in response.text  # type: ignore[attr-defined]
    assert _state(desk) == before
    assert admin.get("/queue").status_code == 200  # the logout was refused too
    login = desk.client().post("/login", data={"username": "root", "password": password("root")})
    assert login.status_code == 400  # the login form itself wants its token


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {API_TOKEN[:-1]}",
        f"Bearer {API_TOKEN}x",
        f"Basic {API_TOKEN}",
        API_TOKEN,
    ],
)
def test_the_api_refuses_a_missing_or_wrong_bearer_token(desk: DeskApp, authorization: str | None) -> None:
    logged_in = desk.client("root")  # a desk session is no API credential
    before = _state(desk)
    api = [r for r in every_route(desk) if r.blueprint in TOKEN_BLUEPRINTS]
    assert api
    for route in api:
        headers = {"Authorization": authorization} if authorization is not None else {}
        for client in (desk.app.test_client(), logged_in):
            response = client.open(route.url, method=route.method, json={}, headers=headers)
            assert response.status_code == 401, (route, authorization)
            assert response.get_json() == {"refused": ["missing or wrong bearer token"]}
    assert _state(desk) == before


def test_the_api_without_a_configured_token_refuses_everyone(desk: DeskApp) -> None:
    app = create_app(WebConfig(desk.sessions, PartnerRegistry.from_directory(), lambda: datetime.now(UTC)))
    for route in (r for r in every_route(desk) if r.blueprint in TOKEN_BLUEPRINTS):
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
            response = app.test_client().open(route.url, method=route.method, json={}, headers=headers)
            assert response.status_code == 503, route


def test_as2_routes_take_nothing_without_an_as2_identity(desk: DeskApp) -> None:
    before = _state(desk)
    for route in (r for r in every_route(desk) if r.blueprint == "as2"):
        response = desk.app.test_client().open(route.url, method=route.method, data=b"ISA*00*~")
        assert response.status_code == 503, route
    assert _state(desk) == before


def test_shop_webhooks_take_nothing_unsigned(desk: DeskApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsigned, to a profile that is no shop (404) or to the demo shop (401): nothing is stored."""
    monkeypatch.setenv("SHOPIFY_SECRET_NORTHWIND", "the shop's secret")
    before = _state(desk)
    for route in (r for r in every_route(desk) if r.blueprint == "channels"):
        for url, refused in ((route.url, 404), (route.url.replace("/acme/", "/northwind-shop/"), 401)):
            response = desk.app.test_client().open(url, method=route.method, data=b'{"id": 1}')
            expected = 404 if "woocommerce" in url and refused == 401 else refused  # the demo shop is Shopify
            assert response.status_code == expected, (url, response.status_code)
    assert _state(desk) == before


def test_carrier_webhooks_take_nothing_unauthenticated(
    desk: DeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unsigned nShift and Ingrid bodies: 503 with no secret set, 401 with one; nothing is stored."""
    before = _state(desk)
    routes = [r for r in every_route(desk) if r.blueprint == "shipment_webhooks"]
    assert sorted(r.url for r in routes) == ["/webhooks/acme/ingrid", "/webhooks/acme/nshift"]
    for refused in (503, 401):
        if refused == 401:
            monkeypatch.setenv("GATEWAY_NSHIFT_WEBHOOK_SECRET", "nshift secret")
            monkeypatch.setenv("GATEWAY_INGRID_WEBHOOK_SECRET", "ingrid secret")
        for route in routes:
            response = desk.app.test_client().open(route.url, method=route.method, data=b'{"id": 1}')
            assert response.status_code == refused, (route.url, response.status_code)
    assert _state(desk) == before
