"""The gateway's web server: the order desk, the JSON API the ERP and WMS post to, AS2, and shop webhooks.

``create_app(config=None)`` builds the Flask app (Flask's app-factory convention): with no
config, everything is read from the environment (``gateway.config.WebConfig.from_environment``);
tests pass a ``WebConfig`` around their own store. Its views reach the store, profiles and clock
through ``gateway.web.services.services()``. The desk (``gateway.web.desk_pages``) is served at
``/`` with sessions and CSRF; the API (bearer token), AS2, the channels' and carriers' webhooks (signatures)
are session-less and exempt from CSRF.
"""

from __future__ import annotations

from flask import Flask

from gateway.config import WebConfig
from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.transports.as2_inbox import As2Inbox

from .api import api
from .as2 import as2
from .channels import channels
from .desk_pages import init_desk
from .services import EXTENSION
from .services import WebServices
from .shipment_webhooks import shipment_webhooks

MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(config: WebConfig | None = None) -> Flask:
    """The app over ``config``; None builds it from the environment (see ``WebConfig``)."""
    config = config or WebConfig.from_environment()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    sessions, partners, clock = config.sessions, config.partners, config.clock
    pipeline = config.pipeline or Pipeline(sessions, partners, clock, erp_kind=config.erp_kind)
    app.extensions[EXTENSION] = WebServices(
        sessions=sessions,
        partners=partners,
        clock=clock,
        api_token=config.api_token,
        as2=None
        if config.as2_identity is None
        else As2Inbox(sessions, partners, config.as2_identity, pipeline=pipeline, clock=clock),
        order_desk=OrderDesk(partners, erp_kind=config.erp_kind, clock=clock),
        pipeline=pipeline,
        secrets=config.secrets,
    )
    app.register_blueprint(api)
    app.register_blueprint(as2)
    app.register_blueprint(channels)
    app.register_blueprint(shipment_webhooks)
    init_desk(app, exempt=(api, as2, channels, shipment_webhooks), config=config.flask)
    return app
