"""Emails to customers who order by email, PDF or sheet: the order confirmation and the rejection.

This is the one place their text is written. A reply is stored in the outbox as kind
``email.reply``: ``draft`` when the order desk decided the order (a clerk reads it, may edit
it, and sends it), ``pending`` when it is to go at once (a touchless acceptance for a partner
whose profile sets ``confirm_touchless``); ``gateway.outbound.mailer`` sends pending replies by SMTP,
retries them with backoff, and dead-letters them with an alert. The stored content is a
plain-text RFC 5322 message (To, Subject, and In-Reply-To/References when the order came by
email), without From, Date or Message-ID: the mailer sets those when it sends, and stores what
it sent.

The address: the order's email (Reply-To, From or Sender that belongs to the partner, else
the first of them), else a buyer contact's email on the order, else the first full address in
the partner's ``email_senders``. With none, ``To`` is left empty for the clerk to fill in.

A confirmation lists the changes line by line, what the customer sent beside what we accept:
the order as received (``purchase_order.received_canonical``, or the order itself while
nothing changed it) against the order accepted, plus the items validation replaced (an
``unknown_item`` finding it fixed).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any
from typing import Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway import storage
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.status import OutboxStatus
from partners import PartnerProfile

KIND = "email.reply"
_HEADER_BYTES = 256 * 1024  # headers end well before this; the attachments are not read
LISTED_LINES = 200  # order lines a confirmation lists at most (the changes are always listed whole)

What = Literal["item", "quantity", "price", "removed", "added"]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the order the customer sent and the order we accept."""

    line_no: str
    what: What
    sent: str | None  # as the customer sent it (None for an added line)
    accepted: str | None  # as we accept it (None for a removed line)

    def describe(self) -> str:
        if self.what == "removed":
            return f"Line {self.line_no}: removed (you sent {self.sent})"
        if self.what == "added":
            return f"Line {self.line_no}: added, {self.accepted}"
        return f"Line {self.line_no}, {self.what}: you sent {self.sent}, we accept {self.accepted}"


# -- what changed -----------------------------------------------------------------------------


def order_changes(
    received: Order, accepted: Order, findings: Sequence[Mapping[str, Any]] = ()
) -> list[Change]:
    """The changes from ``received`` to ``accepted``, line by line in the order the customer sent them.

    Compared: the customer's item identifiers (or the item validation replaced an unknown one
    with), quantity with its unit, unit price (when the customer gave one), lines removed or cut
    to zero, lines added. A catalog SKU validation merely resolved is not a change.
    """
    currency = accepted.currency or received.currency
    replaced = {
        str(f["line_no"]): f
        for f in findings
        if f.get("code") == "unknown_item" and f.get("action") == "auto_fix" and f.get("line_no")
    }
    now = {line.line_no: line for line in accepted.lines}
    sent_nos = {line.line_no for line in received.lines}
    changes: list[Change] = []
    for sent in received.lines:
        kept = now.get(sent.line_no)
        if kept is None or (kept.quantity is not None and kept.quantity.value == 0):
            changes.append(Change(sent.line_no, "removed", _line_text(sent, currency), None))
            continue
        if _identifiers(sent) != _identifiers(kept):
            changes.append(Change(sent.line_no, "item", _item(sent), _item(kept, resolved=True)))
        elif sent.line_no in replaced:
            fix = replaced[sent.line_no]
            changes.append(
                Change(sent.line_no, "item", str(fix.get("received") or _item(sent)), kept.sku or _item(kept))
            )
        if _quantity(sent) != _quantity(kept):
            changes.append(Change(sent.line_no, "quantity", _quantity_text(sent), _quantity_text(kept)))
        if sent.unit_price is not None and sent.unit_price != kept.unit_price:
            changes.append(
                Change(
                    sent.line_no,
                    "price",
                    _money(sent.unit_price, currency),
                    _money(kept.unit_price, currency),
                )
            )
    for line in accepted.lines:
        if line.line_no not in sent_nos:
            changes.append(Change(line.line_no, "added", None, _line_text(line, currency)))
    return changes


