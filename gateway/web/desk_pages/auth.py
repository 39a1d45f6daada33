"""Logging in and out, the login check in front of every desk page, and who may do what.

The session holds the user's id, their session generation and a keyed fingerprint of their
password hash; each request loads the user again and compares, so the server revokes sessions:
logout, a new password and disabling the user raise the generation, and every session made
before (a copied cookie too) is dead at once. Logout so ends the user's sessions in every
browser. The session is emptied at login (a new CSRF token with it), so nothing from before
carries over.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask.typing import ResponseReturnValue

from gateway import storage
from gateway.desk import ADMIN
from gateway.desk import ALERT_ROLES
from gateway.desk import CLERK
from gateway.desk import CREDIT_ROLES
from gateway.desk import DESK_ROLES
from gateway.desk import MIN_PASSWORD_LENGTH
from gateway.desk import InvalidUser
from gateway.desk import Throttled
from gateway.desk import authenticate
from gateway.desk import clear_login_failures
from gateway.desk import end_sessions
from gateway.desk import find_user_by_id
from gateway.desk import login_throttle
from gateway.desk import record_login_failure
from gateway.desk import set_password
from gateway.storage import DeskUser

from .context import db
from .context import desk
from .context import now
from .context import render
from .context import user
from .forms import LoginForm
from .forms import PasswordForm
from .forms import PlainForm
from .security import password_fingerprint
from .security import safe_next

log = logging.getLogger(__name__)
PUBLIC_ENDPOINTS = frozenset({"desk.login", "static"})
REPROCESS_ROLES = (CLERK, ADMIN)
WRONG_LOGIN = "Wrong username or password (or the user is disabled)."


@desk.before_request
def _require_login() -> ResponseReturnValue | None:
    g.user = _session_user()
    if g.user is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return redirect(url_for("desk.login", next=_come_back_to()))


def _come_back_to() -> str | None:
    """Where to go after logging in: the page asked for; after a form sent with no session, the page it
    was sent from (the form's own URL only takes a POST)."""
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def _session_user() -> DeskUser | None:
    user_id = session.get("user")
    if not isinstance(user_id, int):
        return None
    found = find_user_by_id(db(), user_id)
    fingerprint = session.get("auth", "")
    if (
        found is None
        or found.disabled
        or session.get("generation") != found.session_generation
        or not isinstance(fingerprint, str)
        or fingerprint != password_fingerprint(current_app.secret_key or "", found.password_hash)
    ):
        session.clear()
        return None
    return found


@desk.app_context_processor
def _who() -> dict[str, object]:
    found: DeskUser | None = g.get("user")
    role = found.role if found is not None and not found.disabled else None
    return {
        "current_user": found,
        "can_fix": role in DESK_ROLES,
        "can_release_credit": role in CREDIT_ROLES,
        "can_reprocess": role in REPROCESS_ROLES,
        "can_resolve_alerts": role in ALERT_ROLES,
        "logout_form": PlainForm(),
    }


def _throttled(username: str, address: str, when: datetime) -> Throttled | None:
    """The failed-login throttle for ``username`` from ``address``; a refusal is logged."""
    throttled = login_throttle(db(), username, address, at=when)
    if throttled is not None:
        log.warning(
            "desk login throttled for %r from %s: too many failures for the %s; retry after %d s",
            username,
            address,
            throttled.by,
            throttled.retry_after,
        )
    return throttled


def _too_many(throttled: Throttled) -> str:
    return f"Too many failed logins for the {throttled.by}. Try again in {throttled.retry_after} seconds."


def _start_session(found: DeskUser) -> None:
    """A new session for ``found``: emptied first (a new CSRF token), then tied to the user's
    session generation and password."""
    session.clear()
    session.permanent = True
    session["user"] = found.id
    session["generation"] = found.session_generation
    session["auth"] = password_fingerprint(current_app.secret_key or "", found.password_hash)


@desk.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.user is not None:
            return redirect(target or url_for("desk.queue"))
        form.next.data = target or ""
        db().commit()  # end the read before rendering
        return render("login.html", form=form)
    if not form.validate():
        db().commit()  # end the read before rendering
        return render("login.html", 400, form=form, error=" ".join(form.problems()))
    username, address, when = form.username.data or "", request.remote_addr or "unknown", now()
    throttled = _throttled(username, address, when)
    if throttled is not None:
        db().commit()  # end the read before rendering
        page, status = render("login.html", 429, form=form, error=_too_many(throttled))
        return page, status, {"Retry-After": str(throttled.retry_after)}
    found = authenticate(db(), username, form.password.data or "")
    if found is None:
        log.warning("failed desk login for %r from %s", username, address)
        db().rollback()
        record_login_failure(db(), username, address, at=when)
        db().commit()
        return render("login.html", 401, form=form, error=WRONG_LOGIN)
    clear_login_failures(db(), username, address)
    _start_session(found)
    storage.record_audit(
        db(),
        actor=found.username,
        action="user.login",
        subject_type="desk_user",
        subject_id=found.username,
        after={"remote_addr": address},
        at=when,
    )
    db().commit()
    return redirect(target or url_for("desk.queue"), 303)


@desk.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """The user's own new password: the same rule as ``gateway user add``; their other sessions end."""
    form = PasswordForm()
    if request.method == "GET":
        return _password_page(form)
    if not form.validate():
        return _password_page(form, 400, error=" ".join(form.problems()))
    me, address, when = user(), request.remote_addr or "unknown", now()
    throttled = _throttled(me.username, address, when)  # guessing here counts as guessing at login
    if throttled is not None:
        page, status = _password_page(form, 429, error=_too_many(throttled))
        return page, status, {"Retry-After": str(throttled.retry_after)}
    if authenticate(db(), me.username, form.current.data or "") is None:
        db().rollback()
        record_login_failure(db(), me.username, address, at=when)
        db().commit()
        return _password_page(form, 400, error="The current password is wrong.")
    if form.new.data != form.repeat.data:
        return _password_page(form, 400, error="The two new passwords differ.")
    try:
        set_password(db(), me.username, form.new.data or "", actor=me.username, at=when)
    except InvalidUser as exc:
        db().rollback()
        return _password_page(form, 400, error=f"Not changed: {exc}.")
    _start_session(me)  # this browser stays in; every other session of the user has ended
    db().commit()
    flash("Your password is changed; your other sessions are ended.", "success")
    return redirect(url_for("desk.queue"), 303)


def _password_page(form: PasswordForm, status: int = 200, *, error: str | None = None) -> tuple[str, int]:
    db().commit()  # end the read before rendering
    return render("password.html", status, form=form, error=error, min_length=MIN_PASSWORD_LENGTH)


@desk.post("/logout")
def logout() -> ResponseReturnValue:
    end_sessions(g.user)  # a copy of this cookie (or of any other of theirs) opens nothing now
    storage.record_audit(
        db(),
        actor=g.user.username,
        action="user.logout",
        subject_type="desk_user",
        subject_id=g.user.username,
        after={"remote_addr": request.remote_addr},
        at=now(),
    )
    db().commit()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("desk.login"), 303)
