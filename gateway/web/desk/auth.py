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
from gateway.desk import CLERK
from gateway.desk import CREDIT_ROLES
from gateway.desk import DESK_ROLES
from gateway.desk import authenticate
from gateway.desk import clear_login_failures
from gateway.desk import end_sessions
from gateway.desk import login_throttle
from gateway.desk import record_login_failure
from gateway.storage import DeskUser

from .context import db
from .context import desk
from .context import now
from .context import render
from .forms import LoginForm
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
    found = db().get(DeskUser, user_id)
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
        "logout_form": PlainForm(),
    }


@desk.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.user is not None:
            return redirect(target or url_for("desk.queue"))
        form.next.data = target or ""
        return render("login.html", form=form)
    if not form.validate():
        return render("login.html", 400, form=form, error=" ".join(form.problems()))
    username, address, when = form.username.data or "", request.remote_addr or "unknown", now()
    throttled = login_throttle(db(), username, address, at=when)
    if throttled is not None:
        log.warning(
            "desk login throttled for %r from %s: too many failures for the %s; retry after %d s",
            username,
            address,
            throttled.by,
            throttled.retry_after,
        )
        page, status = render(
            "login.html",
            429,
            form=form,
            error=f"Too many failed logins for the {throttled.by}. "
            f"Try again in {throttled.retry_after} seconds.",
        )
        return page, status, {"Retry-After": str(throttled.retry_after)}
    found = authenticate(db(), username, form.password.data or "")
    if found is None:
        log.warning("failed desk login for %r from %s", username, address)
        db().rollback()
        record_login_failure(db(), username, address, at=when)
        db().commit()
        return render("login.html", 401, form=form, error=WRONG_LOGIN)
    clear_login_failures(db(), username, address)
    session.clear()
    session.permanent = True
    session["user"] = found.id
    session["generation"] = found.session_generation
    session["auth"] = password_fingerprint(current_app.secret_key or "", found.password_hash)
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
