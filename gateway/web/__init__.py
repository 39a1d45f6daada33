"""The gateway's web server: the order desk, the JSON API the ERP and WMS post to, and the AS2 endpoint.

``create_app`` builds the Flask app around a store and the partner profiles. The desk
(``gateway.web.desk_pages``) is served at ``/`` with sessions and CSRF; the API (bearer token) and
AS2 (signatures) are session-less and exempt from CSRF.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.transports.as2_identity import As2Identity
from gateway.transports.as2_inbox import As2Inbox
from gateway.transports.as2_receive import as2
from partners import PartnerRegistry

from .api import api
from .desk_pages import DeskServices
from .desk_pages import init_desk

MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    *,
    api_token: str | None,
    clock: Callable[[], datetime],
    as2_identity: As2Identity | None = None,
    pipeline: Pipeline | None = None,
    erp_kind: str | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """The app; ``api_token`` is the bearer token API clients must send (None: the API answers 503).

    ``as2_identity`` is us in AS2 (None: ``POST /as2`` answers 503); what arrives by AS2, and
    what the desk reprocesses, goes through ``pipeline`` (default: one over ``sessions`` and
    ``partners``, validating). ``erp_kind`` is the ERP payload an order approved on the desk
    queues (the pipeline's own setting). ``config`` overrides Flask and desk settings
    (``SECRET_KEY``, ``DESK_SLA_HOURS``...; see ``gateway.web.desk_pages.settings``).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    pipeline = pipeline or Pipeline(sessions, partners, clock, erp_kind=erp_kind)
    app.extensions["gateway"] = {
        "sessions": sessions,
        "partners": partners,
        "api_token": api_token,
        "clock": clock,
        "as2": None,
    }
    if as2_identity is not None:
        app.extensions["gateway"]["as2"] = As2Inbox(
            sessions, partners, as2_identity, pipeline=pipeline, clock=clock
        )
    app.register_blueprint(api)
    app.register_blueprint(as2)
    services = DeskServices(
        sessions=sessions,
        partners=partners,
        clock=clock,
        order_desk=OrderDesk(partners, erp_kind=erp_kind, clock=clock),
        pipeline=pipeline,
    )
    init_desk(app, services, exempt=(api, as2), config=config)
    return app
