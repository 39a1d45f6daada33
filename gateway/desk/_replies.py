"""A drafted email reply to a customer whose emailed order the desk rejected.

It is stored in the outbox as kind ``email.reply`` with status ``draft``: nothing sends it on
its own (the dispatcher takes ``pending`` X12 documents, the ERP courier ``erp.*`` kinds); a
person reviews and sends it. The content is a plain-text RFC 5322 message (To, Subject, and
In-Reply-To/References when the order came by email), without From or Date: those are set
when it is sent.

The address: the order's email (Reply-To, From or Sender that belongs to the partner, else
the first of them), else a buyer contact's email on the order, else the first full address in
the partner's ``email_senders``. With none, ``To`` is left empty for the clerk to fill in.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway import storage
from gateway.model import Order
from partners import PartnerProfile

KIND = "email.reply"
DRAFT = "draft"
_HEADER_BYTES = 256 * 1024  # headers end well before this; the attachments are not read


def draft_rejection(
    session: Session,
    stored: storage.PurchaseOrder,
    order: Order,
    partner: PartnerProfile,
    *,
    reason: str,
    findings: Sequence[Mapping[str, Any]],
    when: datetime,
) -> int:
    """Store the reply telling the customer the order is rejected and why; returns its outbox id."""
    original = _original_headers(session, stored.document_id)
    message = EmailMessage(policy=policy.SMTP)
    message["To"] = reply_address(original, order, partner) or ""
    message["Subject"] = f"Re: PO {order.po_number}" if order.po_number else "Re: your order"
    message_id = original.get("Message-ID") if original is not None else None
    if message_id:
        message["In-Reply-To"] = message_id
        message["References"] = message_id
    message.set_content(rejection_text(order, partner, reason=reason, findings=findings))
    row = {
        "partner": partner.name,
        "kind": KIND,
        "content": message.as_bytes(),
        "document_id": stored.document_id,
        "order_id": stored.id,
        "status": DRAFT,
        "created_at": when,
        "refers_to": order.po_number,
    }
    return int(
        session.execute(insert(storage.OutboundRecord).returning(storage.OutboundRecord.id), row).scalar_one()
    )


def rejection_text(
    order: Order, partner: PartnerProfile, *, reason: str, findings: Sequence[Mapping[str, Any]]
) -> str:
    """The body: which order, the reason in the clerk's words, then what validation found."""
    what = f"your purchase order {order.po_number}" if order.po_number else "your order"
    if order.po_date:
        what += f" of {order.po_date:%d %B %Y}"
    lines = [
        "Hello,",
        "",
        f"We are sorry: we cannot accept {what} as it stands.",
        "",
        f"Reason: {reason}",
    ]
    problems = [str(f["message"]) for f in findings if f.get("action") in ("hold", "reject")]
    if problems:
        lines += ["", "What we found:", *(f"- {problem}" for problem in problems)]
    lines += [
        "",
        "Please send a corrected order, or reply to this message if you have a question.",
        "",
        "Kind regards,",
        "The order desk",
    ]
    return "\n".join(lines) + "\n"


def reply_address(original: Message | None, order: Order, partner: PartnerProfile) -> str | None:
    if original is not None:
        candidates = [
            address
            for header in ("reply-to", "from", "sender")
            for _, address in getaddresses(original.get_all(header, []))
            if address
        ]
        for address in candidates:
            if _belongs_to(address, partner):
                return address
        if candidates:
            return candidates[0]
    for contact in order.contacts:
        if email := contact.channels.get("EM"):
            return email
    return next((s for s in partner.email_senders if not s.startswith("@")), None)


def _belongs_to(address: str, partner: PartnerProfile) -> bool:
    wanted = address.strip().lower()
    domain = "@" + wanted.rpartition("@")[2]
    senders = {s.lower() for s in partner.email_senders}
    return wanted in senders or domain in senders


def _original_headers(session: Session, document_id: int) -> Message | None:
    """The headers of the order's document when it is an email; None for X12, PDF or sheet files."""
    document = session.get(storage.Document, document_id)
    if document is None or document.format != "email":
        return None
    head = storage.open_document(session, document_id).read(_HEADER_BYTES)
    return BytesParser(policy=policy.default).parse(io.BytesIO(head), headersonly=True)
