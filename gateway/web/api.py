"""``POST /api/shipments`` and ``POST /api/invoices``: shipment and invoice records in, 856/810 queued.

Bearer-token authenticated. 201 with the outcome when recorded, 200 when the same record was
already recorded, 422 with every reason when refused, 401/415/503 for the request itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.errors import OutboundRefused
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


def _submit(action: Callable[..., dict[str, Any]]) -> ResponseReturnValue:
    bound = services()
    try:
        outcome = action(bound.sessions, bound.partners, request.get_data(), when=bound.clock())
    except OutboundRefused as exc:
        return _problem(422, exc.problems)
    return jsonify(outcome), 200 if outcome["duplicate"] else 201


def _problem(status: int, problems: list[str]) -> ResponseReturnValue:
    return jsonify({"refused": problems}), status
