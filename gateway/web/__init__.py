"""The gateway's web server: the JSON API the ERP and WMS post to; the order-desk queue comes later.

``create_app`` builds the Flask app around a store and the partner profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from partners import PartnerRegistry

from .api import api

MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(
    sessions: sessionmaker[Session],
    partners: PartnerRegistry,
    *,
    api_token: str | None,
    clock: Callable[[], datetime],
) -> Flask:
    """The app; ``api_token`` is the bearer token API clients must send (None: the API answers 503)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["gateway"] = {
        "sessions": sessions,
        "partners": partners,
        "api_token": api_token,
        "clock": clock,
    }
    app.register_blueprint(api)
    return app
