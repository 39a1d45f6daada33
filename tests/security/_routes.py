"""Every route of the web app, read from ``app.url_map``, with real values for its arguments (no tests here).

A new route is covered by the route tests as soon as it exists. Each is filed by who may call
it: ``PUBLIC`` endpoints, the bearer-token ``api`` blueprint, the ``as2`` blueprint (signed
messages, tested in ``test_as2_signatures``), the ``channels`` blueprint (HMAC-signed shop
webhooks, tested in ``tests/channels/test_channel_webhooks.py``), the ``shipment_webhooks`` blueprint
(nShift and Ingrid, tested in ``tests/web/test_shipment_webhooks.py``), and everything else, which is the desk: behind
the login, and behind a CSRF token when it changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select

from gateway import storage
from gateway.web.desk_pages.views_order import ACTIONS
from tests.web.test_web_desk_support import UNKNOWN_SKU_PO
from tests.web.test_web_desk_support import DeskApp

PUBLIC = frozenset({"static", "desk.login"})
TOKEN_BLUEPRINTS = frozenset({"api"})
SIGNED_BLUEPRINTS = frozenset({"as2", "channels", "shipment_webhooks"})
CHECKED_METHODS = frozenset({"GET", "POST"})


@dataclass(frozen=True, slots=True)
class Route:
    endpoint: str
    method: str
    url: str

    @property
    def blueprint(self) -> str:
        return self.endpoint.rpartition(".")[0]

    @property
    def changes_state(self) -> bool:
        return self.method != "GET"


def argument_values(desk: DeskApp) -> dict[str, list[Any]]:
    """Real values for each URL argument name the app uses (several for ``action``: every one)."""
    with desk.sessions() as session:
        outbound_id = session.scalar(select(storage.OutboundRecord.id).limit(1))
    return {
        "order_id": [desk.order_id(UNKNOWN_SKU_PO)],
        "document_id": [desk.document_id("ruled-simple.pdf")],
        "outbound_id": [outbound_id],
        "page": [1],
        "name": ["acme"],
        "action": sorted(ACTIONS),
        "filename": ["desk.css"],
        "alert_id": [1],  # resolving an alert that is not open is refused with a message, not an error
    }


def every_route(desk: DeskApp) -> list[Route]:
    """Each (endpoint, method) of the app, once per value of its arguments; unknown arguments fail."""
    app: Flask = desk.app
    values = argument_values(desk)
    routes: list[Route] = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        assert methods <= CHECKED_METHODS, (
            f"{rule}: {methods - CHECKED_METHODS} is not checked by the route tests"
        )
        unknown = rule.arguments - set(values)
        assert not unknown, f"{rule}: give the route tests a real value for {unknown}"
        combinations: list[dict[str, object]] = [{}]
        for argument in sorted(rule.arguments):
            combinations = [{**c, argument: v} for c in combinations for v in values[argument]]
        for method in sorted(methods):
            for combination in combinations:
                url = adapter.build(rule.endpoint, combination, method=method)
                routes.append(Route(rule.endpoint, method, url))
    return routes


def desk_routes(desk: DeskApp) -> list[Route]:
    """The routes behind the login: all but the public, token and signed ones."""
    return [
        r
        for r in every_route(desk)
        if r.endpoint not in PUBLIC and r.blueprint not in TOKEN_BLUEPRINTS | SIGNED_BLUEPRINTS
    ]
