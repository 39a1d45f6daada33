"""The AS2 endpoint: ``POST /as2`` takes partners' messages and their async MDNs; ``POST /as2/mdn`` only MDNs.

The work is ``As2Inbox.receive``; this blueprint hands it the request and returns its reply.
With no AS2 identity configured both answer 503 and say what to set.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.transports.as2_inbox import Reply

from .services import services

MAX_BODY_BYTES = 64 * 1024 * 1024
_NOT_CONFIGURED = (
    "AS2 is not configured here: set GATEWAY_AS2_ID, GATEWAY_AS2_KEY_FILE and GATEWAY_AS2_CERT_FILE"
)

as2 = Blueprint("as2", __name__)


@as2.before_request
def _body_limit() -> None:
    request.max_content_length = MAX_BODY_BYTES


@as2.post("/as2")
def receive() -> Response:
    return _handle(mdn_only=False)


@as2.post("/as2/mdn")
def receive_mdn() -> Response:
    return _handle(mdn_only=True)


@as2.errorhandler(RequestEntityTooLarge)
def _too_large(_: RequestEntityTooLarge) -> Response:
    error = f"the AS2 message is larger than {MAX_BODY_BYTES} bytes"
    inbox = services().as2
    if inbox is None:
        return _response(Reply.text(413, error))
    return _response(inbox.refuse(request.headers.items(), 413, error))


def _handle(*, mdn_only: bool) -> Response:
    inbox = services().as2
    if inbox is None:
        return _response(Reply.text(503, _NOT_CONFIGURED))
    body = request.get_data(cache=False)
    return _response(inbox.receive(request.headers.items(), body, mdn_only=mdn_only))


def _response(reply: Reply) -> Response:
    return Response(reply.body, status=reply.status, headers=reply.headers)
