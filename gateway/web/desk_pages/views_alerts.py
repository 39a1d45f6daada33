"""The alerts page: ``GET /alerts?kind=&partner=`` lists the open alerts; ``POST /alerts/<id>/resolve``
resolves one by hand (clerk or admin; CSRF as every desk POST; audited; its "resolved" notice is
sent like any other). A condition still true raises the alert again at the next check or failure.
"""

from __future__ import annotations

from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from gateway.alerts import title
from gateway.desk import ALERT_ROLES
from gateway.desk import AlertNotOpen
from gateway.desk import PermissionDenied
from gateway.desk import count_open_alerts
from gateway.desk import open_alerts
from gateway.desk import require_role
from gateway.desk import resolve_by_hand
from gateway.model.status import AlertKind

from .context import db
from .context import desk
from .context import now
from .context import render
from .context import services
from .context import user
from .forms import ResolveAlertForm
from .security import safe_next

PAGE_LIMIT = 200


@desk.get("/alerts")
def alerts() -> ResponseReturnValue:
    kind = request.args.get("kind", "").strip() or None
    partner = request.args.get("partner", "").strip() or None
    if kind is not None and kind not in set(AlertKind):
        kind = None  # an unknown kind filters nothing rather than hiding every alert
    session = db()
    rows = open_alerts(session, partner=partner, kind=kind, limit=PAGE_LIMIT)
    total = count_open_alerts(session, partner=partner, kind=kind)
    db().commit()  # end the read before rendering
    return render(
        "alerts.html",
        alerts=rows,
        total=total,
        kinds=[(str(k), title(k)) for k in AlertKind],
        partners=sorted(p.name for p in services().partners),
        kind=kind,
        partner=partner,
    )


@desk.post("/alerts/<int:alert_id>/resolve")
def resolve_alert(alert_id: int) -> ResponseReturnValue:
    actor = user()
    try:
        require_role(actor, *ALERT_ROLES, doing="resolve an alert")
    except PermissionDenied as exc:
        abort(403, str(exc))
    form = ResolveAlertForm()
    back = safe_next(form.back.data or "") or url_for("desk.alerts")
    if not form.validate():
        flash("; ".join(form.problems()), "error")
        return redirect(back, 303)
    session = db()
    try:
        resolve_by_hand(session, alert_id, actor=actor.username, note=form.note.data or "", at=now())
    except AlertNotOpen as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(back, 303)
    session.commit()
    flash(
        f"Alert {alert_id} resolved. If what it is about is still wrong, the next check raises it again.",
        "success",
    )
    return redirect(back, 303)
