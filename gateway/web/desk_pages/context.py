"""The ``desk`` blueprint and what each of its requests works with: one store session, the user, the services.

One session per request (``db()``), closed on teardown. The view owns the transaction: one
that changes data commits it, and one that only reads commits too before it renders (ending
the transaction, its objects stay loaded), because on SQLite every transaction holds the write
lock until it ends. ``render`` and ``discard`` never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template
from sqlalchemy.orm import Session

from gateway.storage import DeskUser

from ..services import services as services

desk = Blueprint("desk", __name__)


def db() -> Session:
    """This request's store session, opened on first use."""
    if "desk_db" not in g:
        g.desk_db = services().sessions()
    return g.desk_db  # type: ignore[no-any-return]


@desk.teardown_app_request
def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("desk_db", None)
    if session is not None:
        session.close()


def user() -> DeskUser:
    """The logged-in user; every desk view but the login page runs with one."""
    found: DeskUser | None = g.get("user")
    if found is None:
        raise RuntimeError("no user: the view is not behind the login check")
    return found


def now() -> datetime:
    return services().clock()


def sla_hours() -> float:
    return float(current_app.config["DESK_SLA_HOURS"])


def render(template: str, status: int = 200, /, **values: Any) -> tuple[str, int]:
    """The template rendered, with the status; the view has committed or rolled back already."""
    return render_template(template, **values), status


def discard() -> None:
    """Roll back whatever this request changed and did not commit (an error page is next)."""
    if "desk_db" in g:
        g.desk_db.rollback()
