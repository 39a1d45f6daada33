"""``init_desk``: bind the desk's services and settings to an app, and register the blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import Flask
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from gateway.config import desk_settings_from_environment

from . import filters
from . import settings
from .context import desk
from .context import discard
from .context import render
from .security import init_security
from .security import no_store

ERROR_TITLES = {
    400: "The request was not understood",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed that way",
    413: "Too large",
}


def init_desk(
    app: Flask,
    *,
    exempt: tuple[Blueprint, ...],
    config: Mapping[str, Any] | None = None,
) -> None:
    """Settings (defaults, then the environment, then ``config``), CSRF with ``exempt`` blueprints
    left out, security headers, template filters, and the ``desk`` blueprint at ``/``. The views'
    services are the app's (``gateway.web.services``)."""
    app.config.update(settings.defaults())  # over Flask's own defaults (cookie name, SameSite...)
    app.config.update(desk_settings_from_environment())
    app.config.update(config or {})
    init_security(app, exempt=exempt)
    filters.register(app)
    app.register_blueprint(desk)


desk.after_request(no_store)


@desk.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> ResponseReturnValue:
    discard()
    return render(
        "error.html",
        400,
        title="This form has expired",
        message="The page was open too long, or you logged in again since, or the form came from "
        "another site. Go back, reload the page and send the form again.",
        detail=error.description,
    )


@desk.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    discard()  # never keep half of what a failed request wrote
    code = error.code or 500
    return render(
        "error.html",
        code,
        title=ERROR_TITLES.get(code, error.name),
        message=error.description if code in (403, 404) and error.description else None,
        detail=None,
    )
