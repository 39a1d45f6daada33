"""The gateway's web server: the JSON API the ERP and WMS post to, and the AS2 endpoint; the order-desk queue comes later.

``create_app`` builds the Flask app around a store and the partner profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.pipeline import Pipeline
from gateway.transports.as2_identity import As2Identity
from gateway.transports.as2_inbox import As2Inbox
from gateway.transports.as2_receive import as2
from partners import PartnerRegistry

from .api import api

MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    *,
    api_token: str | None,
    clock: Callable[[], datetime],
    as2_identity: As2Identity | None = None,
    pipeline: Pipeline | None = None,
) -> Flask:
    """The app; ``api_token`` is the bearer token API clients must send (None: the API answers 503).

    ``as2_identity`` is us in AS2 (None: ``POST /as2`` answers 503); what arrives by AS2 goes
    through ``pipeline`` (default: one over ``sessions`` and ``partners``, validating).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["gateway"] = {
        "sessions": sessions,
        "partners": partners,
        "api_token": api_token,
        "clock": clock,
        "as2": None,
    }
    if as2_identity is not None:
        pipeline = pipeline or Pipeline(sessions, partners, clock)
        app.extensions["gateway"]["as2"] = As2Inbox(
            sessions, partners, as2_identity, pipeline=pipeline, clock=clock
        )
    app.register_blueprint(api)
    app.register_blueprint(as2)
    return app
