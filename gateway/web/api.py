"""``POST /api/shipments`` and ``POST /api/invoices``: shipment and invoice records in, 856/810 queued;
``GET /api/atp``: the available-to-promise snapshot for shops; ``POST /api/inventory``: stock counts in.

Bearer-token authenticated. 201 with the outcome when recorded, 200 when the same record was
already recorded, 422 with every reason when refused, 401/415/503 for the request itself.
``GET /api/atp`` answers ``{"as_of", "partner", "atp": {sku: "12", ...}, "next"}``, quantities as
exact decimal strings, one page of SKUs in SKU order: ``?limit=`` (default 1000, at most 10000),
then ``?after=<next>`` for the next page (``next`` is null on the last); ``?sku=`` one SKU;
``?partner=`` that partner's or channel's safety stock held back (none by default).
``POST /api/inventory`` takes ``{"mode": "absolute"|"delta", "items": [{"sku", "warehouse"?,
"on_hand", "allocated"?}]}`` (``gateway.inbound.master_data.update_inventory``), quantities as
decimal strings (a JSON number is read as an exact decimal, never a float), in one transaction:
200 with the rows written, or 422 with every reason and nothing changed. The 846 on-change
advice follows as after ``gateway import inventory``: the scheduler's ``846`` pass sees the new ATP.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.errors import InventoryRefused
from gateway.errors import OutboundRefused
from gateway.inbound.atp import NO_SAFETY
from gateway.inbound.atp import atp
from gateway.inbound.atp import atp_page
from gateway.inbound.master_data import update_inventory
from gateway.outbound.records import submit_invoice
from gateway.outbound.records import submit_shipment

from .services import services

api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
def _authenticate() -> ResponseReturnValue | None:
    token = services().api_token
    if not token:
        return _problem(503, ["the API is disabled: set GATEWAY_API_TOKEN to enable it"])
    sent = request.headers.get("Authorization", "")
    scheme, _, value = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.encode(), token.encode()):
        return _problem(401, ["missing or wrong bearer token"])
    if request.method == "POST" and request.mimetype != "application/json":
        return _problem(415, [f"send application/json, not {request.mimetype or 'nothing'}"])
    return None


@api.errorhandler(RequestEntityTooLarge)
def _too_large(_: RequestEntityTooLarge) -> ResponseReturnValue:
    return _problem(413, [f"the body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes"])


@api.post("/shipments")
def shipments() -> ResponseReturnValue:
    return _submit(submit_shipment)


@api.post("/invoices")
def invoices() -> ResponseReturnValue:
    return _submit(submit_invoice)


ATP_PAGE = 1000
ATP_PAGE_MAX = 10000


@api.get("/atp")
def available_to_promise() -> ResponseReturnValue:
    bound = services()
    stock = NO_SAFETY
    partner = request.args.get("partner")
    if partner is not None:
        profile = bound.partners.get(partner)
        if profile is None:
            return _problem(404, [f"no partner profile named {partner!r}"])
        stock = profile.stock
    try:
        limit = int(request.args.get("limit", ATP_PAGE))
    except ValueError:
        return _problem(400, ["limit must be a whole number"])
    if not 1 <= limit <= ATP_PAGE_MAX:
        return _problem(400, [f"limit must be between 1 and {ATP_PAGE_MAX}"])
    as_of = bound.clock()
    with bound.sessions() as session:
        page = atp_page(
            session,
            after=request.args.get("after"),
            limit=limit + 1,
            sku=request.args.get("sku"),
            stock=stock,
        )
    more = len(page) > limit
    page = page[:limit]
    return jsonify(
        {
            "as_of": as_of.isoformat(),
            "partner": partner,
            "atp": {sku: f"{value.normalize():f}" for sku, value in page},
            "next": page[-1][0] if more else None,
        }
    )


@api.post("/inventory")
def inventory() -> ResponseReturnValue:
    bound = services()
    try:
        update = json.loads(request.get_data(), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _problem(400, [f"the body is not JSON: {exc}"])
    try:
        with bound.sessions() as session, session.begin():
            written = update_inventory(session, update)
            figures = atp(session, {row["sku"] for row in written})
    except InventoryRefused as exc:
        return _problem(422, exc.problems)
    return jsonify(
        {
            "mode": update.get("mode", "absolute"),
            "inventory": written,
            "atp": {sku: f"{value.normalize():f}" for sku, value in sorted(figures.items())},
        }
    )


def _submit(action: Callable[..., dict[str, Any]]) -> ResponseReturnValue:
    bound = services()
    try:
        outcome = action(bound.sessions, bound.partners, request.get_data(), when=bound.clock())
    except OutboundRefused as exc:
        return _problem(422, exc.problems)
    return jsonify(outcome), 200 if outcome["duplicate"] else 201


def _problem(status: int, problems: list[str]) -> ResponseReturnValue:
    return jsonify({"refused": problems}), status
