"""A person resolves an alert by hand (the desk's button, ``gateway alerts --resolve``): checked, audited, notified.

The alert's "resolved" notice goes out like any other (``gateway.alerts.sending``) and says who
resolved it and their note. Resolving does not mend the condition: one that is still true is
raised again, as a new alert, by the next check or failure. Takes a session; never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway import storage
from gateway.alerts import resolve_alert

from ._errors import AlertNotOpen
from ._roles import ADMIN
from ._roles import CLERK

ALERT_ROLES = (CLERK, ADMIN)  # who may resolve an alert on the desk
MAX_NOTE = 1000


def resolve_by_hand(session: Session, alert_id: int, *, actor: str, note: str, at: datetime) -> storage.Alert:
    """Resolve open alert ``alert_id`` as ``actor`` with ``note``, and audit it (who, when, note).

    The caller checks the actor's role (``require_role(user, *ALERT_ROLES)``) where it has a user.
    """
    note = note.strip()[:MAX_NOTE]
    row = resolve_alert(session, alert_id, at=at, by=actor, note=note)
    if row is None:
        raise AlertNotOpen(f"alert {alert_id} is not open (resolved already, or no such alert)")
    storage.record_audit(
        session,
        actor=actor,
        action="alert.resolve",
        subject_type="alert",
        subject_id=str(alert_id),
        before={"kind": row.kind, "partner": row.partner, "message": row.message},
        after={"resolved_at": at.isoformat(), "note": note},
        at=at,
    )
    return row