def _identifiers(line: OrderLine) -> tuple[str | None, ...]:
    return (line.vendor_sku, line.buyer_part, line.upc)


def _item(line: OrderLine, *, resolved: bool = False) -> str:
    if resolved and line.sku:
        return line.sku
    for label, value in (("", line.vendor_sku), ("your part ", line.buyer_part), ("UPC ", line.upc)):
        if value:
            return f"{label}{value}"
    return repr(line.description) if line.description else "(no item)"


def _quantity(line: OrderLine) -> tuple[Decimal | None, str | None]:
    if line.quantity is None:
        return None, None
    return line.quantity.value.normalize(), (line.quantity.uom or "").upper() or None


def _quantity_text(line: OrderLine) -> str:
    value, uom = _quantity(line)
    if value is None:
        return "no quantity"
    return f"{value:f} {uom}" if uom else f"{value:f}"


def _money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "no price"
    cents = amount.quantize(Decimal("0.01"))
    text = f"{cents}" if cents == amount else f"{amount.normalize():f}"
    return f"{text} {currency}" if currency else text


def _line_text(line: OrderLine, currency: str | None) -> str:
    text = f"{_quantity_text(line)} of {_item(line, resolved=True)}"
    if line.description and line.description != line.sku:
        text += f" ({line.description})"
    if line.unit_price is not None:
        text += f" at {_money(line.unit_price, currency)}"
    return text


# -- the text ---------------------------------------------------------------------------------


def _what(order: Order) -> str:
    what = f"your purchase order {order.po_number}" if order.po_number else "your order"
    if order.po_date:
        what += f" of {order.po_date:%d %B %Y}"
    return what


def confirmation_text(order: Order, changes: Sequence[Change]) -> str:
    """The body of an order confirmation: accepted as sent, or accepted with ``changes`` listed."""
    lines = ["Hello,", ""]
    if changes:
        lines += [
            f"Thank you for {_what(order)}. We accept it with the changes below:",
            "",
            *(f"- {change.describe()}" for change in changes),
        ]
    else:
        lines.append(f"Thank you for {_what(order)}. We accept it as you sent it.")
    shown = [line for line in order.lines if not (line.quantity is not None and line.quantity.value == 0)]
    lines += ["", "The order as we accept it:"]
    lines += [f"- Line {line.line_no}: {_line_text(line, order.currency)}" for line in shown[:LISTED_LINES]]
    if len(shown) > LISTED_LINES:
        lines.append(f"- … and {len(shown) - LISTED_LINES} more lines")
    lines += [
        "",
        "Please reply to this message if anything here is not what you want.",
        "",
        "Kind regards,",
        "The order desk",
    ]
    return "\n".join(lines) + "\n"


