"""The ``desk`` blueprint and what each of its requests works with: one store session, the user, the services.

One session per request (``db()``), closed on teardown. A view that changes data commits it;
a view that only reads ends its transaction before rendering (``render``), because on SQLite
every transaction holds the write lock until it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway.desk import OrderDesk
from gateway.inbound.pipeline import Pipeline
from gateway.storage import DeskUser
from partners import PartnerRegistry

desk = Blueprint("desk", __name__)
EXTENSION = "desk"


@dataclass(frozen=True, slots=True)
class DeskServices:
    """What the desk's views need, bound once when the app is made."""

    sessions: sessionmaker[Session]
    partners: PartnerRegistry
    clock: Callable[[], datetime]
    order_desk: OrderDesk
    pipeline: Pipeline


def services() -> DeskServices:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


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
    """End the read transaction (objects stay loaded), then render the template.

    Only for views that wrote nothing, or committed or rolled back what they wrote already.
    """
    if "desk_db" in g:
        g.desk_db.commit()
    return render_template(template, **values), status


def discard() -> None:
    """Roll back whatever this request changed and did not commit (an error page is next)."""
    if "desk_db" in g:
        g.desk_db.rollback()
