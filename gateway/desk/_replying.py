"""The clerk sends a reply to the customer: the drafted confirmation or rejection, as read and edited.

``send_reply`` takes the clerk's To, Subject and text, writes them over the stored reply (its
threading headers kept), and puts it in the outbox as ``pending`` for ``gateway.outbound.mailer``; a reply
that could not be sent (``dead``) may be corrected and sent again the same way, which closes its
alert. One audit entry on the order says who sent what, when: the address, the subject, the text,
and whether the clerk changed the draft. The caller commits, then may send it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses

from sqlalchemy.orm import Session

from gateway import storage
from gateway.alerts import resolve_alerts
from gateway.model.status import OutboxStatus
from gateway.outbound import replies
from gateway.storage import DeskUser

from ._errors import InvalidChange
from ._errors import OrderNotFound
from ._locking import SUBJECT
from ._users import ADMIN
from ._users import CLERK
from ._users import require_role

MAX_SUBJECT = 200
MAX_BODY = 100_000
SENDABLE = (OutboxStatus.DRAFT, OutboxStatus.DEAD)


@dataclass(frozen=True, slots=True)
class ReplyQueued:
    outbound_id: int
    to: str
    audit_id: int
    edited: bool


def send_reply(
    session: Session,
    order_id: int,
    outbound_id: int,
    actor: DeskUser,
    *,
    to: str,
    subject: str,
    body: str,
    when: datetime,
) -> ReplyQueued:
    """Queue the order's reply ``outbound_id`` with the clerk's address, subject and text."""
    require_role(actor, CLERK, ADMIN, doing="send a reply to the customer")
    if session.get(storage.PurchaseOrder, order_id) is None:
        raise OrderNotFound(order_id)
    row = session.get(storage.OutboundRecord, outbound_id, with_for_update=True)
    if row is None or row.order_id != order_id or row.kind != replies.KIND:
        raise InvalidChange(f"order {order_id} has no reply {outbound_id}")
    if row.status not in SENDABLE:
        state = "sent already" if row.status == OutboxStatus.SENT else f"{row.status}, on its way"
        raise InvalidChange(f"reply {outbound_id} is {state}; it is not sent again")
    to, subject, body = _address(to), _subject(subject), _body(body)
    was = replies.read_reply(row)
    row.content = replies.revised(row.content, to=to, subject=subject, body=body).as_bytes()
    row.status, row.attempts, row.next_attempt_at, row.last_error = OutboxStatus.PENDING, 0, None, None
    resolve_alerts(session, at=when, outbound_id=outbound_id)  # the clerk has seen it and sends it again
    edited = (was.to, was.subject, was.body.strip()) != (to, subject, body.strip())
    entry = storage.record_audit(
        session,
        actor=actor.username,
        action="order.send_reply",
        subject_type=SUBJECT,
        subject_id=str(order_id),
        before={"reply": was.status, "to": was.to, "subject": was.subject},
        after={
            "reply": OutboxStatus.PENDING,
            "outbound_id": outbound_id,
            "to": to,
            "subject": subject,
            "edited": edited,
            "text": body,
        },
        at=when,
    )
    session.flush()
    return ReplyQueued(outbound_id, to, entry.id, edited)


def _address(raw: str) -> str:
    text = " ".join((raw or "").split())
    found = getaddresses([text]) if text else []
    addresses = [address for _, address in found]
    if not addresses or any(not _plausible(a) for a in addresses):
        raise InvalidChange(f"To: {text or '(empty)'} is not an email address, e.g. orders@customer.example")
    return text


def _plausible(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(local and at and "." in domain and not any(c.isspace() for c in address))


def _subject(raw: str) -> str:
    subject = " ".join((raw or "").split())
    if not subject:
        raise InvalidChange("give the reply a subject")
    if len(subject) > MAX_SUBJECT:
        raise InvalidChange(f"the subject is longer than {MAX_SUBJECT} characters")
    return subject


def _body(raw: str) -> str:
    body = (raw or "").replace("\r\n", "\n")
    if not body.strip():
        raise InvalidChange("the reply has no text")
    if len(body) > MAX_BODY:
        raise InvalidChange(f"the reply is longer than {MAX_BODY:,} characters")
    return body if body.endswith("\n") else body + "\n"