def rejection_text(
    order: Order, partner: PartnerProfile, *, reason: str, findings: Sequence[Mapping[str, Any]]
) -> str:
    """The body of a rejection: which order, the reason in the clerk's words, then what validation found."""
    lines = [
        "Hello,",
        "",
        f"We are sorry: we cannot accept {_what(order)} as it stands.",
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


# -- the message ------------------------------------------------------------------------------


def compose(
    session: Session,
    document_id: int | None,
    order: Order,
    partner: PartnerProfile,
    body: str,
    *,
    document_format: str | None = None,
) -> EmailMessage:
    """The reply to ``order`` with ``body``: To, Subject, and threading headers when it came by email.

    ``document_format``: the document's format while it is being processed (not stored yet)."""
    original = _original_headers(session, document_id, document_format)
    message_id = original.get("Message-ID") if original is not None else None
    subject = f"Re: PO {order.po_number}" if order.po_number else "Re: your order"
    return message(
        to=reply_address(original, order, partner) or "", subject=subject, body=body, in_reply_to=message_id
    )


def message(*, to: str, subject: str, body: str, in_reply_to: str | None) -> EmailMessage:
    built = EmailMessage(policy=policy.SMTP)
    built["To"] = to
    built["Subject"] = subject
    if in_reply_to:
        built["In-Reply-To"] = in_reply_to
        built["References"] = in_reply_to
    built.set_content(body.replace("\r\n", "\n"))
    return built


def store_reply(
    session: Session,
    built: EmailMessage,
    *,
    partner: str,
    document_id: int | None,
    order_id: int,
    refers_to: str | None,
    status: str,
    when: datetime,
) -> int:
    """Put the reply in the outbox as ``status`` (``draft`` or ``pending``); returns its outbox id."""
    row = {
        "partner": partner,
        "kind": KIND,
        "content": built.as_bytes(),
        "document_id": document_id,
        "order_id": order_id,
        "status": status,
        "created_at": when,
        "refers_to": refers_to,
    }
    return int(
        session.execute(insert(storage.OutboundRecord).returning(storage.OutboundRecord.id), row).scalar_one()
    )


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
    """Draft the reply telling the customer the order is rejected and why; returns its outbox id."""
    body = rejection_text(order, partner, reason=reason, findings=findings)
    return store_reply(
        session,
        compose(session, stored.document_id, order, partner, body),
        partner=partner.name,
        document_id=stored.document_id,
        order_id=stored.id,
        refers_to=order.po_number,
        status=OutboxStatus.DRAFT,
        when=when,
    )


def confirm_order(
    session: Session,
    order: Order,
    partner: PartnerProfile,
    *,
    order_id: int,
    document_id: int | None,
    received: Order | None,
    findings: Sequence[Mapping[str, Any]],
    status: str,
    when: datetime,
    document_format: str | None = None,
) -> int:
    """Store the confirmation of accepted ``order`` (``received``: as the customer sent it, None if unchanged)."""
    changes = order_changes(received if received is not None else order, order, findings)
    body = confirmation_text(order, changes)
    return store_reply(
        session,
        compose(session, document_id, order, partner, body, document_format=document_format),
        partner=partner.name,
        document_id=document_id,
        order_id=order_id,
        refers_to=order.po_number,
        status=status,
        when=when,
    )


def as_received(stored: storage.PurchaseOrder) -> Order | None:
    """The order as the customer sent it, when something changed it since; else None."""
    return Order.model_validate(stored.received_canonical) if stored.received_canonical else None


# -- reading and editing a stored reply -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplyView:
    """A stored reply as a person reads it: headers and the decoded text, never the MIME."""

    id: int
    status: str
    to: str
    subject: str
    body: str
    in_reply_to: str | None
    sender: str | None
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None

    @property
    def editable(self) -> bool:
        """A draft, or a reply that could not be sent: the clerk may correct it and send it (again)."""
        return self.status in (OutboxStatus.DRAFT, OutboxStatus.DEAD)


def read_reply(row: storage.OutboundRecord) -> ReplyView:
    parsed = parse(row.content)
    body = parsed.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    return ReplyView(
        id=row.id,
        status=row.status,
        to=str(parsed.get("To", "")),
        subject=str(parsed.get("Subject", "")),
        body=text.replace("\r\n", "\n"),
        in_reply_to=parsed.get("In-Reply-To"),
        sender=parsed.get("From"),
        attempts=row.attempts,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        next_attempt_at=row.next_attempt_at,
    )


def revised(content: bytes, *, to: str, subject: str, body: str) -> EmailMessage:
    """The stored reply with the clerk's To, Subject and text; its threading headers are kept."""
    return message(to=to, subject=subject, body=body, in_reply_to=parse(content).get("In-Reply-To"))


def parse(content: bytes) -> EmailMessage:
    found = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(found, EmailMessage)  # policy.default builds EmailMessage
    return found


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


def _original_headers(
    session: Session, document_id: int | None, document_format: str | None
) -> Message | None:
    """The headers of the order's document when it is an email; None for X12, PDF or sheet files."""
    if document_id is None:
        return None
    document = session.get(storage.Document, document_id)
    if document is None or (document_format or document.format) != "email":
        return None
    head = storage.open_document(session, document_id).read(_HEADER_BYTES)
    return BytesParser(policy=policy.default).parse(io.BytesIO(head), headersonly=True)
