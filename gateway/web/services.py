"""What every request of the web app works with, bound once when the app is made: ``services()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from flask import current_app
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.transports.as2_inbox import As2Inbox
from partners import PartnerRegistry

EXTENSION = "gateway"


@dataclass(frozen=True, slots=True)
class WebServices:
    """The store, the profiles and the clock, and what the API, AS2 and the desk act through.

    ``api_token``: None, the API answers 503. ``as2``: None, ``POST /as2`` answers 503.
    ``secrets``: a channel's webhook secret by the environment variable its profile names.
    """

    sessions: sessionmaker[Session]
    partners: PartnerRegistry
    clock: Callable[[], datetime]
    api_token: str | None
    as2: As2Inbox | None
    order_desk: OrderDesk
    pipeline: Pipeline
    secrets: Callable[[str], str | None]


def services(app: Flask | None = None) -> WebServices:
    """The services of ``app``, else of the app handling this request."""
    found = (app or current_app).extensions[EXTENSION]
    assert isinstance(found, WebServices)
    return found
